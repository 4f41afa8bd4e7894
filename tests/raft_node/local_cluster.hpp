// Nodes of one cluster inside the test process: real log stores in a temporary directory, real
// TCP on 127.0.0.x, in-memory state machines. For functional tests of the runtime; crash and
// partition scenarios use separate processes (process_cluster.hpp).
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "memory_state_machine.hpp"
#include "raft/node/node.hpp"

namespace orcraft::raft::testing {

struct LocalMember {
    PeerAddress address;
    std::string dir;
    std::shared_ptr<MemoryStateMachine> sm;
    std::unique_ptr<Node> node;
};

class LocalCluster {
  public:
    // `n` members on 127.0.0.1..n with free ports; the first `voters` (all by default) form the
    // bootstrap configuration, the others start empty and wait to be added.
    explicit LocalCluster(int n, int voters = 0);
    ~LocalCluster();

    // Options every member starts with; tests may change them before start().
    std::function<void(NodeOptions&)> tweak;

    void start(int i);
    void stop(int i, int transfer_ms = 0);
    // Deletes member i's data directory (it must be stopped) and gives it a fresh state machine.
    void wipe(int i);
    LocalMember& member(int i) { return members_.at(static_cast<std::size_t>(i)); }
    Node& node(int i) { return *member(i).node; }
    int size() const { return static_cast<int>(members_.size()); }

    // The member that is leader and whom every running member follows, or -1.
    int agreed_leader();
    // Polls agreed_leader() until it is not -1 (and not `not_this`), or fails the test.
    int wait_leader(std::chrono::milliseconds deadline, int not_this = -1);

    ProposeOutcome propose(int i, const std::string& data,
                           std::chrono::milliseconds deadline = std::chrono::seconds(10));
    // Proposes through whichever member leads, again after kNotLeader, kRejected or
    // kLeadershipLost (the entry did not commit); a leader may change under a loaded machine.
    // Fails the test on kTimeout (outcome unknown) or after `deadline`.
    ProposeOutcome propose_via_leader(
        const std::string& data, std::chrono::milliseconds deadline = std::chrono::seconds(20));
    // The same without test assertions (safe on any thread): the first outcome that is not
    // worth retrying, or kTimeout after `deadline`.
    ProposeOutcome try_propose_via_leader(const std::string& data,
                                          std::chrono::milliseconds deadline);
    // read_index on member i: (ok, index or error).
    std::pair<bool, std::string> read(int i);

  private:
    std::string root_;
    std::vector<LocalMember> members_;
    std::vector<PeerAddress> bootstrap_;
};

}  // namespace orcraft::raft::testing
