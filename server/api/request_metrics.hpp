#pragma once
// What the HTTP API adds to the node's metrics: the route name of a request, the counting of
// every answer by route and status, and the /api/metrics answer itself.

#include <string>
#include <string_view>

#include "server/http/message.hpp"
#include "server/http/responder.hpp"
#include "server/metrics/node_metrics.hpp"

namespace orcraft::server::api {

// The route name of a request path, from a fixed set so that the label's values stay few:
// "db/execute", "db/query", the first segment under <prefix>/api for orchestrator's endpoints
// ("health", "leader-check", "raft-state", "metrics", ...), "status" for the configured status
// endpoint, and "other" for anything else (unknown routes, paths outside the API).
// `api_prefix` is the normalized "<URLPrefix>/api", `status_path` the status endpoint's path.
std::string_view route_label(std::string_view path, std::string_view api_prefix,
                             std::string_view status_path);

// A responder that counts its answer in `metrics` (route, status, time since this call) and then
// passes it to `inner`. An answer the handler never gives is counted as the 500 that the
// responder sends instead.
http::Responder counting_responder(metrics::NodeMetrics& metrics, std::string_view route,
                                   http::Responder inner);

// GET <prefix>/api/metrics: the Prometheus text exposition of the registry, or 404 when the
// node runs without metrics.
http::Response metrics_response(metrics::NodeMetrics* metrics);

}  // namespace orcraft::server::api
