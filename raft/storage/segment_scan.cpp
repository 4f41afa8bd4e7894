#include "raft/storage/segment_scan.hpp"

#include <charconv>
#include <cstdio>

#include "raft/storage/log_store.hpp"
#include "raft/storage/posix_file.hpp"

namespace orcraft::raft::storage {

namespace {

// The offset after the last non-zero byte at or after `from` (`from` if there is none).
std::size_t end_of_data(std::string_view file, std::size_t from) {
    const auto last = file.find_last_not_of('\0');
    return last == std::string_view::npos || last < from ? from : last + 1;
}

[[noreturn]] void damaged(const std::string& path, std::size_t offset, const std::string& what) {
    throw StorageError("raft storage: segment " + path + " is damaged at offset " +
                       std::to_string(offset) + ": " + what);
}

// The first aligned offset after `from` where a complete, well-formed batch record starts.
std::optional<std::size_t> find_valid_record_after(std::string_view file, std::size_t from) {
    for (std::size_t at = from + kRecordAlignment; at + kRecordHeaderSize <= file.size();
         at += kRecordAlignment) {
        // Cheap filters before the checksum: the type byte and its zero padding.
        if (static_cast<std::uint8_t>(file[at + 4]) !=
                static_cast<std::uint8_t>(RecordType::kBatch) ||
            file[at + 5] != 0 || file[at + 6] != 0 || file[at + 7] != 0) {
            continue;
        }
        const auto record = read_record(file, at);
        if (record && decode_batch(record->payload)) return at;
    }
    return std::nullopt;
}

}  // namespace

std::string segment_file_name(std::uint64_t sequence) {
    char name[64];
    std::snprintf(name, sizeof name, "segment-%020llu.log",
                  static_cast<unsigned long long>(sequence));
    return name;
}

std::optional<std::uint64_t> parse_segment_file_name(const std::string& name) {
    if (name.size() != 8 + 20 + 4 || !name.starts_with("segment-") || !name.ends_with(".log")) {
        return std::nullopt;
    }
    std::uint64_t sequence = 0;
    const char* p = name.data();
    if (std::from_chars(p + 8, p + 28, sequence).ptr != p + 28) return std::nullopt;
    return sequence;
}

SegmentScan scan_segment(const std::string& path, std::uint64_t sequence, bool is_last) {
    SegmentScan scan;
    auto bytes = std::make_shared<std::string>(read_whole_file(path));
    scan.bytes = bytes;
    const std::string_view file(*bytes);
    scan.file_size = file.size();

    const auto header = decode_segment_header(file);
    if (!header) {
        if (!is_last) damaged(path, 0, "bad segment header");
        // A segment is created with its header synced before any batch goes in, so a bad
        // header in the last segment is a crash during creation only if nothing valid follows.
        if (const auto at = find_valid_record_after(file, kSegmentHeaderSize - kRecordAlignment)) {
            damaged(path, 0,
                    "bad segment header, valid records follow at offset " + std::to_string(*at));
        }
        scan.torn = TornTail{0, end_of_data(file, 0), true, std::nullopt};
        return scan;
    }
    if (header->version != kFormatVersion) {
        throw StorageError("raft storage: segment " + path + ": format version " +
                           std::to_string(header->version) +
                           " is not supported (this build reads " + std::to_string(kFormatVersion) +
                           ")");
    }
    if (header->sequence != sequence) {
        damaged(path, 16, "header names segment " + std::to_string(header->sequence));
    }

    std::size_t at = kSegmentHeaderSize;
    while (at < file.size()) {
        const auto record = read_record(file, at);
        if (record) {
            auto batch = decode_batch(record->payload);
            if (!batch) damaged(path, at, "batch record with a valid checksum but a bad layout");
            scan.batches.push_back(ScannedBatch{at, std::move(*batch)});
            at += record->size;
            continue;
        }
        if (!is_last) damaged(path, at, "incomplete record or checksum mismatch");
        const std::size_t data_end = end_of_data(file, at);
        if (data_end == at) break;  // preallocated space
        if (const auto next = find_valid_record_after(file, at)) {
            damaged(path, at,
                    "checksum mismatch, valid records follow at offset " + std::to_string(*next));
        }
        scan.torn = TornTail{at, data_end - at, false, peek_batch_claim(file, at)};
        break;
    }
    scan.valid_end = at;
    return scan;
}

}  // namespace orcraft::raft::storage
