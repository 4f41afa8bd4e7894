// The batch of work the core hands to its runtime, and the contract for processing it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "raft/core/message.hpp"
#include "raft/core/types.hpp"

namespace orcraft::raft {

// A linearizable read may be served once the state machine has applied `index`: the leader
// confirmed with a majority that it was still leader after the read was requested, and
// `index` was its commit index at that time. `context` identifies the request.
struct ReadState {
    Index index = 0;
    std::string context;
};

// What to do, in this order:
//
//  1. Send `early_messages` at once, even before anything below is durable. They are a
//     leader's replication traffic (appends, heartbeats, snapshot chunks, TimeoutNow, read
//     index answers), which never depends on the leader's own disk because the leader counts
//     its own log towards a commit only once advance() reported it durable, and a member's
//     heartbeat answers, which report only a term that is already durable.
//  2. Make durable, atomically or in this order: `snapshot` (it replaces the whole log and the
//     state machine's content), then `entries` (entries.front().index may be at or below the
//     durable last index: the durable log is truncated from there before appending), then
//     `hard_state`. Sync when must_sync() is true.
//  3. Send `messages` only after step 2 completed: votes and acknowledgements promise that
//     the term, vote and entries they report are durable.
//  4. Install `snapshot` into the state machine (if set), apply `committed_entries` in order,
//     and serve the reads in `read_states` once their index is applied.
//  5. Call Core::advance().
//
// The core hands out one Ready at a time: until advance() is called it keeps accumulating
// state, messages and entries for the next one (which naturally batches disk writes).
struct Ready {
    std::optional<HardState> hard_state;
    std::optional<Snapshot> snapshot;
    std::vector<Entry> entries;
    std::vector<Message> early_messages;
    std::vector<Message> messages;
    std::vector<Entry> committed_entries;
    std::vector<ReadState> read_states;

    // True if step 2 writes anything that must be fsync'ed before step 3.
    bool must_sync() const {
        return hard_state.has_value() || snapshot.has_value() || !entries.empty();
    }
};

}  // namespace orcraft::raft
