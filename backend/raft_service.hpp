#pragma once
// The raft node's service (RaftEnabled true): every write goes through the replicated log and is
// applied by every node to its own backend through the SqlStateMachine.
//
// Writes (execute): the statements are checked against the portable dialect first, so bad SQL is
// refused before it enters the log. Only the leader proposes. The batch is encoded as an "sql"
// command stamped with time and seed by a StampClock; stamps are strictly increasing across the
// log, also across leaders: before the first write of each term the leader confirms its
// leadership with a read-index round (which returns once it has applied every entry of earlier
// terms) and raises its clock's floor to the last applied stamp. Stamping and proposing happen
// under one lock, so log order and stamp order agree. The reply comes once the entry is applied
// on this node:
//   applied, batch committed       -> results and the entry's index
//   applied, a statement failed    -> BadRequest naming the statement (nothing of it applied)
//   not leader, leadership lost, rejected by the core (transfer in progress, too much
//   uncommitted data)              -> NotLeader: the write did not and will not apply
//   timeout, node stopping         -> Timeout: the write may still apply
//
// Reads (query): level None reads this node's state at once; Weak reads the state of the leader,
// so a non-leader answers NotLeader (the HTTP layer forwards such requests to the leader); and
// Linearizable first obtains a read index from the runtime (the leader confirms its leadership
// with a quorum) and reads once this node has applied it. Reads run on a pool of reader threads
// on the driver's read connections.
//
// Threading: as Service. Callbacks come from the runtime's apply thread (writes), the reader
// pool (reads) or the runtime's loop thread (operations); none of them blocks.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/command_stamp_clock.hpp"
#include "backend/raft_control.hpp"
#include "backend/service.hpp"
#include "backend/sql_state_machine.hpp"
#include "backend/worker_pool.hpp"
#include "raft/node/node.hpp"

namespace orcraft::backend {

// Turns a member address as an operator writes it ("10.0.0.2", "db2:10008") into the member's
// address as the configuration would normalize it. Throws std::invalid_argument with a message
// saying why the text is not an address.
using AddressNormalizer = std::function<raft::PeerAddress(const std::string& address)>;

struct RaftServiceOptions {
    std::string hostname;  // this host's name (health Hostname)
    std::string token;     // random per process
    std::string bind;      // the normalized RaftBind, for raft-status
    std::size_t reader_threads = 4;
    AddressNormalizer normalize;
    // Sources of time (UTC microseconds) and randomness for stamps.
    std::function<std::int64_t()> clock_micros;
    std::function<std::uint64_t()> random;
};

class RaftService final : public Service, public RaftControl {
  public:
    // Takes a started node running `state_machine`.
    RaftService(std::shared_ptr<SqlStateMachine> state_machine, std::unique_ptr<raft::Node> node,
                RaftServiceOptions options);
    ~RaftService() override;
    RaftService(const RaftService&) = delete;
    RaftService& operator=(const RaftService&) = delete;

    // Service.
    void execute(std::vector<Statement> batch, std::function<void(ExecuteReply)> done) override;
    void query(std::vector<Statement> statements, ReadConsistency consistency,
               std::function<void(QueryReply)> done) override;
    NodeStatus status() override;
    // The leader hands leadership to the most up-to-date other voter ("Set re-elections"). A
    // single-voter cluster keeps its leader.
    void reelect(std::function<void(ElectionReply)> done) override;
    void grab_election(std::function<void(ElectionReply)> done) override;
    RaftControl* raft() override { return this; }
    // Stops the runtime and the readers (hand_over() first for a graceful leader). Idempotent.
    void stop() override;

    // Proposes a typed command registered on the state machine (SqlStateMachine::
    // register_command), stamped and ordered exactly like SQL writes. `done` gets the runtime's
    // outcome; its `result` holds the encoded ApplyResult (decode_result()). Refused at once with
    // kNotLeader on a non-leader or while stopping.
    void propose_command(std::string name, std::string payload,
                         std::function<void(raft::ProposeOutcome)> done);

    // Adds an observer of the runtime's state, called (on the runtime's loop thread, must not
    // block) whenever the role, the term or the known leader changes.
    void add_state_observer(std::function<void(const raft::NodeState&)> observer);

    // For a graceful shutdown, before the HTTP server stops: a leader hands leadership to
    // another voter and waits for it at most `timeout`, so the cluster elects no later than
    // this node leaves. Returns at once on a non-leader. Blocks; call from the main thread.
    void hand_over(std::chrono::milliseconds timeout);

    // RaftControl.
    RaftView view() override;
    // The runtime's counters and state, for metrics.
    raft::NodeState node_state() const { return node_->state(); }
    // The runtime's events go to `events` from now on (nullptr: nowhere); see
    // raft::Node::set_events().
    void set_node_events(raft::NodeEvents* events) { node_->set_events(events); }
    void yield_to(const std::string& address, std::function<void(RaftReply)> done) override;
    void yield_by_hint(const std::string& hint, std::function<void(RaftReply)> done) override;
    void add_peer(const std::string& address, std::function<void(RaftReply)> done) override;
    void remove_peer(const std::string& address, std::function<void(RaftReply)> done) override;
    void snapshot(std::function<void(RaftReply)> done) override;

    // Why the runtime stopped itself (a disk or backend failure; the process should exit), or
    // "" while it runs.
    std::string failure() const;

    SqlStateMachine& state_machine() { return *state_machine_; }

  private:
    // Encodes an entry with a fresh stamp and proposes it, once this term's stamps are known to
    // follow every earlier stamp (see the file comment).
    using Encoder = std::function<std::string(const Stamp&)>;
    void submit(Encoder encode, std::function<void(raft::ProposeOutcome)> done);
    void propose_now(const Encoder& encode, std::function<void(raft::ProposeOutcome)> done);
    void read_locally(std::vector<Statement> statements, std::function<void(QueryReply)> done);
    // The refusal of a level-none read when this node last heard from the leader longer than
    // `freshness` ago (never on the leader).
    std::optional<QueryReply> refuse_stale(std::chrono::milliseconds freshness);
    // Hands leadership to `to` (0: the runtime chooses).
    void transfer(raft::NodeId to, std::function<void(RaftReply)> done);

    std::shared_ptr<SqlStateMachine> state_machine_;
    std::unique_ptr<raft::Node> node_;
    RaftServiceOptions options_;
    StampClock clock_;
    std::mutex propose_mutex_;  // one stamp-and-propose at a time
    // The term in which this node, as leader, raised its stamp floor past every earlier entry.
    std::atomic<raft::Term> stamped_term_{0};
    std::atomic<bool> stopped_{false};
    std::mutex observers_mutex_;
    std::vector<std::function<void(const raft::NodeState&)>> observers_;
    WorkerPool readers_;
};

// ExecuteReply for a propose() outcome of an "sql" command (exposed for tests).
ExecuteReply execute_reply_of(const raft::ProposeOutcome& outcome);

// orchestrator's name of a role: "Leader", "Follower" or "Candidate".
const char* raft_state_name(raft::Role role);

}  // namespace orcraft::backend
