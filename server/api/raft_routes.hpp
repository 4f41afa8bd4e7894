#pragma once
// orchestrator's raft endpoints (spec orchestrator-compat.md §3) on a RaftControl: raft-state,
// raft-leader, raft-health, raft-status, raft-peers, raft-snapshot, raft-yield/:node,
// raft-yield-hint/:hint, raft-add-peer/:addr and raft-remove-peer/:addr, with orchestrator's
// exact answers. Without raft every one of them answers ERROR "<endpoint>: not running with raft
// setup".
//
// Runs on the HTTP loop thread: reading the view is cheap, and the operations answer through the
// responder from the node's threads.

#include <string>
#include <vector>

#include "backend/raft_control.hpp"
#include "server/http/responder.hpp"

namespace orcraft::server::api {

// True for the names of the endpoints above (and orchestrator's raft-follower-health-report).
bool is_raft_endpoint(const std::string& name);

// Answers a raft endpoint. `segments` are the path segments below /api/ (segments[0] is the
// endpoint's name). `raft` is nullptr when the node does not run raft.
void handle_raft_endpoint(backend::RaftControl* raft, const std::vector<std::string>& segments,
                          const http::Responder& responder);

}  // namespace orcraft::server::api
