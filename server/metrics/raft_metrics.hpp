#pragma once
// Feeds NodeMetrics' raft gauges and counters from the raft runtime (raft::Node::state()).

#include <functional>

#include "raft/node/node.hpp"
#include "server/metrics/node_metrics.hpp"

namespace orcraft::server::metrics {

// The fields of `state` that the metrics export.
RaftSample raft_sample(const raft::NodeState& state);

// Registers a scrape hook that calls `state` (typically [&node] { return node.state(); }) and
// passes the result to metrics.set_raft_state(). Keep the returned handle for as long as the
// node lives and destroy it before the node: afterwards the gauges keep their last values.
[[nodiscard]] ScrapeHook watch_raft(NodeMetrics& metrics, std::function<raft::NodeState()> state);

}  // namespace orcraft::server::metrics
