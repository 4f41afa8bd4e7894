// What a leader knows about one member's log, and the flow control of its replication stream.
//
// A member is in one of three states. kProbe: the leader does not know where the member's log
// ends; it sends one kAppend and waits for the answer (or a heartbeat response) before the next.
// kReplicate: the logs match up to `match`; the leader streams entries optimistically
// (advancing `next` before the acknowledgement), bounded by the in-flight limits. kSnapshot:
// the member needs entries the leader has compacted; a snapshot is being streamed to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "raft/core/types.hpp"

namespace orcraft::raft {

// Unacknowledged kAppend messages to one member, each remembered by its last index and size.
class Inflights {
  public:
    Inflights(std::size_t max_msgs, std::size_t max_bytes)
        : max_msgs_(max_msgs), max_bytes_(max_bytes) {}
    bool full() const { return items_.size() >= max_msgs_ || bytes_ >= max_bytes_; }
    std::size_t count() const { return items_.size(); }
    void add(Index last, std::size_t bytes);
    // Frees every message whose last index is <= `index` (acknowledged).
    void free_le(Index index);
    // Frees the oldest message (used when acknowledgements were lost).
    void free_first();
    void reset();

  private:
    struct Item {
        Index last;
        std::size_t bytes;
    };
    std::size_t max_msgs_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::deque<Item> items_;
};

enum class ProgressState : std::uint8_t { kProbe, kReplicate, kSnapshot };

struct Progress {
    Progress(Index next_index, std::size_t max_msgs, std::size_t max_bytes)
        : next(next_index), inflights(max_msgs, max_bytes) {}

    Index match = 0;
    Index next = 1;
    ProgressState state = ProgressState::kProbe;
    // kProbe: a kAppend is outstanding; no other is sent until a response arrives.
    bool probe_sent = false;
    // The leader's tick count when the member last answered (check-quorum).
    std::int64_t last_active = 0;
    Inflights inflights;
    // The highest commit index sent to the member (in an append or a heartbeat), so that an
    // empty append goes out when the member can learn a newer commit index.
    Index sent_commit = 0;
    // Highest read round (Message::read_seq) this member acknowledged in the current term.
    std::uint64_t read_seq = 0;

    // kSnapshot: the snapshot being streamed, how many bytes the member acknowledged, how many
    // were sent, and heartbeats elapsed without an acknowledgement.
    Snapshot snap;
    std::uint64_t snap_acked = 0;
    std::uint64_t snap_sent = 0;
    int snap_idle = 0;

    bool paused() const;
    void become_probe();
    void become_replicate();
    void become_snapshot(const Snapshot& s);
    // Records an acknowledgement of entries up to `index`; false if it tells nothing new.
    bool maybe_update(Index index);
    // Handles a rejection of the kAppend at `rejected`; `hint` is the next index to try.
    // False if the rejection is stale (answers an older message).
    bool maybe_decrease(Index rejected, Index hint);
};

}  // namespace orcraft::raft
