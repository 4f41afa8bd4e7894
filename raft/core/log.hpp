// The core's in-memory view of the replicated log: the snapshot that replaces its prefix, the
// entries that follow it, and the indexes that track their progress:
//
//   snapshot_index <= applied <= commit,   stable <= last_index,   handed_out <= last_index
//
// `stable` is the last index known to be durable (acknowledged by Core::advance); `handed_out`
// is the last index already given to the runtime for persistence in a Ready. Truncating a
// conflicting suffix moves both back. The core keeps every entry after the last snapshot in
// memory; the application bounds that by taking snapshots (Core::compact).
#pragma once

#include <optional>
#include <vector>

#include "raft/core/types.hpp"

namespace orcraft::raft {

class RaftLog {
  public:
    RaftLog() = default;
    // Rebuilds the log from durable state (the snapshot and the entries that follow it).
    void restore(const SnapshotMeta& snap, std::vector<Entry> entries, Index commit, Index applied);

    Index first_index() const { return snap_index_ + 1; }
    Index last_index() const { return snap_index_ + entries_.size(); }
    Term last_term() const;
    Index snapshot_index() const { return snap_index_; }
    Term snapshot_term() const { return snap_term_; }

    // The term of the entry at `i`, or nullopt if it is compacted (below the snapshot) or past
    // the end. The snapshot index itself has the snapshot's term.
    std::optional<Term> term(Index i) const;
    bool match_term(Index i, Term t) const;
    const Entry& at(Index i) const { return entries_[i - snap_index_ - 1]; }

    // Entries [lo, hi] with a total size of at most max_bytes, but at least one entry.
    std::vector<Entry> slice(Index lo, Index hi, std::size_t max_bytes) const;

    // Appends entries that follow `prev` (which must match): entries already present with the
    // same term are skipped, the first conflicting one truncates the log from its index.
    // Returns the index from which the log changed (0 if nothing changed).
    Index append_after(const std::vector<Entry>& entries);
    // The leader's own append at the end of the log.
    void append(Entry e);

    // Finds the largest index <= `index` whose term is <= `t` (fast backtracking).
    Index find_conflict_by_term(Index index, Term t) const;

    Index commit() const { return commit_; }
    Index applied() const { return applied_; }
    Index stable() const { return stable_; }
    Index handed_out() const { return handed_out_; }
    void commit_to(Index i) {
        if (i > commit_) commit_ = i;
    }
    void applied_to(Index i) {
        if (i > applied_) applied_ = i;
    }
    void handed_out_to(Index i) { handed_out_ = i; }
    // Marks entries up to `i` durable if the entry at `i` still has term `t`.
    void stable_to(Index i, Term t);

    // Drops entries up to `i` (which must be applied) and makes `i` the snapshot point.
    void compact(Index i);
    // Replaces the whole log by a snapshot received from the leader.
    void install_snapshot(const SnapshotMeta& snap);

    // Number of entry bytes after the commit index (for the proposal limit).
    std::size_t uncommitted_bytes() const;

  private:
    Index snap_index_ = 0;
    Term snap_term_ = 0;
    std::vector<Entry> entries_;
    Index commit_ = 0;
    Index applied_ = 0;
    Index stable_ = 0;
    Index handed_out_ = 0;
};

}  // namespace orcraft::raft
