#include "server/api/request_metrics.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>

#include "server/metrics/text_format.hpp"

namespace orcraft::server::api {
namespace {

// Every first segment under /api that names a route of its own (docs/http-api.md), "db" aside.
constexpr std::array<std::string_view, 23> kRoutes = {"lb-check",
                                                      "_ping",
                                                      "health",
                                                      "status",
                                                      "leader-check",
                                                      "routed-leader-check",
                                                      "headers",
                                                      "reelect",
                                                      "grab-election",
                                                      "metrics",
                                                      "reload-configuration",
                                                      "raft-state",
                                                      "raft-leader",
                                                      "raft-health",
                                                      "raft-status",
                                                      "raft-peers",
                                                      "raft-snapshot",
                                                      "raft-yield",
                                                      "raft-yield-hint",
                                                      "raft-add-peer",
                                                      "raft-remove-peer",
                                                      "raft-follower-health-report",
                                                      "db"};

// The next non-empty '/'-separated segment of `rest`, removed from it ("" at the end), so that
// "/api//health/" reads like "/api/health" (as the router reads it).
std::string_view next_segment(std::string_view& rest) {
    while (!rest.empty() && rest.front() == '/')
        rest.remove_prefix(1);
    auto segment = rest.substr(0, rest.find('/'));
    rest.remove_prefix(segment.size());
    return segment;
}

}  // namespace

std::string_view route_label(std::string_view path, std::string_view api_prefix,
                             std::string_view status_path) {
    if (path == status_path || (path.size() == status_path.size() + 1 && path.back() == '/' &&
                                path.substr(0, status_path.size()) == status_path)) {
        return "status";
    }
    if (path.substr(0, api_prefix.size()) != api_prefix) return "other";
    auto rest = path.substr(api_prefix.size());
    if (!rest.empty() && rest.front() != '/') return "other";
    const auto first = next_segment(rest);
    if (first == "db") {
        const auto second = next_segment(rest);
        if (second == "execute") return "db/execute";
        if (second == "query") return "db/query";
        return "other";
    }
    auto it = std::find(kRoutes.begin(), kRoutes.end(), first);
    return it == kRoutes.end() ? std::string_view("other") : *it;
}

http::Responder counting_responder(metrics::NodeMetrics& metrics, std::string_view route,
                                   http::Responder inner) {
    const auto start = std::chrono::steady_clock::now();
    return http::Responder([&metrics, route, start, inner = std::move(inner)](http::Response r) {
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
        metrics.count_http_request(route, r.status, elapsed.count());
        inner.respond(std::move(r));
    });
}

http::Response metrics_response(metrics::NodeMetrics* metrics) {
    if (metrics == nullptr) return http::Response::error(404, "metrics are not enabled");
    http::Response response;
    response.status = 200;
    response.headers.set("Content-Type", std::string(metrics::kTextContentType));
    response.body = metrics->registry().expose();
    return response;
}

}  // namespace orcraft::server::api
