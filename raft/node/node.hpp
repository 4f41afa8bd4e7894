// The Raft node runtime: drives a raft::Core with a real clock, a durable LogStore in the data
// directory and a TCP Transport, and applies committed entries to a StateMachine.
//
// Threads: one libuv loop thread owns the core, the timers and the transport; one disk thread
// runs LogStore writes (group commit: whatever accumulated while the previous sync ran is
// written with one sync); one apply thread feeds the state machine and takes snapshots. The
// leader sends its appends (Ready::early_messages) before its own disk write, so replication
// and the local fsync overlap.
//
// Every public method may be called from any thread (stop() not from a callback). Callbacks
// must not block: a successful propose() or read_index() completes on the apply thread (right
// after the entry or the read's index was applied); failures, and every other callback, run on
// the loop thread (or, after stop(), on the calling thread).
//
// Failures the node cannot paper over (a LogStore write or sync that fails, a state machine
// that throws) stop the node's participation: it logs the reason, fails what is pending with
// kStopped, and NodeState::error says why; the owner should exit.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raft/core/conf_change.hpp"
#include "raft/core/core.hpp"
#include "raft/node/node_events.hpp"
#include "raft/node/state_machine.hpp"
#include "raft/storage/log_store.hpp"
#include "raft/transport/transport.hpp"

namespace orcraft::raft {

struct NodeOptions {
    std::string data_dir;        // RaftDataDir (must exist)
    TransportOptions transport;  // self, identity, http url, listen address, cluster name
    // The initial voters (including self) used when the data directory holds no state yet:
    // the node then writes the cluster's first log entries (the members and the configuration,
    // derived from the sorted identities only). The list must be the same on every initial
    // member. A node that joins an existing cluster must start with an empty list and wait to
    // be added (add_voter on the leader); ids left 0 are filled in with node_id_for(identity).
    std::vector<PeerAddress> bootstrap;
    int tick_ms = 10;  // one core tick
    Config core;       // election/heartbeat ticks, flow control (id, seed are set)
    // A leader whose disk write has not completed after this long steps down (its followers
    // elect another leader while the disk is stuck).
    int disk_stall_ms = 2000;
    // Snapshot policy: take a snapshot once this many entries were applied since the last one.
    std::uint64_t snapshot_threshold = 8192;
    std::uint64_t trailing_entries = 10240;  // log entries kept behind a snapshot
    // propose() fails with kTimeout when the entry is not applied locally within this time.
    int propose_timeout_ms = 10000;
    bool sync = true;  // false only in benchmarks that measure without fsync
    // A leader whose commit index advanced tells members that have no new entries to receive
    // this much later, unless an append carrying entries tells them first (under load every
    // append does): one message per member per write fewer, at the price of followers
    // applying up to this much later. 0: at once.
    int commit_notice_delay_ms = 2;
    // read_index() fails when leadership is not confirmed within this time.
    int read_timeout_ms = 3000;
    // add_voter()/remove_member() fail when the change is not committed within this time (a
    // learner that needs a large snapshot may take a while to catch up).
    int membership_timeout_ms = 60000;
    // How to open the log store (tests wrap it to inject disk stalls); empty: LogStore::open.
    std::function<std::unique_ptr<LogStore>(const std::string& dir, const LogStoreOptions&)>
        open_log_store;
};

enum class ProposeError : std::uint8_t {
    kNone,
    kNotLeader,       // this node is not the leader (see NodeState::leader)
    kLeadershipLost,  // the entry was overwritten by a new leader's log; it did not commit
    kTimeout,         // not applied within propose_timeout_ms; it may still commit later
    kStopped,         // the node is stopping
    kRejected         // refused by the core (transfer in progress, too many uncommitted bytes)
};
const char* to_string(ProposeError e);

struct ProposeOutcome {
    ProposeError error = ProposeError::kNone;
    std::string message;  // why, for errors
    Index index = 0;      // where the entry committed
    std::string result;   // what StateMachine::apply returned
};

// A snapshot of the runtime's state for status pages, health checks and metrics.
struct NodeState {
    NodeId id = kNoNode;
    Role role = Role::kFollower;
    Term term = 0;
    NodeId leader = kNoNode;
    std::string leader_identity;  // "ip:port", empty when unknown
    std::string leader_http_url;  // from the leader's handshake (or self), empty when unknown
    Index commit = 0;
    Index applied = 0;
    Index last_index = 0;
    Index snapshot_index = 0;
    std::vector<PeerAddress> voters;
    std::vector<PeerAddress> learners;
    // On the leader: the members (voters and learners, itself included) that answered within
    // the last election timeout. Empty on any other node.
    std::vector<NodeId> reachable;
    // Counters since start.
    std::uint64_t proposals = 0;
    std::uint64_t entries_committed = 0;
    std::uint64_t syncs = 0;
    std::uint64_t disk_batches = 0;
    std::uint64_t snapshots_taken = 0;
    std::uint64_t snapshots_installed = 0;
    std::uint64_t last_snapshot_bytes = 0;
    double last_snapshot_seconds = 0;
    // How long ago this node last heard from the leader of its term or was the leader itself (0
    // on the leader; nullopt when neither happened since it started).
    std::optional<std::chrono::milliseconds> since_leader_contact;
    // Log entries held in memory, and entries read back from the log files for members that
    // were behind (the core keeps only recent settled entries, see raft::Config::load_entries).
    std::uint64_t entries_in_memory = 0;
    std::uint64_t entries_read_back = 0;
    // Set when the node stopped itself after a storage or state machine failure.
    std::string error;
};

class Node {
  public:
    // Opens the log store (throws StorageError), binds the transport (throws
    // std::runtime_error), restores the state machine from the latest snapshot if it is behind,
    // and starts the threads. A single bootstrap voter elects itself at once.
    static std::unique_ptr<Node> start(const NodeOptions& options,
                                       std::shared_ptr<StateMachine> sm);
    virtual ~Node() = default;

    // Appends `data` as a normal entry. `done` is called once: after the entry was applied on
    // this node (with apply()'s result), or with an error. Bytes that start with the runtime's
    // member-record prefix (see address_book.hpp) are refused with kRejected.
    virtual void propose(std::string data, std::function<void(ProposeOutcome)> done) = 0;
    // A linearizable read point: `done(true, index)` once this node applied an index at which
    // a read reflects every write acknowledged before the call; `done(false, reason)` if leadership
    // could not be confirmed within read_timeout_ms, or the leader changed meanwhile (retry).
    // Reads that arrive together share one confirmation round.
    virtual void read_index(std::function<void(bool ok, Index index, std::string error)> done) = 0;
    // Hands leadership to `to` (0: the most up-to-date other voter). `done(ok, message)` runs
    // when this node is no longer leader, or when the transfer failed.
    virtual void transfer_leadership(NodeId to, std::function<void(bool, std::string)> done) = 0;
    // Adds a voter (added as a learner, promoted once caught up) or removes a member.
    virtual void add_voter(const PeerAddress& peer,
                           std::function<void(bool, std::string)> done) = 0;
    virtual void remove_member(NodeId id, std::function<void(bool, std::string)> done) = 0;
    // Takes a snapshot now (raft-snapshot). done(ok, message).
    virtual void snapshot_now(std::function<void(bool, std::string)> done) = 0;
    // Called on the loop thread whenever the role, the term, the known leader or the
    // configuration changes, and when the node stops itself after a failure.
    virtual void on_state_change(std::function<void(const NodeState&)> observer) = 0;

    virtual NodeState state() const = 0;

    // Sends the runtime's events (node_events.hpp) to `events` from now on; nullptr stops them.
    // Returns once the previous sink is no longer called, so its owner may then destroy it; the
    // sink must otherwise outlive the node. The default ignores events (scripted test nodes).
    virtual void set_events(NodeEvents* /*events*/) {}

    // Stops: a leader first transfers leadership (bounded by `transfer_ms`; 0 skips it), then
    // pending proposals fail with kStopped, the threads stop and the files are closed.
    virtual void stop(int transfer_ms) = 0;
};

// The node id the runtime uses for an identity "ip:port": a stable 64-bit hash, never 0.
NodeId node_id_for(const std::string& identity);

}  // namespace orcraft::raft
