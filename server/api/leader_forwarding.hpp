#pragma once
// Which requests a raft follower sends to the leader, and how (spec orchestrator-compat.md §2).
//
// A node that is not the raft leader forwards every API request to the leader's HTTP URL, except
// the node-local ones: health, status (and StatusEndpoint), lb-check, _ping, headers,
// leader-check[/:code], raft-state, raft-leader, raft-health, raft-status, raft-peers,
// raft-snapshot, raft-yield/:node, raft-yield-hint/:hint, raft-follower-health-report,
// reload-configuration, metrics, and db/query at level "none" (this node's own state). The
// leader's URL comes from the raft runtime, which learns it from the leader's transport
// handshake as soon as it learns who the leader is.
//
// A request that arrives already forwarded (it carries the marker header another node added) is
// never forwarded again, so two nodes with different ideas of the leader cannot bounce a request
// between them: it is answered locally (a write then gets 503 "not the leader").
//
// When no leader is known, or its URL is not, or it cannot be reached, the client gets 503 with a
// JSON body (orchestrator's envelope and the SQL API's "error" member both) and Retry-After;
// nothing was applied. When the connection to the leader breaks after the request was sent, or
// the leader does not answer in time, the client gets 502 or 504 saying that the request may have
// been applied: a forwarded request is never sent twice. routed-leader-check answers 404
// "Not leader" whenever it cannot be forwarded, as orchestrator does.
//
// Every forwarded request is counted in orcraft_forwarded_requests_total{operation,outcome}
// (NodeMetrics::count_forwarded) once its answer is known: "ok" or "error" by the leader's
// status, "unreachable" when it was not sent (no leader, no URL, connection refused, queue
// full), "lost" when it was sent but no answer came (broken connection, timeout).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/raft_control.hpp"
#include "server/http/message.hpp"
#include "server/http/responder.hpp"
#include "server/http/reverse_proxy.hpp"
#include "server/metrics/node_metrics.hpp"

namespace orcraft::server::api {

// True when the endpoint at `segments` (the path below /api/) is answered by every node itself.
// `status_endpoint` tells that the path is the configured StatusEndpoint.
bool is_node_local(const http::Request& request, const std::vector<std::string>& segments,
                   bool status_endpoint);

// The `operation` label of a forwarded request: "execute" (db/execute), "query" (db/query) or
// "other".
std::string_view forwarded_operation(const std::vector<std::string>& segments);

// The marker header a forwarding node adds (its value is the forwarding node's identity).
inline constexpr const char* kForwardedByHeader = "X-Orcraft-Forwarded-By";

class LeaderForwarding {
  public:
    // `raft` (and `metrics`, when given) must outlive this object. options.marker_value is set
    // to this node's identity.
    LeaderForwarding(backend::RaftControl& raft, http::ProxyOptions options,
                     metrics::NodeMetrics* metrics = nullptr);

    // True when this node must forward the request: it is not the leader, the endpoint is not
    // node-local, and the request was not forwarded to it by another node.
    bool should_forward(const http::Request& request, const std::vector<std::string>& segments,
                        bool status_endpoint) const;

    // Forwards to the current leader, or answers the failure described above. `operation` is
    // forwarded_operation() of the request (a label value, so one of a fixed set).
    void forward(http::Request request, http::Responder responder, std::string_view operation,
                 bool routed_leader_check);

    // Stops the proxy (see ReverseProxy::stop()).
    void stop();

  private:
    void count(std::string_view operation, std::string_view outcome) const;

    backend::RaftControl& raft_;
    metrics::NodeMetrics* metrics_;
    http::ReverseProxy proxy_;
    std::chrono::milliseconds response_timeout_;
};

// The 503 answer for "the request cannot go to a leader now" (no leader, no URL, unreachable,
// overloaded): {"Code":"ERROR","Message":m,"Details":details,"error":m} with Retry-After: 1.
http::Response unavailable_response(const std::string& message, const nlohmann::json& details);

}  // namespace orcraft::server::api
