// The core's view of the replicated log: the snapshot that replaces its prefix, the entries
// that follow it, and the indexes that track their progress:
//
//   snapshot_index <= applied <= commit,   stable <= last_index,   handed_out <= last_index
//
// `stable` is the last index known to be durable (acknowledged by Core::advance); `handed_out`
// is the last index already given to the runtime for persistence in a Ready. Truncating a
// conflicting suffix moves both back.
//
// The term of every entry after the snapshot is always known (kept as runs of equal terms,
// which cost a few bytes per term rather than per entry). The entries themselves are kept in
// memory from memory_first() on. Without a loader that is every entry after the snapshot, and
// the application bounds the log by taking snapshots (Core::compact). With a loader, entries
// that are both durable and applied ("settled") may be released from memory (release_settled)
// and are read back through the loader when a lagging member needs them; every entry that is
// not yet settled always stays in memory, so the runtime never has to read the log back to
// persist or apply it.
#pragma once

#include <deque>
#include <optional>
#include <vector>

#include "raft/core/types.hpp"

namespace orcraft::raft {

class RaftLog {
  public:
    RaftLog() = default;
    // Rebuilds the log from durable state (the snapshot and the entries that follow it).
    void restore(const SnapshotMeta& snap, std::vector<Entry> entries, Index commit, Index applied);
    // Lets release_settled() drop entries from memory; slice() then reads them back with it.
    void set_loader(EntryLoader loader) { loader_ = std::move(loader); }

    Index first_index() const { return snap_index_ + 1; }
    Index last_index() const { return last_index_; }
    Term last_term() const;
    Index snapshot_index() const { return snap_index_; }
    Term snapshot_term() const { return snap_term_; }
    // The first entry held in memory (last_index() + 1 when none is).
    Index memory_first() const { return last_index_ + 1 - memory_.size(); }
    std::size_t memory_entries() const { return memory_.size(); }

    // The term of the entry at `i`, or nullopt if it is compacted (below the snapshot) or past
    // the end. The snapshot index itself has the snapshot's term.
    std::optional<Term> term(Index i) const;
    bool match_term(Index i, Term t) const;
    // The entry at `i`, which must be held in memory (i >= memory_first()). Every entry after
    // min(stable, applied) is.
    const Entry& at(Index i) const { return memory_[i - memory_first()]; }

    // Entries [lo, hi] with a total size of at most max_bytes, but at least one entry. Entries
    // released from memory are read through the loader and checked against the known terms;
    // the result then ends where the read ended or the first entry that does not match, and
    // is empty when nothing could be read.
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

    // With a loader set: drops settled entries (durable and applied) from memory, oldest
    // first, until the settled ones still held take at most keep_bytes (entry_size()).
    // Without a loader it does nothing.
    void release_settled(std::size_t keep_bytes);

    // Drops entries up to `i` (which must be applied) and makes `i` the snapshot point.
    void compact(Index i);
    // Replaces the whole log by a snapshot received from the leader.
    void install_snapshot(const SnapshotMeta& snap);

    // Number of entry bytes after the commit index (for the proposal limit).
    std::size_t uncommitted_bytes() const;

  private:
    struct TermRun {
        Index first;  // the run holds every index from here to the next run's first - 1
        Term term;
    };
    void push_term(Index i, Term t);
    // Forgets everything from index `from` on (memory, terms, last index).
    void truncate_from(Index from);

    Index snap_index_ = 0;
    Term snap_term_ = 0;
    Index last_index_ = 0;
    std::vector<TermRun> terms_;  // runs covering (snap_index_, last_index_]
    std::deque<Entry> memory_;    // entries [memory_first(), last_index_]
    EntryLoader loader_;
    Index commit_ = 0;
    Index applied_ = 0;
    Index stable_ = 0;
    Index handed_out_ = 0;
    // release_settled() bookkeeping: the entries held in memory up to counted_to_ take
    // counted_bytes_.
    Index counted_to_ = 0;
    std::size_t counted_bytes_ = 0;
};

}  // namespace orcraft::raft
