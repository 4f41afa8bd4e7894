#pragma once
// What the HTTP layer asks of a raft node beyond the Service interface: the state behind
// orchestrator's raft-* endpoints and the operations they trigger (spec orchestrator-compat.md
// §3). A Service in raft mode returns one from Service::raft(); other modes return nullptr.
//
// Threading: every method may be called from any thread. view() is cheap (a copy of the
// runtime's state) and never blocks on the network or the disk. The operations call `done`
// exactly once, from a thread of the node's, possibly before they return when refused at once.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace orcraft::backend {

// This node's view of the cluster.
struct RaftView {
    // orchestrator's names: "Leader", "Follower", "Candidate" (pre-candidates included) or
    // "Shutdown" (the node has stopped).
    std::string state;
    std::uint64_t term = 0;
    std::string self;        // this node's identity "ip:port" (the normalized RaftAdvertise)
    std::string bind;        // the normalized RaftBind
    std::string leader;      // the leader's identity, "" when none is known
    std::string leader_url;  // the leader's HTTP base URL, "" when unknown
    bool is_leader = false;
    // This node is the leader, or a follower of a group that has a leader.
    bool healthy = false;
    // This node is a voter of the current configuration (raft-status IsPartOfQuorum).
    bool is_voter = false;
    // The identities of every member (voters, then learners).
    std::vector<std::string> peers;
    // On the leader: the voters that answered it within the last election timeout (itself
    // included); elsewhere empty.
    std::vector<std::string> healthy_members;
    std::uint64_t commit = 0;
    std::uint64_t applied = 0;
    std::uint64_t last_index = 0;
    std::uint64_t snapshot_index = 0;
};

// The outcome of an operation. On success `message` is what the endpoint reports (for add and
// remove: the normalized address); on failure it says why, without the endpoint's prefix.
struct RaftReply {
    bool ok = false;
    std::string message;
};

class RaftControl {
  public:
    virtual ~RaftControl() = default;

    virtual RaftView view() = 0;

    // Leader only: hands leadership to the member at `address` (as configured, port optional).
    virtual void yield_to(const std::string& address, std::function<void(RaftReply)> done) = 0;
    // Leader only: hands leadership to a member (other than this node) whose configured host or
    // identity contains `hint`.
    virtual void yield_by_hint(const std::string& hint, std::function<void(RaftReply)> done) = 0;
    // Leader only: adds a voter (it first catches up as a learner) / removes a member.
    virtual void add_peer(const std::string& address, std::function<void(RaftReply)> done) = 0;
    virtual void remove_peer(const std::string& address, std::function<void(RaftReply)> done) = 0;
    // Takes a snapshot on this node now.
    virtual void snapshot(std::function<void(RaftReply)> done) = 0;
};

}  // namespace orcraft::backend
