// Snapshot files: snapshot-<term>-<index>.snap, a manifest (magic, version, the snapshot's
// index, term and configuration, the data length and the data checksum, all under the
// manifest's own checksum) followed by the state machine's bytes. A snapshot is written to a
// .tmp file, synced, renamed into place and the directory synced, so a snapshot file that
// exists under its final name is always complete.
#pragma once

#include <optional>
#include <string>

#include "raft/core/types.hpp"
#include "raft/storage/posix_file.hpp"

namespace orcraft::raft::storage {

std::string snapshot_file_name(Term term, Index index);
struct SnapshotName {
    Term term = 0;
    Index index = 0;
};
// The term and index a file name encodes, or nullopt if it is not a snapshot file name.
std::optional<SnapshotName> parse_snapshot_file_name(const std::string& name);

// Writes `snapshot` durably under its final name in `dir` (temporary file, sync, rename,
// directory sync) and returns that name.
std::string write_snapshot_file(const std::string& dir, const Snapshot& snapshot, Syncer& syncer);

// Reads and verifies a snapshot file; throws StorageError naming the file and the offset of
// the damage.
Snapshot read_snapshot_file(const std::string& path);

}  // namespace orcraft::raft::storage
