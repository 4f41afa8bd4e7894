// The messages Raft nodes exchange. The core produces and consumes them as plain values; the
// transport serializes them and the simulator passes them through a simulated network.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "raft/core/types.hpp"

namespace orcraft::raft {

enum class MessageType : std::uint8_t {
    kAppend,         // leader -> member: entries after (index, log_term), plus the leader's commit
    kAppendResp,     // member -> leader: accepted up to `index`, or rejected with a hint
    kHeartbeat,      // leader -> member: commit index and the current read round (read_seq)
    kHeartbeatResp,  // member -> leader: echoes read_seq
    kPreVote,        // pre-candidate -> voter: "would you vote for me in term `term`?"
    kPreVoteResp,
    kVote,  // candidate -> voter: request a vote in `term`; `force` marks a transfer
    kVoteResp,
    kSnapshot,      // leader -> member: one chunk of a snapshot (snapshot, offset, data, done)
    kSnapshotResp,  // member -> leader: bytes received so far, installed (done), or refused
    kTimeoutNow,    // leader -> transfer target: start an election now, skipping pre-vote
    kReadIndex,     // follower -> leader: request a read index for `context`
    kReadIndexResp  // leader -> follower: `index` is safe to read at for `context` (reject: retry)
};

const char* to_string(MessageType t);

struct Message {
    MessageType type = MessageType::kAppend;
    NodeId from = kNoNode;
    NodeId to = kNoNode;
    Term term = 0;

    // kAppend: index/log_term of the entry before `entries`. kAppendResp: last index accepted,
    // or on reject the rejected index. kVote/kPreVote: the candidate's last index/term.
    // kReadIndexResp: the read index.
    Index index = 0;
    Term log_term = 0;
    std::vector<Entry> entries;
    Index commit = 0;

    // kAppendResp rejection hint: the follower's guess of the last index that may match and
    // the term of its entry there (0 if unknown). Lets the leader skip a whole term per round.
    bool reject = false;
    Index reject_hint = 0;
    Term hint_term = 0;

    // Read rounds (kHeartbeat/kHeartbeatResp) and the client's read context (kReadIndex*).
    std::uint64_t read_seq = 0;
    std::string context;

    // kVote/kVoteResp/kPreVote: set for elections started by a leadership transfer, which
    // voters grant even if they heard from the leader recently.
    bool force = false;

    // kSnapshot: the snapshot described, the byte offset of `chunk`, and whether it is the last
    // chunk. kSnapshotResp: `snapshot.index/term` name the transfer, `offset` is the number of
    // bytes the member holds, `done` reports the installation, `reject` a refused (stale) one.
    SnapshotMeta snapshot;
    std::uint64_t offset = 0;
    std::string chunk;
    bool done = false;
    // kSnapshot: the size of the whole snapshot, for progress reports (0 when unknown).
    std::uint64_t snapshot_bytes = 0;
};

}  // namespace orcraft::raft
