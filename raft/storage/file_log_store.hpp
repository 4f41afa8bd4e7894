// The LogStore on a POSIX file system (see log_store.hpp for the contract and
// docs/raft-storage.md for the format).
//
// Layout of the directory: LOCK (held with flock while open), meta.1 and meta.2, the segments
// segment-<sequence>.log and one snapshot-<term>-<index>.snap.
//
// Every write() appends one batch record (its entries and the resulting hard state) to the
// last segment and syncs that one file. The metadata is rewritten only when the log's start
// or snapshot changes: a received snapshot (the log restarts in a new segment) and a
// compaction (save_snapshot). Those rewrites are the commit points of the change: files are
// created and synced before the metadata names them, and deleted only after it no longer does.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "raft/storage/log_store.hpp"
#include "raft/storage/meta_file.hpp"
#include "raft/storage/posix_file.hpp"
#include "raft/storage/recovery.hpp"

namespace orcraft::raft::storage {

class FileLogStore final : public LogStore {
  public:
    FileLogStore(const std::string& dir, const LogStoreOptions& options);

    Restored restored() const override { return restored_; }
    void release_restored() override;
    std::shared_ptr<const std::string> read_snapshot(const SnapshotMeta& meta) const override;
    std::vector<Entry> read_entries(Index lo, Index hi, std::size_t max_bytes) const override;
    void write(const std::optional<Snapshot>& snapshot, const std::vector<Entry>& entries,
               const std::optional<HardState>& hard_state) override;
    void save_snapshot(const Snapshot& snapshot) override;
    Index first_index() const override;
    Index last_index() const override;
    LogStoreStats stats() const override;

  private:
    void lock_directory();
    void initialize();
    void repair(Recovered& found);
    void adopt(Recovered& found);

    void append_batch(const std::vector<Entry>& entries, const HardState& hard_state);
    // Cuts the current last segment to its valid size (only the last one may hold preallocated
    // space), then creates, preallocates and syncs the next one.
    void start_segment(std::uint64_t sequence);
    // Makes `snapshot` the start of the log: a new empty segment, then the metadata naming it
    // (the commit point), then older segments and snapshot files are deleted.
    void restart_log_after(const SnapshotMeta& snapshot, const std::string& snapshot_name,
                           const HardState& hard_state);
    void store_next_meta(MetaRecord record);
    void remove_files(const std::vector<std::string>& paths);
    std::string describe_log() const;  // "first..last" or "empty", for logs
    // Throws std::invalid_argument if the arguments of write() do not fit the log.
    void check_fits(const std::optional<Snapshot>& snapshot,
                    const std::vector<Entry>& entries) const;
    template <typename Fn>
    void guarded(Fn&& fn);

    std::string dir_;
    LogStoreOptions options_;
    Syncer syncer_;
    LogStoreStats stats_;
    File lock_;

    MetaRecord meta_;
    int meta_slot_ = 0;
    // The latest snapshot's description; its bytes stay in its file (read_snapshot()).
    SnapshotMeta snapshot_meta_;
    std::string snapshot_name_;
    HardState hard_state_;
    // Changed by the writing thread only, and then under extents_mu_, so that read_entries()
    // on another thread sees whole updates.
    std::vector<SegmentInfo> segments_;
    mutable std::mutex extents_mu_;
    File active_;  // the last segment, open for appending
    Index first_index_ = 1;
    Index last_index_ = 0;  // first_index_ - 1 when the segments hold no entry
    Restored restored_;
    bool failed_ = false;
};

}  // namespace orcraft::raft::storage
