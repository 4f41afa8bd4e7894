// What the node runtime applies committed entries to. The runtime knows bytes; the state
// machine gives them meaning (SQL batches, an embedding application's commands, a test
// counter).
//
// Threading: every method is called from the runtime's apply thread only, one call at a time.
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
    // What the runtime calls to take a snapshot. The default calls snapshot() (no progress); a
    // state machine that can report progress overrides this one instead.
    virtual std::shared_ptr<const std::string> snapshot_with_progress(
        Index& index, SnapshotProgress& /*progress*/) {
        return snapshot(index);
    }

    // Replaces the whole state with a snapshot produced by snapshot() on any node (possibly on
    // another backend), and records meta.index as applied.
    virtual void restore(const SnapshotMeta& meta, const std::string& data) = 0;
};

}  // namespace orcraft::raft
