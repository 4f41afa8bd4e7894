// The Raft consensus core: a deterministic state machine without I/O, threads, clocks or
// global state. Time advances only through tick(), randomness comes from Config::seed, and
// everything the core wants done (persisting, sending, applying) is returned in a Ready.
//
// Driving loop of a runtime (see ready.hpp for the exact persistence and ordering contract):
//
//   on timer:            core.tick()
//   on network message:  core.step(msg)
//   on client request:   core.propose(...), core.read_index(...), ...
//   whenever has_ready() and no Ready is in progress:
//       Ready rd = core.ready();  send rd.early_messages;  persist;  send rd.messages;
//       install rd.snapshot, apply rd.committed_entries, serve rd.read_states;  core.advance();
//
// Persistence contract, in full: a node must never send a message that reports its term, its
// vote or its log (a vote, a vote grant, an append acknowledgement, a snapshot
// acknowledgement) before the state it reports is durable; the core guarantees this by
// putting such messages into Ready::messages, which the runtime sends after step 2. A leader's
// own entries count towards the commit quorum only after advance() confirmed them durable, so
// a leader may replicate (Ready::early_messages) in parallel with its own fsync.
//
// Features: pre-vote and check-quorum (with the vote lease that lets members ignore a
// disruptive rejoining node), pipelined replication with flow control by count and bytes and
// batching of proposals, fast backtracking with a conflict term hint, commit only through
// current-term entries, ReadIndex reads (held until the leader committed an entry of its term),
// leadership transfer with TimeoutNow, single-server membership changes with learners, and
// snapshots streamed in chunks that resume after a lost chunk.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "raft/core/conf_change.hpp"
#include "raft/core/config.hpp"
#include "raft/core/log.hpp"
#include "raft/core/message.hpp"
#include "raft/core/progress.hpp"
#include "raft/core/ready.hpp"
#include "raft/core/types.hpp"

namespace orcraft::raft {

enum class Role : std::uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* to_string(Role r);

// Why a request was refused. Requests refused with kNotLeader should go to leader().
enum class Status : std::uint8_t {
    kOk,
    kNotLeader,            // only the leader accepts this request
    kNoLeader,             // a follower cannot forward a read: no leader known
    kTransferInProgress,   // a leadership transfer is running; retry after it
    kPendingConfChange,    // a configuration change is not committed yet
    kNoCurrentTermCommit,  // the new leader has not committed an entry of its term yet
    kInvalidChange,        // the membership change does not apply to the configuration
    kLearnerNotCaughtUp,   // the learner is too far behind to be promoted
    kTooManyUncommitted,   // too many uncommitted bytes; retry later
    kInvalidArgument
};
const char* to_string(Status s);

struct ProposeResult {
    Status status = Status::kOk;
    Index index = 0;  // where the entry was appended (when status is kOk)
    Term term = 0;
};

class Core {
  public:
    // Builds a core from durable state. A brand-new cluster member that bootstraps passes the
    // initial configuration as a snapshot at index 0 (Restored::snapshot.meta.conf); a node
    // that will be added later starts with an empty configuration and waits for a leader.
    Core(const Config& config, Restored restored);

    // Advances logical time by one tick.
    void tick();
    // Processes a message from another node. Messages from older terms are ignored or answered
    // as the protocol requires; malformed or misaddressed messages are ignored.
    void step(const Message& m);

    // Appends a normal entry with opaque bytes (leader only). Proposals made between two
    // ready() calls travel to the members in as few messages as the limits allow.
    ProposeResult propose(std::string data);
    // Requests a linearizable read identified by `context`. The answer arrives as a ReadState
    // in a later Ready (on a follower: after a round trip to the leader). No answer comes if
    // leadership changes meanwhile; the caller retries after a timeout.
    Status read_index(std::string context);
    // Hands leadership to voter `to` (leader only): the leader stops accepting proposals,
    // brings `to` up to date, then tells it to campaign at once. Aborted after election_ticks.
    Status transfer_leadership(NodeId to);
    // Starts an election now instead of waiting for the election timeout (with a pre-vote
    // round when pre_vote is on). A runtime calls it when this node is the only voter, so a
    // single-node cluster leads at once. Returns false (and does nothing) when this node is
    // the leader or may not campaign (not a voter).
    bool campaign();
    // Gives up leadership (or candidacy) at once: the node becomes a follower in its current
    // term that knows no leader, and waits an election timeout before it may campaign. A
    // runtime calls it when the leader's disk stalls, so the cluster stops waiting on it.
    // Returns false (and does nothing) when this node is already a follower.
    bool step_down();
    // Proposes a single-server membership change (leader only). See conf_change.hpp.
    ProposeResult change_membership(const ConfChange& change);
    // The application took a snapshot of its state machine at `index` (<= applied, with
    // `data` as its content): entries up to `index` are dropped from memory and the snapshot is
    // what the leader streams to members that need older entries. The runtime persists the
    // snapshot and may then drop those entries from its durable log. Returns the snapshot's
    // description, or nullopt if `index` is not between the current snapshot and applied.
    std::optional<SnapshotMeta> compact(Index index, std::shared_ptr<const std::string> data);
    // The runtime made the snapshot at `index` durable (taken by compact(), received from a
    // leader, or found at start). With Config::load_snapshot set, the core drops its bytes when
    // that snapshot is still the latest; otherwise this does nothing.
    void snapshot_persisted(Index index);

    bool has_ready() const;
    Ready ready();
    // The early messages produced since the last ready(): a leader's replication traffic
    // (appends, including ones carrying entries proposed since then; heartbeats; snapshot chunks;
    // TimeoutNow; read-index answers) and a member's heartbeat answers once its term is durable.
    // For a runtime that sends them while a Ready is being persisted, so that a slow fsync
    // delays neither heartbeats, nor their answers, nor the replication of new entries. They
    // depend on nothing this node has yet to persist, exactly like Ready::early_messages.
    std::vector<Message> take_early_messages();
    // The committed entries that are durable on this node and were not handed out yet, for a
    // runtime that applies them while a Ready is being persisted: entries that a member's
    // answer commits during a write then wait for no disk. They count as handed out, like a
    // Ready's committed entries. Empty while a snapshot has yet to be installed (what follows
    // it waits for the install) and while the outstanding Ready carries committed entries that
    // are not durable yet (they go first, once that Ready is persisted).
    std::vector<Entry> take_committed_entries();
    // The last index of this node's log known durable (persisted and advanced).
    Index durable_index() const { return log_.stable(); }
    // Reports that the last Ready was fully processed (persisted, sent, applied).
    void advance();
    // With Config::defer_commit_notices: true when a member has not been told the current
    // commit index yet (the runtime should call send_commit_notices() soon).
    bool commit_notices_due() const { return commit_notices_due_; }
    // Sends an empty kAppend carrying the commit index to each member that has not been told
    // it and has nothing else to receive. Leader only; elsewhere it does nothing.
    void send_commit_notices();

    // Observers (for the runtime, metrics and the simulator's invariant checker).
    NodeId id() const { return cfg_.id; }
    Role role() const { return role_; }
    Term term() const { return term_; }
    NodeId vote() const { return vote_; }
    NodeId leader() const { return lead_; }
    Index commit() const { return log_.commit(); }
    Index applied() const { return log_.applied(); }
    Index last_index() const { return log_.last_index(); }
    Term last_term() const { return log_.last_term(); }
    Index snapshot_index() const { return log_.snapshot_index(); }
    std::optional<Term> term_at(Index i) const { return log_.term(i); }
    // Entries held in memory (see Config::load_entries); the rest are read back when needed.
    std::size_t entries_in_memory() const { return log_.memory_entries(); }
    const ConfState& conf() const { return conf_history_.back().second; }
    NodeId transferee() const { return transferee_; }
    const Progress* progress(NodeId id) const;
    const Config& config() const { return cfg_; }
    // Whether `id` answered this leader within the last election timeout (what check-quorum
    // counts). True for the leader itself; always false when this node is not the leader.
    bool recently_active(NodeId id) const;

  private:
    enum class Campaign { kPreElection, kElection, kTransfer };
    struct PendingRead {
        Index index;
        std::string context;
        NodeId from;
        std::uint64_t seq;
    };

    std::uint64_t next_random();
    void reset_randomized_timeout();
    // A node may campaign if it is a voter in its latest configuration, or in its latest
    // committed one: a node removed by an entry that is not committed yet may be the only one
    // able to finish the change (it holds the entry; the remaining voters may lack it).
    bool promotable() const;
    bool self_vote_durable() const;

    void reset(Term term);
    void become_follower(Term term, NodeId lead);
    void become_pre_candidate();
    void become_candidate();
    void become_leader();
    void campaign(Campaign kind);
    void poll_votes();

    void tick_election();
    void tick_heartbeat();
    bool quorum_active() const;

    void step_leader(const Message& m);
    void step_candidate(const Message& m);
    void step_follower(const Message& m);
    void handle_vote_request(const Message& m);
    void handle_append(const Message& m);
    void handle_heartbeat(const Message& m);
    void handle_snapshot_chunk(const Message& m);
    void handle_append_resp(const Message& m);
    void handle_heartbeat_resp(const Message& m);
    void handle_snapshot_resp(const Message& m);
    void handle_read_request(std::string context, NodeId from);

    void send(Message m);
    void bcast_append();
    // The leader's commit index advanced: tell the members (see defer_commit_notices).
    void notify_commit();
    // With commit_only false, an append that would carry only a newer commit index is not sent.
    bool maybe_send_append(NodeId to, bool send_if_empty, bool commit_only = true);
    void send_snapshot_chunk(NodeId to, Progress& pr);
    void bcast_heartbeat();
    bool maybe_commit();
    void on_commit_advanced();
    void release_reads();
    void answer_read(PendingRead r);
    void append_entry(EntryType type, std::string data);

    void rebuild_conf_from(Index from);
    void on_conf_changed();
    const ConfState& conf_at(Index i) const;

    Config cfg_;
    std::uint64_t rng_state_;
    Role role_ = Role::kFollower;
    Term term_ = 0;
    NodeId vote_ = kNoNode;
    NodeId lead_ = kNoNode;
    RaftLog log_;
    // Configurations in log order: (index of the entry, configuration). The first one is the
    // configuration of the snapshot; the last one is in force.
    std::vector<std::pair<Index, ConfState>> conf_history_;
    std::map<NodeId, Progress> progress_;
    std::map<NodeId, bool> votes_;

    int election_elapsed_ = 0;
    int heartbeat_elapsed_ = 0;
    // Ticks counted while leader; members' last answers are stamped with it (check-quorum).
    std::int64_t leader_ticks_ = 0;
    int randomized_timeout_ = 0;
    NodeId transferee_ = kNoNode;
    int transfer_elapsed_ = 0;

    std::uint64_t read_seq_ = 0;
    std::vector<PendingRead> pending_reads_;
    std::vector<std::pair<std::string, NodeId>> reads_before_commit_;

    // The latest local snapshot (taken by compact() or received from a leader). Its data is
    // null once persisted when Config::load_snapshot reads it back on demand.
    Snapshot snapshot_;
    // A snapshot being received in chunks.
    std::optional<SnapshotMeta> incoming_meta_;
    std::string incoming_data_;

    // Output accumulated for the next Ready.
    std::vector<Message> msgs_;
    std::vector<Message> early_msgs_;
    std::vector<ReadState> read_states_;
    std::optional<Snapshot> snapshot_to_install_;
    HardState last_hard_state_;
    // The hard state known to be durable (as of the last advance()). A candidate counts its own
    // vote only once it is durable, so that no leader exists in a term it could forget.
    HardState durable_hard_state_;
    std::optional<HardState> ready_hard_state_;
    bool need_bcast_ = false;
    bool commit_notices_due_ = false;
    // Leader only: bytes of entries after the commit index (for max_uncommitted_bytes).
    std::size_t uncommitted_bytes_ = 0;
    Index apply_handed_ = 0;

    // The Ready in progress (handed out, not yet advanced).
    bool ready_outstanding_ = false;
    Index ready_last_index_ = 0;
    Term ready_last_term_ = 0;
    std::optional<SnapshotMeta> ready_snapshot_;
    Index ready_applied_ = 0;
};

}  // namespace orcraft::raft
