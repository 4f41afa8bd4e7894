// The double-buffered metadata: two fixed-size files, meta.1 and meta.2, each holding one
// checksummed MetaRecord with a sequence number. A new record overwrites the older copy in
// place and is synced; a crash during that write can only damage the copy being written, so
// the other copy (the previous state) is always readable. Loading picks the valid copy with
// the higher sequence number.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "raft/core/types.hpp"
#include "raft/storage/posix_file.hpp"

namespace orcraft::raft::storage {

// What the metadata fixes about the log: where it starts and which snapshot it follows.
// The hard state here is a checkpoint: every batch in a segment also carries the hard state,
// and the last batch read at open wins (see docs/raft-storage.md).
struct MetaRecord {
    std::uint64_t sequence = 0;
    HardState hard_state;
    Index first_index = 1;            // index of the first entry kept in the segments
    std::uint64_t first_segment = 1;  // sequence number of the first segment of the log
    Index snapshot_index = 0;         // the snapshot the log follows (0: none)
    Term snapshot_term = 0;

    bool operator==(const MetaRecord&) const = default;
};

inline constexpr std::size_t kMetaSize = 96;
inline constexpr std::array<const char*, 2> kMetaFileNames = {"meta.1", "meta.2"};

std::string encode_meta(const MetaRecord& record);
// The record in `bytes`, or nullopt (with the reason in `problem`) if it is not a valid copy.
std::optional<MetaRecord> decode_meta(std::string_view bytes, std::string& problem);

struct LoadedMeta {
    MetaRecord record;
    int slot = 0;  // index into kMetaFileNames of the copy in use
    // Set when the other copy exists but is damaged (it is rewritten by the next update).
    std::optional<std::string> damaged_other;
};

// Loads the current metadata of `dir`. nullopt when neither copy exists (a new store); throws
// StorageError naming both files when copies exist but none is valid.
std::optional<LoadedMeta> load_meta(const std::string& dir);

// Writes `record` into slot `slot` (overwriting that copy in place, creating it if missing)
// and syncs it; a newly created file also gets a directory sync.
void store_meta(const std::string& dir, int slot, const MetaRecord& record, Syncer& syncer);

}  // namespace orcraft::raft::storage
