// What the node runtime applies committed entries to. The runtime knows bytes; the state
// machine gives them meaning (SQL batches, an embedding application's commands, a test
// counter).
//
// Threading: every StateMachine method is called from the runtime's apply thread only, one call
// at a time. The one exception is the second half of a two-phase snapshot: PendingSnapshot::write()
// runs on the runtime's snapshot thread while the apply thread keeps calling apply_batch() (see
// begin_snapshot()).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "raft/core/types.hpp"

namespace orcraft::raft {

class StateMachine {
  public:
    virtual ~StateMachine() = default;

    // The last index the state machine's durable state reflects (0 for a new one). Entries at or
    // below it are not applied again after a restart.
    virtual Index applied_index() = 0;

    // Applies one committed entry and returns the bytes handed to the proposer (if the entry was
    // proposed on this node). Must record `entry.index` as applied durably and atomically with
    // the entry's effect. Called for kNormal entries; for kNoop and kConfChange entries
    // apply_marker() is called instead so that the applied index still advances. Throwing stops
    // the node (the state machine is then in an unknown state).
    virtual std::string apply(const Entry& entry) = 0;
    virtual void apply_marker(Index index, Term term) = 0;

    // Applies consecutive committed entries in index order and returns one result per entry
    // (empty for kNoop and kConfChange entries). The runtime calls this, with as many entries as
    // are ready (up to a bound), instead of apply()/apply_marker() one by one. The default does
    // exactly that, one by one; a state machine that can make a batch durable at once (one
    // database transaction, one fsync) overrides it. The same rules hold: after it returns, the
    // last entry's index is recorded as applied durably, atomically with the entries' effects;
    // throwing stops the node.
    virtual std::vector<std::string> apply_batch(const std::vector<Entry>& entries) {
        std::vector<std::string> results(entries.size());
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const Entry& e = entries[i];
            if (e.type == EntryType::kNormal) {
                results[i] = apply(e);
            } else {
                apply_marker(e.index, e.term);
            }
        }
        return results;
    }

    // A serialized copy of the state at applied_index() (the returned index), for compaction and
    // for streaming to members that need it. May run long; entries are not applied meanwhile.
    virtual std::shared_ptr<const std::string> snapshot(Index& index) = 0;

    // How far a snapshot being written got, for the runtime's progress log. A state machine
    // whose snapshots take long calls report() as it goes (after each table or each few thousand
    // rows, with totals so far); the runtime logs at most about one line per second.
    class SnapshotProgress {
      public:
        virtual ~SnapshotProgress() = default;
        virtual void report(std::uint64_t rows, std::uint64_t bytes) = 0;
    };
    // A one-phase snapshot with progress reports. The default calls snapshot() (no progress); a
    // state machine that can report progress overrides this one instead. The runtime calls it
    // only through the default begin_snapshot(); other callers may use it directly.
    virtual std::shared_ptr<const std::string> snapshot_with_progress(
        Index& index, SnapshotProgress& /*progress*/) {
        return snapshot(index);
    }

    // The second half of a two-phase snapshot (see begin_snapshot()): it holds what is needed
    // to produce the state at the index begin_snapshot() returned, and nothing that the apply
    // thread changes afterwards.
    class PendingSnapshot {
      public:
        // Releases what the snapshot held (a read transaction, a connection), whether or not
        // write() ran or finished. Called on the snapshot thread or the apply thread, never while
        // write() runs.
        virtual ~PendingSnapshot() = default;
        // Produces the snapshot's bytes: exactly what snapshot() would have returned at the
        // index begin_snapshot() gave. Called at most once, on the runtime's snapshot thread,
        // while the apply thread keeps applying entries (on the apply thread itself when
        // complete() is true). May take long, reporting progress as
        // snapshot_with_progress() does. Throwing gives up this snapshot only: the runtime logs
        // it and tries again later, and the state machine is unaffected.
        virtual std::shared_ptr<const std::string> write(SnapshotProgress& progress) = 0;
        // What the runtime calls instead of write(): the same, but the returned bytes begin
        // with `prefix` (the runtime's frame) and continue with exactly what write() would
        // return. The default appends write()'s bytes to the prefix, which holds the snapshot
        // in memory twice for a moment; a state machine that builds its bytes in one buffer
        // starts that buffer with the prefix instead.
        virtual std::shared_ptr<const std::string> write_after(std::string prefix,
                                                               SnapshotProgress& progress) {
            if (auto state = write(progress)) prefix.append(*state);
            return std::make_shared<const std::string>(std::move(prefix));
        }
        // Asks a write() running on another thread to give up soon, by throwing. The runtime
        // calls it when it stops or installs a received snapshot, and then waits for write() to
        // return. The default does nothing: write() then runs to its end.
        virtual void cancel() {}
        // True when the bytes exist already and write() only hands them back (a one-phase
        // snapshot taken inside begin_snapshot()). The runtime then finishes the snapshot on
        // the apply thread at once, exactly as before two-phase snapshots existed.
        virtual bool complete() const { return false; }
    };

    // What the runtime calls to take a snapshot. Called on the apply thread between batches (no
    // apply_batch() is running or half done): sets `index` to applied_index() and captures,
    // cheaply, everything needed to produce exactly the state at that index later (for a
    // database, a read transaction opened on a connection of its own, plus copies of values
    // kept in memory that belong in the snapshot). The returned PendingSnapshot's write() then
    // produces the bytes on another thread while the apply thread applies further entries.
    // `progress` may be used during this call only. Throwing here is a failure of the state
    // machine, like a throwing apply().
    //
    // The default takes the whole snapshot here with snapshot_with_progress() and returns a
    // PendingSnapshot that hands those bytes back (complete() is true), so a state machine that
    // does not override it behaves as a one-phase snapshot always did: entries wait while it
    // runs.
    virtual std::unique_ptr<PendingSnapshot> begin_snapshot(Index& index,
                                                            SnapshotProgress& progress);

    // Replaces the whole state with a snapshot produced by snapshot() on any node (possibly on
    // another backend), and records meta.index as applied.
    virtual void restore(const SnapshotMeta& meta, const std::string& data) = 0;
};

namespace detail {

// What the default begin_snapshot() returns: a snapshot taken already.
class TakenSnapshot final : public StateMachine::PendingSnapshot {
  public:
    explicit TakenSnapshot(std::shared_ptr<const std::string> data) : data_(std::move(data)) {}
    std::shared_ptr<const std::string> write(StateMachine::SnapshotProgress&) override {
        return data_;
    }
    bool complete() const override { return true; }

  private:
    std::shared_ptr<const std::string> data_;
};

}  // namespace detail

inline std::unique_ptr<StateMachine::PendingSnapshot> StateMachine::begin_snapshot(
    Index& index, SnapshotProgress& progress) {
    return std::make_unique<detail::TakenSnapshot>(snapshot_with_progress(index, progress));
}

}  // namespace orcraft::raft
