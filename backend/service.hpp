#pragma once
// The service a node runs: what the HTTP layer asks of it, whatever the mode.
//
// Three implementations exist or will: the standalone node (RaftEnabled false with SQLite, always
// the leader), the raft node (RaftEnabled true: writes go through the replicated log) and the
// shared-backend node (RaftEnabled false with MySQL: a lease elects the active node). The HTTP
// routes only know this interface.
//
// Threading: every method may be called from any thread. execute() and query() never block the
// caller; they call `done` exactly once, from a thread of the service's own, possibly before they
// return when the request is refused at once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backend/driver.hpp"
#include "backend/raft_control.hpp"

namespace orcraft::backend {

// Why a request did not succeed; the HTTP layer maps each kind to a status code.
enum class Failure {
    None,
    BadRequest,      // invalid SQL or a statement error: nothing was applied (400)
    NotLeader,       // this node cannot take writes or leader reads now (forward, or 503)
    Timeout,         // not confirmed in time; a write may still commit later (504)
    BackendFailure,  // the backend itself failed (500)
};

struct ExecuteReply {
    Failure failure = Failure::None;
    std::string error;                     // human-readable, set when failure != None
    std::optional<std::size_t> statement;  // the offending statement for BadRequest, when known
    std::vector<ExecResult> results;       // one per statement on success
    std::uint64_t index = 0;               // the index the batch was applied at
};

enum class ReadLevel { None, Weak, Linearizable };

// How current a query's answer must be: the level, and for level None an optional bound on how
// long ago this node last heard from the leader (rqlite's `freshness`; a leader, and a node that
// is its own leader, always meets it). Converts from a bare level.
struct ReadConsistency {
    // Implicit on purpose: a bare level is a complete consistency.
    ReadConsistency(ReadLevel l = ReadLevel::Weak) : level(l) {}
    ReadLevel level;
    std::optional<std::chrono::milliseconds> freshness;
};

struct QueryReply {
    Failure failure = Failure::None;
    std::string error;
    std::optional<std::size_t> statement;
    std::vector<QueryResult> results;
};

// What health, status and leader-check report.
struct NodeStatus {
    bool healthy = false;
    std::string error;         // why not healthy; empty when healthy
    bool is_leader = false;    // this node takes writes now
    std::string hostname;      // this node's host name
    std::string token;         // random per process, tells restarts apart
    std::string leader;        // the leader's identity ("" when unknown)
    std::string leader_token;  // the leader's process token, when the mode knows it
    std::string leader_url;    // the leader's HTTP base URL ("" when unknown)
    std::vector<std::string> available_nodes;
    std::string mode;  // "standalone", "raft" or "shared-backend"
};

// The answer to an election command (reelect, grab-election).
struct ElectionReply {
    bool ok = true;
    std::string message;  // orchestrator's message on success, the reason on failure
};

class Service {
  public:
    virtual ~Service() = default;

    // Validates and applies one batch of statements in one transaction (see driver.hpp).
    virtual void execute(std::vector<Statement> batch, std::function<void(ExecuteReply)> done) = 0;

    // Runs read-only statements at the given consistency.
    virtual void query(std::vector<Statement> statements, ReadConsistency consistency,
                       std::function<void(QueryReply)> done) = 0;

    virtual NodeStatus status() = 0;

    // reelect: the active node gives up its leadership so that a new election takes place.
    // `done` is called exactly once, like execute()'s. A mode with a single node keeps it.
    virtual void reelect(std::function<void(ElectionReply)> done) {
        done(ElectionReply{true, "Set re-elections"});
    }

    // grab-election: this node becomes the active node now (shared-backend mode). `done` is
    // called exactly once. A mode with a single node is already the leader.
    virtual void grab_election(std::function<void(ElectionReply)> done) {
        done(ElectionReply{true, "Node elected as leader"});
    }

    // The raft endpoints' view and operations (raft_control.hpp); nullptr when the node does not
    // run raft. The object lives as long as the service.
    virtual RaftControl* raft() { return nullptr; }

    // Finishes the work already accepted, refuses new work, and releases the backend.
    virtual void stop() = 0;
};

}  // namespace orcraft::backend
