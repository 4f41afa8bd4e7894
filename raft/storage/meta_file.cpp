#include "raft/storage/meta_file.hpp"

#include <fcntl.h>

#include "raft/storage/byte_codec.hpp"
#include "raft/storage/checksum.hpp"
#include "raft/storage/disk_format.hpp"
#include "raft/storage/log_store.hpp"

namespace orcraft::raft::storage {

namespace {

constexpr std::string_view kMetaMagic{"ORCRMETA", 8};

}  // namespace

std::string encode_meta(const MetaRecord& r) {
    std::string out(kMetaMagic);
    put_u32(out, kFormatVersion);
    put_u32(out, static_cast<std::uint32_t>(kMetaSize));
    put_u64(out, r.sequence);
    put_u64(out, r.hard_state.term);
    put_u64(out, r.hard_state.vote);
    put_u64(out, r.hard_state.commit);
    put_u64(out, r.first_index);
    put_u64(out, r.first_segment);
    put_u64(out, r.snapshot_index);
    put_u64(out, r.snapshot_term);
    put_u64(out, 0);
    put_u64(out, checksum64(out));
    return out;
}

std::optional<MetaRecord> decode_meta(std::string_view bytes, std::string& problem) {
    if (bytes.size() != kMetaSize) {
        problem =
            "size " + std::to_string(bytes.size()) + " instead of " + std::to_string(kMetaSize);
        return std::nullopt;
    }
    if (bytes.substr(0, kMetaMagic.size()) != kMetaMagic) {
        problem = "bad magic at offset 0";
        return std::nullopt;
    }
    if (get_u64(bytes, kMetaSize - 8) != checksum64(bytes.substr(0, kMetaSize - 8))) {
        problem = "checksum mismatch at offset 0";
        return std::nullopt;
    }
    const std::uint32_t version = get_u32(bytes, 8);
    if (version != kFormatVersion) {
        problem = "format version " + std::to_string(version) +
                  " is not supported (this build reads " + std::to_string(kFormatVersion) + ")";
        return std::nullopt;
    }
    MetaRecord r;
    r.sequence = get_u64(bytes, 16);
    r.hard_state = HardState{get_u64(bytes, 24), get_u64(bytes, 32), get_u64(bytes, 40)};
    r.first_index = get_u64(bytes, 48);
    r.first_segment = get_u64(bytes, 56);
    r.snapshot_index = get_u64(bytes, 64);
    r.snapshot_term = get_u64(bytes, 72);
    return r;
}

std::optional<LoadedMeta> load_meta(const std::string& dir) {
    std::array<std::optional<MetaRecord>, 2> copies;
    std::array<std::string, 2> problems;
    int present = 0;
    for (int slot = 0; slot < 2; ++slot) {
        const std::string path = join_path(dir, kMetaFileNames[slot]);
        if (!file_exists(path)) {
            problems[slot] = "missing";
            continue;
        }
        ++present;
        copies[slot] = decode_meta(read_whole_file(path), problems[slot]);
        // A copy written by a newer format is not damage: falling back to the other (older)
        // copy would silently lose state, so refuse.
        if (!copies[slot] && problems[slot].starts_with("format version")) {
            throw StorageError("raft storage: " + path + ": " + problems[slot]);
        }
    }
    if (present == 0) return std::nullopt;
    if (!copies[0] && !copies[1]) {
        throw StorageError("raft storage: both metadata copies are unusable: " +
                           join_path(dir, kMetaFileNames[0]) + ": " + problems[0] + "; " +
                           join_path(dir, kMetaFileNames[1]) + ": " + problems[1]);
    }
    LoadedMeta loaded;
    loaded.slot = !copies[1] ? 0 : !copies[0] ? 1 : (copies[1]->sequence > copies[0]->sequence);
    loaded.record = *copies[loaded.slot];
    const int other = 1 - loaded.slot;
    if (!copies[other] && problems[other] != "missing") {
        loaded.damaged_other = join_path(dir, kMetaFileNames[other]) + ": " + problems[other];
    }
    return loaded;
}

void store_meta(const std::string& dir, int slot, const MetaRecord& record, Syncer& syncer) {
    const std::string path = join_path(dir, kMetaFileNames[slot]);
    const bool existed = file_exists(path);
    const File f(path, O_WRONLY | O_CREAT);
    f.write_at(0, encode_meta(record));
    if (existed) {
        syncer.data(f);
    } else {
        syncer.full(f);
        syncer.directory(dir);
    }
}

}  // namespace orcraft::raft::storage
