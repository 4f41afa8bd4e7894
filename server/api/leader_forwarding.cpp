#include "server/api/leader_forwarding.hpp"

#include <algorithm>
#include <atomic>
#include <memory>

namespace orcraft::server::api {
namespace {

// The level a db/query request asks for ("" when it names none or the body does not parse; the
// route itself reports a bad body).
std::string query_level(const http::Request& request) {
    std::string level(request.query.get("level").value_or(""));
    if (request.method == "POST") {
        auto body = nlohmann::json::parse(request.body, nullptr, false);
        if (body.is_object() && body.contains("level") && body["level"].is_string()) {
            level = body["level"].get<std::string>();
        }
    }
    return level;
}

http::Response envelope_with_error(int status, const std::string& message,
                                   const nlohmann::json& details) {
    return http::Response::json(
        status,
        {{"Code", "ERROR"}, {"Message", message}, {"Details", details}, {"error", message}});
}

}  // namespace

bool is_node_local(const http::Request& request, const std::vector<std::string>& segments,
                   bool status_endpoint) {
    if (status_endpoint || segments.empty()) return true;
    static const std::vector<std::string> local = {"health",
                                                   "status",
                                                   "lb-check",
                                                   "_ping",
                                                   "headers",
                                                   "leader-check",
                                                   "raft-state",
                                                   "raft-leader",
                                                   "raft-health",
                                                   "raft-status",
                                                   "raft-peers",
                                                   "raft-snapshot",
                                                   "raft-yield",
                                                   "raft-yield-hint",
                                                   "raft-follower-health-report",
                                                   "reload-configuration",
                                                   "metrics"};
    const auto& name = segments[0];
    if (std::find(local.begin(), local.end(), name) != local.end()) return true;
    if (name == "db" && segments.size() == 2 && segments[1] == "query") {
        return query_level(request) == "none";
    }
    return false;
}

std::string_view forwarded_operation(const std::vector<std::string>& segments) {
    if (segments.size() == 2 && segments[0] == "db") {
        if (segments[1] == "execute") return "execute";
        if (segments[1] == "query") return "query";
    }
    return "other";
}

http::Response unavailable_response(const std::string& message, const nlohmann::json& details) {
    auto r = envelope_with_error(503, message, details);
    r.headers.set("Retry-After", "1");
    return r;
}

LeaderForwarding::LeaderForwarding(backend::RaftControl& raft, http::ProxyOptions options,
                                   metrics::NodeMetrics* metrics)
    : raft_(raft),
      metrics_(metrics),
      proxy_([&] {
          options.marker_header = kForwardedByHeader;
          options.marker_value = raft.view().self;
          return options;
      }()),
      response_timeout_(options.response_timeout) {}

bool LeaderForwarding::should_forward(const http::Request& request,
                                      const std::vector<std::string>& segments,
                                      bool status_endpoint) const {
    if (request.headers.contains(kForwardedByHeader)) return false;
    if (is_node_local(request, segments, status_endpoint)) return false;
    return !raft_.view().is_leader;
}

void LeaderForwarding::count(std::string_view operation, std::string_view outcome) const {
    if (metrics_) metrics_->count_forwarded(operation, outcome);
}

void LeaderForwarding::forward(http::Request request, http::Responder responder,
                               std::string_view operation, bool routed_leader_check) {
    const auto view = raft_.view();
    const nlohmann::json details = {{"Leader", view.leader}, {"LeaderURI", view.leader_url}};
    auto refuse = [&](const std::string& message) {
        count(operation, "unreachable");
        responder.respond(routed_leader_check ? http::Response::json(404, "Not leader")
                                              : unavailable_response(message, details));
    };
    if (view.leader.empty()) {
        refuse("no leader");
        return;
    }
    if (view.leader_url.empty()) {
        refuse("leader " + view.leader + " has not announced its HTTP URL yet");
        return;
    }
    std::string why;
    auto upstream = http::parse_upstream(view.leader_url, why);
    if (!upstream) {
        refuse("leader " + view.leader + " cannot be reached: " + why);
        return;
    }
    const auto timeout_ms = response_timeout_.count();
    // The leader's answer and a failure both reach the client through `counted`; a failure
    // counts itself first and marks the answer that follows as its own.
    auto failed = std::make_shared<std::atomic<bool>>(false);
    http::Responder counted(
        [this, operation, failed, inner = std::move(responder)](http::Response r) {
            if (!failed->load()) count(operation, r.status / 100 == 2 ? "ok" : "error");
            inner.respond(std::move(r));
        });
    auto on_failure = [this, operation, failed, routed_leader_check, details, timeout_ms](
                          http::ProxyFailure failure, const http::Upstream& to,
                          const std::string& detail) -> http::Response {
        failed->store(true);
        const bool sent =
            failure == http::ProxyFailure::Lost || failure == http::ProxyFailure::Timeout;
        count(operation, sent ? "lost" : "unreachable");
        if (routed_leader_check) return http::Response::json(404, "Not leader");
        switch (failure) {
            case http::ProxyFailure::Unreachable:
                return unavailable_response("leader " + to.label + " unreachable: " + detail,
                                            details);
            case http::ProxyFailure::Overloaded:
                return unavailable_response("cannot forward to leader " + to.label + ": " + detail,
                                            details);
            case http::ProxyFailure::Lost:
                return envelope_with_error(
                    502,
                    "the connection to leader " + to.label +
                        " broke before it answered; the request may have been applied (" + detail +
                        ")",
                    details);
            case http::ProxyFailure::Timeout:
                return envelope_with_error(504,
                                           "leader " + to.label + " did not answer within " +
                                               std::to_string(timeout_ms) +
                                               " ms; the request may have been applied",
                                           details);
        }
        return unavailable_response("cannot forward to leader " + to.label, details);
    };
    proxy_.forward(std::move(request), std::move(counted), std::move(*upstream),
                   std::move(on_failure));
}

void LeaderForwarding::stop() {
    proxy_.stop();
}

}  // namespace orcraft::server::api
