// The real orcraft-client binary against fake nodes: leader search across several URLs, the
// error report when no node answers, raft commands, retries, unknown outcomes and exit statuses.

#include <catch2/catch.hpp>

#include <atomic>

#include <nlohmann/json.hpp>

#include "tests/client/client_runner.hpp"

using namespace orcraft::tests;
using orcraft::server::http::Request;
using orcraft::server::http::Response;
using namespace std::chrono_literals;

namespace {

std::string dead_url() {
    return "http://127.0.0.1:" + std::to_string(dead_port());
}

// A node that says it is not the leader and cannot route either.
void make_follower(FakeNode& node) {
    node.on("/api/leader-check", 404, R"("Not leader")");
    node.on("/api/routed-leader-check", 404, R"("Not leader")");
}

void make_leader(FakeNode& node) {
    node.on("/api/leader-check", 200, R"("OK")");
    node.on("/api/routed-leader-check", 200, R"("OK")");
}

}  // namespace

TEST_CASE("the first URL answering leader-check 200 is chosen after a dead one and a follower",
          "[client]") {
    FakeNode follower, leader;
    make_follower(follower);
    make_leader(leader);
    leader.on("/api/db/query", 200,
              R"({"results": [{"columns": ["n"], "types": ["integer"], "values": [[5]]}]})");
    const std::string urls = dead_url() + "," + follower.url() + "," + leader.url();

    auto run = run_client({"--api", urls, "which-api"});
    CHECK(run.status == 0);
    CHECK(run.out == leader.url() + "/api\n");

    run = run_client({"query", "SELECT COUNT(*) AS n FROM t"}, {{"ORCRAFT_API", urls}});
    CHECK(run.status == 0);
    CHECK(run.out == "n\n-\n5\n(1 row)\n");
    CHECK(follower.targets() == std::vector<std::string>{"/api/leader-check", "/api/leader-check"});
    const auto seen = leader.requests();
    REQUIRE(seen.size() == 3);  // leader-check by each run, then the query
    CHECK(seen[2].method == "POST");
    CHECK(seen[2].target == "/api/db/query");
    CHECK(nlohmann::json::parse(seen[2].body) ==
          nlohmann::json::parse(R"({"statements": ["SELECT COUNT(*) AS n FROM t"]})"));
}

TEST_CASE("routed-leader-check chooses a follower that can reach the leader", "[client]") {
    FakeNode a, b;
    make_follower(a);
    make_follower(b);
    b.on("/api/routed-leader-check", 200, R"("OK")");
    auto run = run_client({"which-api", "-v"},
                          {{"ORCHESTRATOR_API", a.url() + "/api " + b.url() + "/api"}});
    CHECK(run.status == 0);
    CHECK(run.out == b.url() + "/api\n");
    CHECK(run.err.find("GET " + b.url() + "/api/routed-leader-check -> HTTP 200") !=
          std::string::npos);
}

TEST_CASE("no leader - every URL is listed with what failed and the exit status is 3", "[client]") {
    FakeNode follower;
    make_follower(follower);
    SilentPort silent;
    const std::string dead = dead_url();
    auto run =
        run_client({"--probe-timeout", "0.3", "--api", dead, "--api",
                    silent.url() + "," + follower.url(), "execute", "INSERT INTO t VALUES (1)"});
    CHECK(run.status == 3);
    CHECK(run.out.empty());
    CHECK(run.err ==
          "orcraft-client: no leader found among 3 API URLs:\n"
          "  " +
              dead +
              "/api: leader-check: connection refused\n"
              "  " +
              silent.url() +
              "/api: leader-check: no answer within 300 ms\n"
              "  " +
              follower.url() + "/api: leader-check: HTTP 404; routed-leader-check: HTTP 404\n");
    // One timeout for the silent node, not one per pass.
    CHECK(run.took < 2500ms);
}

TEST_CASE("URL prefixes and basic authentication reach the node", "[client]") {
    FakeNode node;
    node.on("/orc/api/leader-check", 200, R"("OK")");
    node.on("/orc/api/raft-leader", 200, R"("10.0.0.1:10008")");
    auto run = run_client({"--api", node.url() + "/orc/api", "-u", "admin:s3cret", "raft-leader"});
    CHECK(run.status == 0);
    CHECK(run.out == "10.0.0.1:10008\n");
    for (const auto& r : node.requests())
        CHECK(r.authorization == "Basic YWRtaW46czNjcmV0");  // admin:s3cret

    run = run_client({"raft-leader"},
                     {{"ORCRAFT_API", node.url() + "/orc"}, {"ORCRAFT_USER", "readonly"}});
    CHECK(run.status == 0);
    CHECK(node.requests().back().authorization == "Basic cmVhZG9ubHk6");  // readonly:
}

TEST_CASE("raft commands print what orchestrator-client prints", "[client]") {
    FakeNode node;
    make_leader(node);
    node.on("/api/raft-health", 200, R"("healthy")");
    node.on("/api/raft-leader", 200, R"("")");
    node.on("/api/raft-yield/127.0.0.2:10008", 200,
            R"({"Code": "OK", "Message": "Asynchronously yielded", "Details": null})");
    node.on(
        "/api/raft-yield-hint/node3", 200,
        R"({"Code": "OK", "Message": "Asynchronously yielded by hint node3", "Details": "node3"})");
    const std::map<std::string, std::string> env{{"ORCRAFT_API", node.url()}};

    auto run = run_client({"raft-health"}, env);
    CHECK(run.status == 0);
    CHECK(run.out == "healthy\n");

    run = run_client({"raft-leader"}, env);
    CHECK(run.status == 1);
    CHECK(run.err == "orcraft-client: " + node.url() + "/api: no raft leader known\n");

    run = run_client({"yield", "127.0.0.2:10008"}, env);
    CHECK(run.status == 0);
    CHECK(run.out == "Asynchronously yielded\n");

    run = run_client({"yield", "--hint", "node3"}, env);
    CHECK(run.status == 0);
    CHECK(run.out == "Asynchronously yielded by hint node3\n");

    node.on("/api/raft-health", 500,
            R"({"Code": "ERROR", "Message": "unhealthy", "Details": null})");
    run = run_client({"raft-health"}, env);
    CHECK(run.status == 1);
    CHECK(run.err == "orcraft-client: " + node.url() + "/api: HTTP 500: unhealthy\n");

    run = run_client({"api", "raft-health"}, env);
    CHECK(run.status == 1);
    CHECK(run.out == R"({"Code": "ERROR", "Message": "unhealthy", "Details": null})"
                     "\n");
}

TEST_CASE("retries with --wait after a 503 and a missing leader until the cluster answers",
          "[client]") {
    FakeNode node;
    make_leader(node);
    std::atomic<int> writes{0};
    node.on("/api/db/execute", [&](const Request&) {
        if (writes.fetch_add(1) < 2) {
            Response r = Response::error(503, "no leader");
            r.headers.set("Retry-After", "1");
            return r;
        }
        return Response::json(
            200, nlohmann::json::parse(R"({"results": [{"rows_affected": 1}], "index": 9})"));
    });
    const std::map<std::string, std::string> env{{"ORCRAFT_API", node.url()}};

    auto run = run_client({"execute", "DELETE FROM t"}, env);
    CHECK(run.status == 1);
    CHECK(run.err == "orcraft-client: " + node.url() + "/api: HTTP 503: no leader\n");

    run = run_client({"execute", "DELETE FROM t", "--wait", "10"}, env);
    CHECK(run.status == 0);
    CHECK(run.out == "1 row affected\n");
    CHECK(writes.load() == 3);

    // No leader yet: the search is repeated until one appears.
    FakeNode late;
    make_follower(late);
    late.on("/api/status", 200, R"({"Code": "OK", "Message": "ok", "Details": {}})");
    std::atomic<int> checks{0};
    late.on("/api/leader-check", [&](const Request&) {
        return checks.fetch_add(1) < 3 ? Response::json(404, "Not leader")
                                       : Response::json(200, "OK");
    });
    run = run_client({"status", "--wait", "10", "--api", late.url()});
    CHECK(run.status == 0);
    CHECK(run.out == "ok\n");
}

TEST_CASE("a write sent without an answer ends with status 4 and is not resent", "[client]") {
    SilentPort silent;
    auto run = run_client({"--direct", "--timeout", "0.3", "--wait", "5", "--api", silent.url(),
                           "execute", "INSERT INTO t VALUES (1)"});
    CHECK(run.status == 4);
    CHECK(run.err == "orcraft-client: " + silent.url() +
                         "/api: no answer within 300 ms (the outcome is unknown: it may have been "
                         "applied)\n");
    CHECK(run.took < 2000ms);

    FakeNode node;
    make_leader(node);
    node.on("/api/db/execute", 504, R"({"error": "not confirmed within 10 s"})");
    run = run_client({"--api", node.url(), "execute", "INSERT INTO t VALUES (1)"});
    CHECK(run.status == 4);
    CHECK(run.err.find("HTTP 504: not confirmed within 10 s (the outcome is unknown") !=
          std::string::npos);

    // A node that is gone after the search: not sent, so status 3.
    run = run_client({"--direct", "--api", dead_url(), "status"});
    CHECK(run.status == 3);
    CHECK(run.err.find("connection refused (the request was not sent)") != std::string::npos);
}

TEST_CASE("usage errors exit 2 and --help documents the exit statuses", "[client]") {
    auto run = run_client({"--help"});
    CHECK(run.status == 0);
    CHECK(run.out.find("Exit status:") != std::string::npos);
    CHECK(run.out.find("ORCHESTRATOR_API") != std::string::npos);

    run = run_client({"frobnicate"});
    CHECK(run.status == 2);
    CHECK(run.err == "orcraft-client: unknown command 'frobnicate' (see --help)\n");

    run = run_client({"status"}, {{"ORCRAFT_API", "https://x:1"}});
    CHECK(run.status == 2);
    CHECK(run.err.find("https is not supported") != std::string::npos);

    // No SQL at all (empty standard input): nothing is contacted.
    FakeNode node;
    run = run_client({"--api", node.url(), "execute"}, {}, std::string(""));
    CHECK(run.status == 2);
    CHECK(run.err.find("no SQL given") != std::string::npos);
    CHECK(node.requests().empty());
}
