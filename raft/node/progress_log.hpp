// Progress lines for the runtime's long operations, at most one per operation and interval:
//   - SnapshotReceiveLog: a member receiving a snapshot from the leader (percent, bytes, rate);
//   - ReplicationProgressLog: a leader sending snapshots to members and members catching up
//     (entries left, entries per second, then one line once caught up, with how long it took);
//   - SnapshotCreationLog: a state machine writing a snapshot (rows and bytes so far).
//
// They log through spdlog (info; warn for an abandoned transfer) naming the node, the term and
// the snapshot's index where they apply. Time is passed in (or read through an injected clock),
// so that tests drive it. Not thread-safe: each object belongs to one thread (the loop thread,
// or the apply thread for SnapshotCreationLog).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "raft/core/message.hpp"
#include "raft/core/types.hpp"
#include "raft/node/state_machine.hpp"

namespace orcraft::raft {

using ProgressClock = std::chrono::steady_clock;
using ProgressTime = ProgressClock::time_point;

inline constexpr std::chrono::milliseconds kProgressInterval{1000};

// "12.3 MB" (decimal megabytes, one decimal), or "8.0 kB" below a megabyte.
std::string format_size(std::uint64_t bytes);

// A member's view of the snapshot the leader is streaming to it.
class SnapshotReceiveLog {
  public:
    // `who` names this node in the lines; a transfer without a chunk for `idle_timeout` is
    // abandoned.
    explicit SnapshotReceiveLog(std::string who,
                                std::chrono::milliseconds idle_timeout = std::chrono::seconds(30));

    struct Progress {
        std::uint64_t received = 0;
        std::uint64_t total = 0;  // 0 when the leader did not say
    };
    // A kSnapshot message `m` arrived in `term`. Returns the progress to report: bytes held so
    // far, or (0, 0) when this chunk completed the snapshot. Nothing for a chunk that does not
    // extend the transfer (a duplicate, or one after a gap, which the core asks to resend).
    std::optional<Progress> on_chunk(const Message& m, Term term, ProgressTime now);
    // Abandons a transfer that received nothing for the idle timeout; true when it did (report
    // (0, 0)).
    bool expire(ProgressTime now);

  private:
    struct Transfer {
        Index index = 0;
        Term term = 0;
        std::uint64_t received = 0;
        std::uint64_t total = 0;
        ProgressTime started;
        ProgressTime last_chunk;
        ProgressTime last_line;
        std::uint64_t received_at_last_line = 0;
    };

    std::string who_;
    std::chrono::milliseconds idle_timeout_;
    std::optional<Transfer> transfer_;
};

// What a leader knows of one member's replication (from the core's Progress).
struct MemberReplication {
    NodeId id = kNoNode;
    std::string name;  // "ip:port" (or the hex id)
    Index match = 0;
    // Whether it answered within the last election timeout: a member that does not is not
    // catching up, it is down or cut off.
    bool reachable = true;
    bool sending_snapshot = false;
    Index snapshot_index = 0;
    Term snapshot_term = 0;
    std::uint64_t snapshot_acked = 0;  // bytes the member acknowledged
    std::uint64_t snapshot_bytes = 0;  // the snapshot's size
};

// A leader's view of members that are far behind.
class ReplicationProgressLog {
  public:
    struct Thresholds {
        Index behind = 1000;    // a member this many entries behind is catching up
        Index caught_up = 100;  // ... until it is at most this many behind
    };
    ReplicationProgressLog(std::string who, Thresholds thresholds);
    explicit ReplicationProgressLog(std::string who)
        : ReplicationProgressLog(std::move(who), Thresholds{}) {}

    // Called by a leader in `term` about once per kProgressInterval with every other member;
    // logs at most one line per member and call.
    void observe(ProgressTime now, Term term, Index last_index,
                 const std::vector<MemberReplication>& members);
    // Leadership lost: forgets every member (without a line).
    void reset();

  private:
    struct CatchUp {
        ProgressTime started;
        Index start_match = 0;
        ProgressTime last_time;
        Index last_match = 0;
        bool unreachable = false;  // said once; quiet until it answers again
    };
    struct Sending {
        Index index = 0;
        Term term = 0;
        std::uint64_t total = 0;
        ProgressTime started;
        ProgressTime last_time;
        std::uint64_t last_acked = 0;
    };
    void observe_snapshot(ProgressTime now, Term term, const MemberReplication& m);
    void observe_catch_up(ProgressTime now, Term term, Index last_index,
                          const MemberReplication& m);

    std::string who_;
    Thresholds thresholds_;
    std::unordered_map<NodeId, CatchUp> catching_up_;
    std::unordered_map<NodeId, Sending> sending_;
};

// Handed to StateMachine::snapshot_with_progress(): logs the state machine's reports at most
// once per interval, and nothing for a snapshot that finishes within the first interval.
class SnapshotCreationLog final : public StateMachine::SnapshotProgress {
  public:
    // `index` is the applied index the snapshot is taken at.
    SnapshotCreationLog(std::string who, Index index, std::function<ProgressTime()> now);
    void report(std::uint64_t rows, std::uint64_t bytes) override;

  private:
    std::string who_;
    Index index_;
    std::function<ProgressTime()> now_;
    ProgressTime started_;
    ProgressTime last_line_;
};

}  // namespace orcraft::raft
