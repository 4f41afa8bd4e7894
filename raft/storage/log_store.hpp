// The durable Raft state of one node, kept in its RaftDataDir and nowhere else (the backend
// database never holds the consensus log): log entries in segment files, the first log index
// and the snapshot in use in double-buffered metadata files (with a checkpoint of the hard
// state), and the latest state-machine snapshot in a snapshot file with a manifest.
// docs/raft-storage.md describes the on-disk format (version 1) and why it is crash safe.
//
// Durability: write() makes everything it was given durable before it returns. Entries and
// hard state go into one checksummed batch record appended to the last segment, so an
// ordinary write() costs exactly one fdatasync however many entries it carries. Creating,
// renaming or deleting a file is followed by a directory fsync. A crash at any moment leaves
// the state before a write() or the state after it (a received snapshot with entries may also
// leave the snapshot in place without the entries); never a mix that loses an entry a returned
// write() made durable, and never a truncated suffix that comes back.
//
// Recovery: open() scans the segments. A torn tail (a partial last batch, or a zero-filled
// tail left by a crash during append) is truncated, and a warning names the file, the offset,
// the bytes dropped and the entries the dropped batch claimed. Damage anywhere before the tail
// (a checksum mismatch followed by valid data, damage in a segment other than the last, a
// missing segment, both metadata copies unusable, a damaged snapshot) is refused: open()
// throws StorageError naming the file and offset, and nothing is modified. Damage confined to
// the last batch of the last segment cannot be told from a torn write and is dropped as one.
//
// Threading: one thread at a time (the node runtime's disk thread), except read_snapshot() and
// read_entries(), which any thread may call. Not copyable. The directory is locked (flock on
// dir/LOCK) while a store has it open.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "raft/core/types.hpp"

namespace orcraft::raft {

// A storage failure that the node must not paper over: corruption before the tail, an
// unreadable file, or a failed write or sync (after which the process should stop, since the
// state on disk is unknown). what() names the file and, for corruption, the offset.
class StorageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct LogStoreOptions {
    // A segment is closed and a new one started once it exceeds this many bytes.
    std::uint64_t segment_bytes = 64ull * 1024 * 1024;
    // After a snapshot at index S, whole segments whose last index is at most S - trailing_entries
    // are deleted; the window lets a slightly lagging follower catch up from the log instead of
    // through a snapshot.
    std::uint64_t trailing_entries = 10000;
    // Test and benchmark knob: when false, nothing is synced (never in production).
    bool sync = true;
};

// Counters for metrics and benchmarks (monotonic since open()).
struct LogStoreStats {
    std::uint64_t syncs = 0;    // fdatasync/fsync calls made
    std::uint64_t batches = 0;  // write() calls that wrote something
    std::uint64_t entries_written = 0;
    std::uint64_t bytes_written = 0;
    std::uint64_t segments_deleted = 0;
};

class LogStore {
  public:
    // Opens (creating it if empty) the store in `dir`, which must exist. Recovers as described
    // above; throws StorageError on damage that is not a torn tail.
    static std::unique_ptr<LogStore> open(const std::string& dir, const LogStoreOptions& options);
    virtual ~LogStore() = default;

    // What open() found: hard state, latest snapshot (meta and data; an empty snapshot at index 0
    // with an empty configuration and empty data when there is none), the entries after the
    // snapshot (entries.front().index is the snapshot index + 1), and `applied` set to the
    // snapshot index. Entries of the trailing window at or below the snapshot index stay on disk
    // but are not loaded. Later writes do not change what this returns.
    virtual Restored restored() const = 0;
    // Lets go of what restored() holds in memory: the snapshot's bytes and the entries read at
    // open(). Afterwards restored() still gives the hard state, the snapshot's description and
    // `applied`, with no snapshot bytes and no entries. A node calls it once it has built its
    // state from restored(), so that a restart does not keep a second copy of either.
    virtual void release_restored() = 0;
    // Reads the bytes of the stored snapshot that `meta` describes back from disk, verified.
    // Safe to call from any thread, concurrently with the other methods. Returns nullptr when
    // that snapshot is no longer stored (a newer one replaced it) or cannot be read (logged).
    virtual std::shared_ptr<const std::string> read_snapshot(const SnapshotMeta& meta) const = 0;

    // Entries lo, lo + 1, ... up to hi as the log on disk holds them now, stopping after
    // max_bytes (counted with entry_size(), but at least one entry): fewer when the log ends
    // first, none when lo is not on disk (compacted, or past the end) or cannot be read
    // (logged). Safe to call from any thread, concurrently with the other methods; it sees
    // what the write() calls that returned before it wrote. Meant for entries the caller knows
    // are durable and committed (they cannot change while it reads); Config::load_entries.
    virtual std::vector<Entry> read_entries(Index lo, Index hi, std::size_t max_bytes) const = 0;

    // Step 2 of the Ready contract (raft/core/ready.hpp): persists `snapshot` (if set: a
    // snapshot received from the leader; it replaces the whole log, which restarts at its index
    // + 1), then `entries` (the log is truncated from entries.front().index first when that index
    // is at or below the last index), then `hard_state`. Returns once all of it is durable.
    // Throws std::invalid_argument, writing nothing, when the arguments do not fit the log
    // (entries not contiguous, starting at or below the snapshot index or after last index + 1;
    // a snapshot not newer than the current one). Throws StorageError when the disk fails; the
    // store then refuses further writes and must be reopened (the node should stop).
    virtual void write(const std::optional<Snapshot>& snapshot, const std::vector<Entry>& entries,
                       const std::optional<HardState>& hard_state) = 0;

    // The state machine took a snapshot at snapshot.meta.index (a compaction, not a received
    // snapshot): stores it as the latest snapshot (write to a temporary file, sync, rename, sync
    // the directory), deletes older snapshot files, and deletes the segments the trailing window
    // no longer needs. Entries after the snapshot index are kept. A snapshot at or below the
    // current snapshot's index is stale (a received snapshot overtook it) and ignored. Throws
    // std::invalid_argument, writing nothing, if its index is after last_index().
    virtual void save_snapshot(const Snapshot& snapshot) = 0;

    // The first entry still on disk: below the snapshot index while the trailing window holds
    // entries before it, the snapshot index + 1 when the log holds no entry.
    virtual Index first_index() const = 0;
    virtual Index last_index() const = 0;  // last entry, or the snapshot index if none
    virtual LogStoreStats stats() const = 0;
};

}  // namespace orcraft::raft
