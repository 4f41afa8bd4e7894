// Reading entries back from the segment files while the store keeps appending to them
// (LogStore::read_entries).
//
// The store remembers a few positions per segment ("checkpoints"): the first batch of the
// segment, then a batch at least kCheckpointSpacing bytes after the previous checkpoint, and
// every batch that truncates the log (its first index is at or below the log's last index when
// it is written). The entry at index i, as the log stands now, is in the last batch in file
// order whose first index is at most i. That batch is at or after the last checkpoint whose
// first index is at most i, so a read starts there and scans forward, replaying truncations.
// It may stop early only once no truncating batch further on could replace what it collected:
// truncating batches are all checkpoints, so that is known without reading further.
//
// Costs: a read scans at most about kCheckpointSpacing bytes before the first entry it
// returns; the checkpoints take a few bytes per kCheckpointSpacing bytes of log.
#pragma once

#include <cstdint>
#include <vector>

#include "raft/core/types.hpp"

namespace orcraft::raft::storage {

inline constexpr std::uint64_t kCheckpointSpacing = 128 * 1024;

struct Checkpoint {
    std::uint64_t offset = 0;  // of the batch record in its segment
    Index first_index = 0;     // of the batch's first entry
    bool truncates = false;    // the batch replaced a suffix of the log
};

// Records the batch written at `offset` with entries from `first_index` as a checkpoint when
// the rule above asks for one. `truncates` says whether it replaced a suffix.
void note_batch(std::vector<Checkpoint>& checkpoints, std::uint64_t offset, Index first_index,
                bool truncates);

// One segment as a read sees it: the file and the bytes of it that hold complete records.
struct SegmentExtent {
    std::string path;
    std::uint64_t size = 0;
    std::vector<Checkpoint> checkpoints;
};

// Entries lo, lo + 1, ... up to hi from `segments` (in sequence order), stopping after
// max_bytes (counted with entry_size(), at least one entry). Returns fewer when the log ends,
// and none when lo is not in it. A file that has gone or a record that fails its checksum ends
// the read with what is certain so far, and is logged. Safe to run while the store appends:
// it reads only the first `size` bytes of each segment.
std::vector<Entry> read_entries_back(const std::vector<SegmentExtent>& segments, Index lo, Index hi,
                                     std::size_t max_bytes);

}  // namespace orcraft::raft::storage
