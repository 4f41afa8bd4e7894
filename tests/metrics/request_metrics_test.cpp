// The HTTP side: route names, the counting responder and the /api/metrics answer, without a
// server (handlers and responders are plain objects).

#include <catch2/catch.hpp>

#include <optional>

#include "server/api/request_metrics.hpp"
#include "tests/metrics/exposition_parser.hpp"

using namespace orcraft::server;
using orcraft::tests::parse_exposition;

TEST_CASE("a request path maps to a route name from a fixed set", "[metrics]") {
    const std::string api = "/api";
    const std::string status = "/api/status";
    CHECK(api::route_label("/api/db/execute", api, status) == "db/execute");
    CHECK(api::route_label("/api/db/query", api, status) == "db/query");
    CHECK(api::route_label("/api/db/query/", api, status) == "db/query");
    CHECK(api::route_label("/api//db//execute", api, status) == "db/execute");
    CHECK(api::route_label("/api/db/drop", api, status) == "other");
    CHECK(api::route_label("/api/db", api, status) == "other");
    CHECK(api::route_label("/api/health", api, status) == "health");
    CHECK(api::route_label("/api/leader-check/503", api, status) == "leader-check");
    CHECK(api::route_label("/api/raft-state", api, status) == "raft-state");
    CHECK(api::route_label("/api/metrics", api, status) == "metrics");
    CHECK(api::route_label("/api/status", api, status) == "status");
    CHECK(api::route_label("/api/status/", api, status) == "status");
    CHECK(api::route_label("/api/no-such-route", api, status) == "other");
    CHECK(api::route_label("/api", api, status) == "other");
    CHECK(api::route_label("/apix/health", api, status) == "other");
    CHECK(api::route_label("/favicon.ico", api, status) == "other");
    // A URLPrefix and a status endpoint outside /api.
    CHECK(api::route_label("/orc/api/db/execute", "/orc/api", "/orc/healthz") == "db/execute");
    CHECK(api::route_label("/orc/healthz", "/orc/api", "/orc/healthz") == "status");
    CHECK(api::route_label("/api/db/execute", "/orc/api", "/orc/healthz") == "other");
}

TEST_CASE("the counting responder counts each answer once, abandoned ones as 500", "[metrics]") {
    metrics::Registry registry;
    metrics::NodeMetrics node(registry);
    std::vector<int> delivered;
    auto sink = [&](http::Response r) { delivered.push_back(r.status); };

    {
        auto responder = api::counting_responder(node, "health", http::Responder(sink));
        CHECK(responder.respond(http::Response::json(200, "OK")));
        CHECK_FALSE(responder.respond(http::Response::json(503, "late")));
    }
    {
        // The handler drops the responder without answering.
        auto responder = api::counting_responder(node, "db/execute", http::Responder(sink));
    }
    CHECK(delivered == std::vector<int>{200, 500});
    const auto p = parse_exposition(registry.expose());
    CHECK(p.value("orcraft_http_requests_total", {{"route", "health"}, {"status", "200"}}) == 1);
    CHECK_FALSE(p.has("orcraft_http_requests_total", {{"route", "health"}, {"status", "503"}}));
    CHECK(p.value("orcraft_http_requests_total", {{"route", "db/execute"}, {"status", "500"}}) ==
          1);
}

TEST_CASE("the /api/metrics answer", "[metrics]") {
    CHECK(api::metrics_response(nullptr).status == 404);
    metrics::Registry registry;
    metrics::NodeMetrics node(registry);
    const auto response = api::metrics_response(&node);
    CHECK(response.status == 200);
    CHECK(response.headers.get("Content-Type") ==
          std::optional<std::string_view>("text/plain; version=0.0.4; charset=utf-8"));
    CHECK(parse_exposition(response.body).families.count("orcraft_raft_term") == 1);
}
