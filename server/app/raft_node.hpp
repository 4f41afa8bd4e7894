#pragma once
// Builds the service of a RaftEnabled node from its configuration: the data directory, the
// backend (SQLite or MySQL, chosen per node), the replicated state machine on it, and the raft
// runtime with its transport (docs/raft-mode.md).
//
// Identity and membership come from the configuration: this node is the normalized RaftAdvertise
// (RaftBind when unset), its raft node id is raft::node_id_for(identity), the initial voters are
// RaftNodes (or this node alone in single-node mode, which elects itself at once), and the
// transport listens on RaftBind and tells peers this node's leader URL (HTTPAdvertise, or the one
// computed from RaftAdvertise and ListenAddress). Every node of a cluster uses the cluster name
// kRaftClusterName; handshakes from other clusters are refused.

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "backend/config.hpp"
#include "backend/raft_service.hpp"
#include "raft/node/node.hpp"

namespace orcraft::server::app {

inline constexpr const char* kRaftClusterName = "orcraft";

// A raft node cannot start; what() is the message for the operator (orchestrator's wording for
// the configuration problems it shares).
class RaftStartError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The runtime options a configuration gives (exposed for tests).
raft::NodeOptions raft_node_options(const backend::Config& config, std::uint64_t seed);

// Prepares RaftDataDir, opens the backend, starts the runtime and returns the service. Throws
// RaftStartError. `prepare` runs on the state machine before the runtime starts (an embedding
// application registers its typed commands there).
std::unique_ptr<backend::RaftService> start_raft_service(
    const backend::Config& config, const std::string& hostname, const std::string& token,
    std::function<std::uint64_t()> random,
    const std::function<void(backend::SqlStateMachine&)>& prepare = {});

}  // namespace orcraft::server::app
