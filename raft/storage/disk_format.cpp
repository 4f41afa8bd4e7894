#include "raft/storage/disk_format.hpp"

#include "raft/storage/byte_codec.hpp"
#include "raft/storage/checksum.hpp"

namespace orcraft::raft::storage {

namespace {

constexpr std::uint32_t kHasHardState = 1;

}  // namespace

std::string encode_segment_header(std::uint64_t sequence) {
    std::string out(kSegmentMagic);
    put_u32(out, kFormatVersion);
    put_u32(out, static_cast<std::uint32_t>(kSegmentHeaderSize));
    put_u64(out, sequence);
    put_u64(out, checksum64(out));
    return out;
}

std::optional<SegmentHeader> decode_segment_header(std::string_view file) {
    if (file.size() < kSegmentHeaderSize) return std::nullopt;
    if (file.substr(0, kSegmentMagic.size()) != kSegmentMagic) return std::nullopt;
    if (get_u64(file, 24) != checksum64(file.substr(0, 24))) return std::nullopt;
    if (get_u32(file, 12) != kSegmentHeaderSize) return std::nullopt;
    return SegmentHeader{get_u32(file, 8), get_u64(file, 16)};
}

std::string encode_batch_record(const std::vector<Entry>& entries, const HardState& hard_state) {
    std::size_t payload_size = kBatchHeaderSize;
    for (const Entry& e : entries)
        payload_size += kEntryHeaderSize + e.data.size();

    std::string out;
    out.reserve(kRecordHeaderSize + padded(payload_size));
    put_u32(out, static_cast<std::uint32_t>(payload_size));
    put_u8(out, static_cast<std::uint8_t>(RecordType::kBatch));
    out.append(3, '\0');
    put_u64(out, 0);  // checksum, filled in below

    put_u64(out, entries.empty() ? 0 : entries.front().index);
    put_u32(out, static_cast<std::uint32_t>(entries.size()));
    put_u32(out, kHasHardState);
    put_u64(out, hard_state.term);
    put_u64(out, hard_state.vote);
    put_u64(out, hard_state.commit);
    for (const Entry& e : entries) {
        put_u64(out, e.term);
        put_u8(out, static_cast<std::uint8_t>(e.type));
        out.append(3, '\0');
        put_u32(out, static_cast<std::uint32_t>(e.data.size()));
        out.append(e.data);
    }
    out.append(padded(payload_size) - payload_size, '\0');

    const std::string_view view(out);
    const std::uint64_t sum = checksum64(view.substr(kRecordHeaderSize), get_u64(view, 0));
    std::string sum_bytes;
    put_u64(sum_bytes, sum);
    out.replace(8, 8, sum_bytes);
    return out;
}

std::optional<RecordView> read_record(std::string_view file, std::size_t at) {
    if (at > file.size() || file.size() - at < kRecordHeaderSize) return std::nullopt;
    const std::uint32_t length = get_u32(file, at);
    const std::uint8_t type = get_u8(file, at + 4);
    if (type != static_cast<std::uint8_t>(RecordType::kBatch)) return std::nullopt;
    if (get_u8(file, at + 5) != 0 || get_u8(file, at + 6) != 0 || get_u8(file, at + 7) != 0) {
        return std::nullopt;
    }
    const std::size_t body = padded(length);
    if (file.size() - at - kRecordHeaderSize < body) return std::nullopt;
    const std::string_view padded_payload = file.substr(at + kRecordHeaderSize, body);
    if (checksum64(padded_payload, get_u64(file, at)) != get_u64(file, at + 8)) return std::nullopt;
    return RecordView{RecordType::kBatch, padded_payload.substr(0, length),
                      kRecordHeaderSize + body};
}

std::optional<BatchView> decode_batch(std::string_view payload) {
    if (payload.size() < kBatchHeaderSize) return std::nullopt;
    BatchView batch;
    batch.first_index = get_u64(payload, 0);
    const std::uint32_t count = get_u32(payload, 8);
    const std::uint32_t flags = get_u32(payload, 12);
    if (flags != kHasHardState) return std::nullopt;
    batch.hard_state = HardState{get_u64(payload, 16), get_u64(payload, 24), get_u64(payload, 32)};
    if (count > 0 && batch.first_index == 0) return std::nullopt;
    if (count > (payload.size() - kBatchHeaderSize) / kEntryHeaderSize) return std::nullopt;
    batch.entries.reserve(count);
    std::size_t at = kBatchHeaderSize;
    for (std::uint32_t i = 0; i < count; ++i) {
        if (payload.size() - at < kEntryHeaderSize) return std::nullopt;
        const std::uint8_t type = get_u8(payload, at + 8);
        if (type > static_cast<std::uint8_t>(EntryType::kNoop)) return std::nullopt;
        const std::uint32_t length = get_u32(payload, at + 12);
        if (payload.size() - at - kEntryHeaderSize < length) return std::nullopt;
        batch.entries.push_back(EntryView{batch.first_index + i, get_u64(payload, at),
                                          static_cast<EntryType>(type),
                                          payload.substr(at + kEntryHeaderSize, length)});
        at += kEntryHeaderSize + length;
    }
    if (at != payload.size()) return std::nullopt;
    return batch;
}

std::optional<BatchClaim> peek_batch_claim(std::string_view file, std::size_t at) {
    const std::size_t need = kRecordHeaderSize + 12;
    if (at > file.size() || file.size() - at < need) return std::nullopt;
    if (get_u8(file, at + 4) != static_cast<std::uint8_t>(RecordType::kBatch)) return std::nullopt;
    return BatchClaim{get_u64(file, at + kRecordHeaderSize),
                      get_u32(file, at + kRecordHeaderSize + 8)};
}

}  // namespace orcraft::raft::storage
