// Shared-backend nodes started while the database cannot be used: they serve their HTTP API at
// once, as unhealthy and without a leader, keep trying to open the database, and run normally
// once they can.
#include <catch2/catch.hpp>

#include <thread>

#include "shared_cluster.hpp"
#include "tests/polling.hpp"

using namespace std::chrono_literals;
using orcraft::tests::always_for;
using orcraft::tests::Answer;
using orcraft::tests::eventually;
using orcraft::tests::SharedCluster;
using orcraft::tests::TestMariadb;

namespace {

using Clock = std::chrono::steady_clock;

bool unhealthy(const Answer& health) {
    return health.status == 500 && health.valid_json && health.json["Code"] == "ERROR" &&
           health.json["Details"]["Healthy"] == false &&
           health.json["Details"]["IsActiveNode"] == false &&
           health.json["Details"]["Error"].is_string() &&
           !health.json["Details"]["Error"].get<std::string>().empty();
}

std::size_t count_lines_with(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (text.substr(start, end - start).find(needle) != std::string::npos) ++count;
        start = end + 1;
    }
    return count;
}

}  // namespace

TEST_CASE("shared backend: nodes started with MariaDB down come up unhealthy and recover",
          "[shared_backend][process][outage]") {
    auto db = TestMariadb::start_private();
    db->stop();
    SharedCluster cluster(*db, TestMariadb::unique_database("sb_cold"), 3);
    // start() returns once a node listens: the HTTP API does not wait for the database.
    cluster.start_all();

    for (std::size_t i = 0; i < cluster.size(); ++i) {
        INFO("node " << i);
        auto h = cluster.get(i, "/api/health");
        INFO(h.body);
        CHECK(unhealthy(h));
        CHECK(h.json["Details"]["Mode"] == "shared-backend");
        CHECK(h.json["Details"]["Error"].get<std::string>().find("shared backend unavailable") !=
              std::string::npos);
        auto s = cluster.get(i, "/api/status");
        CHECK(unhealthy(s));
        auto l = cluster.get(i, "/api/leader-check");
        CHECK(l.status == 404);
        CHECK(l.valid_json);
        CHECK(cluster.get(i, "/api/lb-check").status == 200);

        // Writes and reads are refused for now (503, retry later), with a JSON error naming the
        // problem.
        auto w = cluster.node(i).post(
            "/api/db/execute", {{"statements", {"CREATE TABLE t (id INTEGER PRIMARY KEY)"}}});
        CHECK(w.status == 503);
        CHECK(w.headers.get("Retry-After").has_value());
        const auto body = nlohmann::json::parse(w.body, nullptr, false);
        REQUIRE(!body.is_discarded());
        CHECK(body["error"].get<std::string>().find("shared backend unavailable") !=
              std::string::npos);
        auto q = cluster.post(i, "/api/db/query", {{"statements", {"SELECT 1"}}});
        CHECK(q.status == 503);
        CHECK(q.valid_json);

        auto g = cluster.get(i, "/api/grab-election");
        CHECK(g.status != 200);
        CHECK(g.valid_json);
    }
    // Nobody claims leadership while the database is down, and the nodes stay up.
    CHECK(always_for(2s, [&] {
        for (std::size_t i = 0; i < cluster.size(); ++i)
            if (!unhealthy(cluster.get(i, "/api/health"))) return false;
        return cluster.leaders().empty();
    }));

    db->start();
    // The retries are at most 4 s apart, then one election round.
    const auto started = Clock::now();
    auto leader = cluster.wait_single_leader(20s);
    REQUIRE(leader);
    INFO("one leader " << std::chrono::duration<double>(Clock::now() - started).count()
                       << " s after MariaDB started");
    CHECK(always_for(2s, [&] { return cluster.leaders().size() == 1; }));

    auto created = cluster.post(
        *leader, "/api/db/execute",
        {{"statements", {"CREATE TABLE notes (id INTEGER PRIMARY KEY, author VARCHAR(20))"}}});
    REQUIRE(created.status == 200);
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        auto w = cluster.post(
            i, "/api/db/execute",
            {{"statements",
              {{"INSERT INTO notes (id, author) VALUES (?, ?)", i, "node" + std::to_string(i)}}}});
        INFO(w.body);
        CHECK(w.status == 200);
    }
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        auto q = cluster.post(i, "/api/db/query", {{"statements", {"SELECT COUNT(*) FROM notes"}}});
        REQUIRE(q.status == 200);
        CHECK(q.json["results"][0]["values"][0][0] == 3);
    }
    // A warning per distinct error, not one per attempt (the server starting may answer with a
    // second error before it accepts connections).
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        const auto log = cluster.node(i).log();
        INFO(log);
        const auto warnings = count_lines_with(log, "cannot open the backend");
        CHECK(warnings >= 1);
        CHECK(warnings <= 2);
    }
}

TEST_CASE("shared backend: a wrong password is retried and logged once as an error",
          "[shared_backend][process]") {
    auto db = TestMariadb::shared_or_private();
    SharedCluster cluster(
        *db, TestMariadb::unique_database("sb_badpw"), 1,
        {{"MySQLOrchestratorPassword", "not-the-password"}, {"SharedBackendTickMillis", 200}});
    cluster.start_all();
    CHECK(eventually(5s, [&] { return unhealthy(cluster.get(0, "/api/health")); }));
    // Several attempts (200, 400, 800 ms apart) while the node keeps serving.
    CHECK(always_for(2s, [&] {
        return unhealthy(cluster.get(0, "/api/health")) &&
               cluster.get(0, "/api/leader-check").status == 404;
    }));
    auto h = cluster.get(0, "/api/health");
    INFO(h.body);
    CHECK(h.json["Details"]["Error"].get<std::string>().find("MySQL error 1045") !=
          std::string::npos);
    const auto log = cluster.node(0).log();
    INFO(log);
    CHECK(count_lines_with(log, "MySQL error 1045") == 1);
    CHECK(count_lines_with(log, "[error]") >= 1);
    CHECK(count_lines_with(log, "check the configuration") == 1);
}
