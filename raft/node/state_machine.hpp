// What the node runtime applies committed entries to. The runtime knows bytes; the state
// machine gives them meaning (SQL batches, an embedding application's commands, a test
// counter).
//
// Threading: every method is called from the runtime's apply thread only, one call at a time.
#pragma once

#include <memory>
#include <string>

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

    // A serialized copy of the state at applied_index() (the returned index), for compaction and
    // for streaming to members that need it. May run long; entries are not applied meanwhile.
    virtual std::shared_ptr<const std::string> snapshot(Index& index) = 0;

    // Replaces the whole state with a snapshot produced by snapshot() on any node (possibly on
    // another backend), and records meta.index as applied.
    virtual void restore(const SnapshotMeta& meta, const std::string& data) = 0;
};

}  // namespace orcraft::raft
