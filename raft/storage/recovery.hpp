// What open() finds in a data directory, computed without modifying anything: the metadata,
// the snapshot it names, the replayed log, and the repairs to make (leftover files of an
// interrupted operation, a torn tail). Damage that is not a torn tail throws StorageError
// before any repair is made.
//
// Replay: segments are read in sequence order from the metadata's first segment. Each batch
// either appends (its first index is the last index + 1), or truncates the log from its first
// index and then appends (a conflicting suffix replaced); a batch that starts past the last
// index + 1 means entries are missing. The hard state is the one carried by the last batch,
// or the metadata's when no batch exists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "raft/core/types.hpp"
#include "raft/storage/meta_file.hpp"
#include "raft/storage/segment_reader.hpp"
#include "raft/storage/segment_scan.hpp"

namespace orcraft::raft::storage {

// One segment of the log as the store tracks it.
struct SegmentInfo {
    std::uint64_t sequence = 0;
    std::string path;
    std::uint64_t size = 0;  // valid bytes (where the next record goes)
    // The lowest first index of the batches in it (kNoEntries when it holds none): every entry
    // that earlier segments contribute to the log is below the lowest such value of the later
    // segments, which tells which segments a compaction may delete.
    Index min_first_index = kNoEntries;
    static constexpr Index kNoEntries = ~Index{0};
    // Where reads of entries start (segment_reader.hpp).
    std::vector<Checkpoint> checkpoints;
};

struct TornSegment {
    std::string path;
    TornTail tail;
};

struct Recovered {
    bool fresh = false;  // an empty directory: nothing else below is meaningful
    LoadedMeta meta;
    Snapshot snapshot;
    std::string snapshot_name;  // empty when there is no snapshot
    HardState hard_state;
    std::vector<Entry> entries;  // after the snapshot, in order
    Index first_index = 1;       // first entry in the segments
    Index last_index = 0;        // last entry in the segments (first_index - 1 when none)
    std::vector<SegmentInfo> segments;
    // Repairs for open() to make, in this order.
    std::vector<std::string> leftovers;  // files of interrupted operations, to delete
    std::optional<TornSegment> torn;     // last segment's torn tail, to truncate
    // The log ends before the snapshot (only possible when a torn tail or unsynced writes
    // lost entries the snapshot covers): the log restarts after the snapshot.
    bool log_behind_snapshot = false;
};

Recovered recover(const std::string& dir);

}  // namespace orcraft::raft::storage
