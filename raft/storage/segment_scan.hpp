// Reading one segment file at open: its header and its records, and the decision between a
// torn tail (dropped) and damage before the tail (refused).
//
// Only the last segment can have a torn tail: every batch is synced before the next one is
// written, a segment is only ever appended to while it is the last one, and it is cut to its
// valid size before the next one starts. So damage in any other segment is refused. The last
// segment is preallocated: zeros after its last valid record are free space. Otherwise the
// first record that is incomplete or fails its checksum at offset P ends the valid log; it is
// a torn tail if no valid record can be found at any aligned offset after P (a crash leaves
// nothing valid behind the batch it interrupted), and damage before the tail otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raft/storage/disk_format.hpp"

namespace orcraft::raft::storage {

std::string segment_file_name(std::uint64_t sequence);
// The sequence number a file name encodes, or nullopt if it is not a segment file name.
std::optional<std::uint64_t> parse_segment_file_name(const std::string& name);

struct ScannedBatch {
    std::size_t offset = 0;  // of the record in the file
    BatchView batch;         // views into SegmentScan::bytes
};

struct TornTail {
    std::size_t offset = 0;  // where the valid part ends
    std::size_t bytes = 0;   // what is dropped (up to the last non-zero byte)
    bool header = false;     // the segment header itself is torn (nothing valid in the file)
    std::optional<BatchClaim> claim;  // what the dropped batch says it held (unverified)
};

struct SegmentScan {
    std::shared_ptr<const std::string> bytes;  // the file's content
    std::vector<ScannedBatch> batches;
    std::size_t valid_end = 0;  // offset after the last valid record (or header)
    std::size_t file_size = 0;
    std::optional<TornTail> torn;
};

// Reads and checks the segment at `path`, which must carry `sequence` in its header. `is_last`
// allows a torn tail. Throws StorageError naming the file and offset on any other damage.
SegmentScan scan_segment(const std::string& path, std::uint64_t sequence, bool is_last);

}  // namespace orcraft::raft::storage
