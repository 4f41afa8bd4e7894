#include "server/api/api.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "server/api/leader_forwarding.hpp"
#include "server/api/raft_routes.hpp"
#include "server/api/request_metrics.hpp"
#include "server/api/sql_json.hpp"

namespace orcraft::server::api {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// The path below <prefix>/api/, split on '/', without empty segments (so a trailing '/' is
// accepted). nullopt when the path is not under the API prefix.
std::optional<std::vector<std::string>> api_segments(const std::string& path,
                                                     const std::string& prefix) {
    if (path.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    std::string_view rest(path);
    rest.remove_prefix(prefix.size());
    if (!rest.empty() && rest.front() != '/') return std::nullopt;
    std::vector<std::string> segments;
    while (!rest.empty()) {
        auto slash = rest.find('/');
        auto part = rest.substr(0, slash);
        if (!part.empty()) segments.emplace_back(part);
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    return segments;
}

int http_status(backend::Failure failure) {
    switch (failure) {
        case backend::Failure::None:
            return 200;
        case backend::Failure::BadRequest:
            return 400;
        case backend::Failure::NotLeader:
            return 503;
        case backend::Failure::Timeout:
            return 504;
        case backend::Failure::BackendFailure:
            return 500;
    }
    return 500;
}

http::Response failure_response(backend::Failure failure, const std::string& error,
                                std::optional<std::size_t> statement) {
    nlohmann::json body = {{"error", error}};
    if (statement) body["statement"] = *statement;
    auto response = http::Response::json(http_status(failure), body);
    if (failure == backend::Failure::NotLeader) response.headers.set("Retry-After", "1");
    return response;
}

std::optional<std::pair<std::string, std::string>> basic_credentials(const http::Request& r) {
    auto header = r.headers.get("Authorization");
    if (!header) return std::nullopt;
    std::string_view value = *header;
    constexpr std::string_view scheme = "Basic ";
    if (value.size() < scheme.size() || !http::iequals(value.substr(0, scheme.size()), scheme)) {
        return std::nullopt;
    }
    std::string decoded;
    try {
        decoded = base64_decode(value.substr(scheme.size()));
    } catch (const RequestError&) {
        return std::nullopt;
    }
    auto colon = decoded.find(':');
    if (colon == std::string::npos) return std::nullopt;
    return std::make_pair(decoded.substr(0, colon), decoded.substr(colon + 1));
}

}  // namespace

http::Response envelope_ok(const std::string& message, const nlohmann::json& details) {
    return http::Response::json(200, {{"Code", "OK"}, {"Message", message}, {"Details", details}});
}

http::Response envelope_error(const std::string& message, const nlohmann::json& details,
                              int status) {
    return http::Response::json(status,
                                {{"Code", "ERROR"}, {"Message", message}, {"Details", details}});
}

Api::Api(const backend::Config& config, backend::Service& service, metrics::NodeMetrics* metrics)
    : config_(config),
      service_(service),
      metrics_(metrics),
      prefix_(backend::normalize_url_prefix(config.url_prefix) + "/api"),
      status_path_(backend::normalize_url_prefix(config.url_prefix) +
                   backend::normalize_url_prefix(config.status_endpoint)) {
    if (auto* raft = service_.raft()) {
        http::ProxyOptions options;
        options.connect_timeout =
            std::chrono::milliseconds(config.leader_proxy_connect_timeout_millis);
        options.response_timeout =
            std::chrono::seconds(config.leader_proxy_response_timeout_seconds);
        forwarding_ = std::make_unique<LeaderForwarding>(*raft, options, metrics_);
    }
}

Api::~Api() {
    stop();
}

void Api::stop() {
    if (forwarding_) forwarding_->stop();
}

bool Api::forward_to_leader(http::Request& request, const std::vector<std::string>& segments,
                            bool status_endpoint, http::Responder& responder) {
    if (!forwarding_ || !forwarding_->should_forward(request, segments, status_endpoint)) {
        return false;
    }
    const bool routed_check = !segments.empty() && segments[0] == "routed-leader-check";
    forwarding_->forward(std::move(request), std::move(responder), forwarded_operation(segments),
                         routed_check);
    return true;
}

std::optional<http::Response> Api::refuse(const http::Request& request, Access access) const {
    const auto& method = config_.authentication_method;
    if (method == "basic" || method == "multi") {
        auto credentials = basic_credentials(request);
        bool admin = credentials && credentials->first == config_.http_auth_user &&
                     credentials->second == config_.http_auth_password;
        bool readonly_user = method == "multi" && credentials && credentials->first == "readonly";
        if (!admin && !readonly_user) {
            auto response = http::Response::error(401, "Unauthorized");
            response.headers.set("WWW-Authenticate", "Basic realm=\"orcraft\"");
            return response;
        }
        if (!admin && access == Access::Write) return http::Response::error(401, "Unauthorized");
    }
    if (config_.read_only && access == Access::Write) {
        return http::Response::error(401, "Unauthorized");
    }
    return std::nullopt;
}

void Api::handle(http::Request request, http::Responder responder) {
    if (metrics_) {
        responder = counting_responder(*metrics_, route_label(request.path, prefix_, status_path_),
                                       std::move(responder));
    }
    auto segments = api_segments(request.path, prefix_);
    bool is_status_endpoint = request.path == status_path_ || request.path == status_path_ + "/";
    if (!segments && !is_status_endpoint) {
        responder.respond(http::Response::error(404, "not found: " + request.path));
        return;
    }
    if (is_status_endpoint) segments = std::vector<std::string>{"status"};
    const auto& seg = *segments;
    const std::string name = seg.empty() ? "" : seg[0];

    // The SQL API.
    if (name == "db" && seg.size() == 2 && seg[1] == "execute") {
        if (request.method != "POST") {
            responder.respond(http::Response::error(405, "use POST for /api/db/execute"));
            return;
        }
        if (auto refusal = refuse(request, Access::Write)) {
            responder.respond(std::move(*refusal));
            return;
        }
        if (forward_to_leader(request, seg, false, responder)) return;
        execute(request, std::move(responder));
        return;
    }
    if (name == "db" && seg.size() == 2 && seg[1] == "query") {
        if (request.method != "POST" && request.method != "GET" && request.method != "HEAD") {
            responder.respond(http::Response::error(405, "use GET or POST for /api/db/query"));
            return;
        }
        if (auto refusal = refuse(request, Access::Read)) {
            responder.respond(std::move(*refusal));
            return;
        }
        if (forward_to_leader(request, seg, false, responder)) return;
        query(request, std::move(responder));
        return;
    }

    const bool changes_cluster = name == "reelect" || name == "grab-election" ||
                                 name == "raft-yield" || name == "raft-yield-hint" ||
                                 name == "raft-add-peer" || name == "raft-remove-peer" ||
                                 name == "raft-snapshot";
    if (auto refusal = refuse(request, changes_cluster ? Access::Write : Access::Read)) {
        responder.respond(std::move(*refusal));
        return;
    }
    if (forward_to_leader(request, seg, is_status_endpoint, responder)) return;

    if ((name == "lb-check" || name == "_ping") && seg.size() == 1) {
        responder.respond(http::Response::json(200, "OK"));
    } else if ((name == "health" || name == "status") && seg.size() == 1) {
        responder.respond(health(name == "status"));
    } else if (name == "leader-check" && seg.size() <= 2) {
        responder.respond(leader_check(seg));
    } else if (name == "routed-leader-check" && seg.size() == 1) {
        auto status = service_.status();
        responder.respond(status.is_leader ? http::Response::json(200, "OK")
                                           : http::Response::json(404, "Not leader"));
    } else if (name == "headers" && seg.size() == 1) {
        nlohmann::json headers = nlohmann::json::object();
        for (const auto& [key, value] : request.headers)
            headers[key].push_back(value);
        responder.respond(http::Response::json(200, headers));
    } else if ((name == "reelect" || name == "grab-election") && seg.size() == 1) {
        // The service answers from its own thread (the election may talk to the database).
        auto answer = [responder](backend::ElectionReply reply) {
            responder.respond(reply.ok ? envelope_ok(reply.message)
                                       : envelope_error(reply.message));
        };
        if (name == "reelect")
            service_.reelect(std::move(answer));
        else
            service_.grab_election(std::move(answer));
    } else if (name == "metrics" && seg.size() == 1) {
        responder.respond(metrics_response(metrics_));
    } else if (is_raft_endpoint(name)) {
        handle_raft_endpoint(service_.raft(), seg, responder);
    } else {
        responder.respond(http::Response::error(404, "not found: " + request.path));
    }
}

void Api::execute(const http::Request& request, http::Responder responder) {
    const auto start = Clock::now();
    std::vector<backend::Statement> statements;
    try {
        parse_statements_body(request.body, statements);
    } catch (const RequestError& e) {
        responder.respond(http::Response::error(400, e.what()));
        return;
    }
    service_.execute(
        std::move(statements), [responder, start, metrics = metrics_](backend::ExecuteReply reply) {
            if (reply.failure == backend::Failure::BackendFailure && metrics)
                metrics->count_backend_error("execute");
            if (reply.failure != backend::Failure::None) {
                responder.respond(failure_response(reply.failure, reply.error, reply.statement));
                return;
            }
            responder.respond(
                http::Response::json(200, execute_results_to_json(reply, seconds_since(start))));
        });
}

void Api::query(const http::Request& request, http::Responder responder) {
    const auto start = Clock::now();
    std::vector<backend::Statement> statements;
    backend::ReadConsistency consistency;
    try {
        std::string level_name(request.query.get("level").value_or(""));
        std::optional<std::string> freshness;
        if (auto f = request.query.get("freshness")) freshness = std::string(*f);
        if (request.method == "POST") {
            auto body = parse_statements_body(request.body, statements);
            if (body.contains("level")) {
                if (!body["level"].is_string()) throw RequestError("\"level\" must be a string");
                level_name = body["level"].get<std::string>();
            }
            if (body.contains("freshness")) {
                if (!body["freshness"].is_string()) {
                    throw RequestError("\"freshness\" must be a string such as \"1s\"");
                }
                freshness = body["freshness"].get<std::string>();
            }
        } else {
            for (auto& q : request.query.get_all("q"))
                statements.push_back({std::move(q), {}});
            if (statements.empty()) throw RequestError("missing query parameter q=<SQL>");
        }
        consistency.level = parse_level(level_name);
        // The bound matters to level none only (the node's own state); the other levels read
        // the leader's state and ignore it, as rqlite does.
        if (freshness) consistency.freshness = parse_duration(*freshness, "freshness");
    } catch (const RequestError& e) {
        responder.respond(http::Response::error(400, e.what()));
        return;
    }
    service_.query(
        std::move(statements), consistency,
        [responder, start, metrics = metrics_](backend::QueryReply reply) {
            if (reply.failure == backend::Failure::BackendFailure && metrics)
                metrics->count_backend_error("query");
            if (reply.failure != backend::Failure::None) {
                responder.respond(failure_response(reply.failure, reply.error, reply.statement));
                return;
            }
            responder.respond(
                http::Response::json(200, query_results_to_json(reply, seconds_since(start))));
        });
}

http::Response Api::health(bool /*status_endpoint*/) {
    auto s = service_.status();
    std::vector<std::string> healthy_members;
    if (auto* raft = service_.raft()) healthy_members = raft->view().healthy_members;
    nlohmann::json details = {
        {"Healthy", s.healthy},
        {"Hostname", s.hostname},
        {"Token", s.token},
        {"IsActiveNode", s.is_leader},
        {"ActiveNode", {{"Hostname", s.leader}, {"Token", s.leader_token}}},
        {"Error", s.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.error)},
        {"AvailableNodes", s.available_nodes},
        {"RaftLeader", s.mode == "raft" ? s.leader : ""},
        {"IsRaftLeader", s.mode == "raft" && s.is_leader},
        {"RaftLeaderURI", s.leader_url},
        {"RaftAdvertise", config_.raft_enabled ? config_.raft_self.id : ""},
        {"RaftHealthyMembers", healthy_members},
        {"Mode", s.mode},
    };
    if (s.healthy) return envelope_ok("Application node is healthy", details);
    return envelope_error("Application node is unhealthy", details);
}

http::Response Api::leader_check(const std::vector<std::string>& args) {
    if (service_.status().is_leader) return http::Response::json(200, "OK");
    int code = 404;
    if (args.size() == 2) {
        int parsed = 0;
        const auto& text = args[1];
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
        if (ec == std::errc() && end == text.data() + text.size() && parsed >= 100 &&
            parsed <= 599) {
            code = parsed;
        }
    }
    return http::Response::json(code, "Not leader");
}

}  // namespace orcraft::server::api
