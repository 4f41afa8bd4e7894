// Three real orcraft processes in shared-backend mode (RaftEnabled false) on one real MariaDB.
#include <catch2/catch.hpp>

#include <signal.h>

#include <thread>

#include "shared_cluster.hpp"
#include "tests/polling.hpp"

using namespace std::chrono_literals;
using orcraft::tests::always_for;
using orcraft::tests::Answer;
using orcraft::tests::eventually;
using orcraft::tests::NodeProcess;
using orcraft::tests::SharedCluster;
using orcraft::tests::TempDir;
using orcraft::tests::TestMariadb;

namespace {

using Clock = std::chrono::steady_clock;

std::string token_of(const Answer& health) {
    return health.json["Details"]["Token"].get<std::string>();
}

std::int64_t count_rows(SharedCluster& cluster, std::size_t node) {
    auto a = cluster.post(node, "/api/db/query", {{"statements", {"SELECT COUNT(*) FROM notes"}}});
    if (a.status != 200) return -1;
    return a.json["results"][0]["values"][0][0].get<std::int64_t>();
}

}  // namespace

TEST_CASE("shared backend: exactly one active node, and every node reports it",
          "[shared_backend][process]") {
    auto db = TestMariadb::shared_or_private();
    SharedCluster cluster(*db, TestMariadb::unique_database("sb_one"), 3);
    cluster.start_all();
    auto leader = cluster.wait_single_leader(15s);
    REQUIRE(leader);
    // It stays that way while the lease is renewed several times.
    CHECK(always_for(3s, [&] { return cluster.leaders().size() == 1; }));
    REQUIRE(cluster.leaders() == std::vector<std::size_t>{*leader});

    const auto leader_health = cluster.get(*leader, "/api/health");
    REQUIRE(leader_health.valid_json);
    const auto leader_token = token_of(leader_health);
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        INFO("node " << i);
        auto h = cluster.get(i, "/api/health");
        REQUIRE(h.status == 200);
        REQUIRE(h.valid_json);
        CHECK(h.json["Code"] == "OK");
        CHECK(h.json["Details"]["Healthy"] == true);
        CHECK(h.json["Details"]["IsActiveNode"] == (i == *leader));
        CHECK(h.json["Details"]["ActiveNode"]["Token"] == leader_token);
        CHECK(h.json["Details"]["Mode"] == "shared-backend");
        auto s = cluster.get(i, "/api/status");
        CHECK(s.status == 200);
        CHECK(s.json["Details"]["IsActiveNode"] == (i == *leader));
        // Raft endpoints answer orchestrator's error, as valid JSON.
        auto r = cluster.get(i, "/api/raft-state");
        CHECK(r.status == 500);
        REQUIRE(r.valid_json);
        CHECK(r.json["Message"] == "raft-state: not running with raft setup");
        auto code = cluster.get(i, "/api/leader-check/503");
        CHECK(code.status == (i == *leader ? 200 : 503));
        CHECK(code.valid_json);
    }
}

TEST_CASE("shared backend: writes through any node are visible through every node",
          "[shared_backend][process]") {
    auto db = TestMariadb::shared_or_private();
    SharedCluster cluster(*db, TestMariadb::unique_database("sb_rw"), 3);
    cluster.start_all();
    REQUIRE(cluster.wait_single_leader(15s));

    auto created = cluster.post(
        1, "/api/db/execute",
        {{"statements",
          {"CREATE TABLE notes (id INTEGER PRIMARY KEY, author VARCHAR(20), at DATETIME)"}}});
    REQUIRE(created.status == 200);
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        for (int k = 0; k < 3; ++k) {
            const auto id = static_cast<std::int64_t>(i * 10 + k);
            auto a = cluster.post(i, "/api/db/execute",
                                  {{"statements",
                                    {{"INSERT INTO notes (id, author, at) VALUES (?, ?, NOW())", id,
                                      "node" + std::to_string(i)}}}});
            INFO(a.body);
            REQUIRE(a.status == 200);
            CHECK(a.json["results"][0]["rows_affected"] == 1);
        }
    }
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        INFO("reading through node " << i);
        CHECK(count_rows(cluster, i) == 9);
        auto a = cluster.post(
            i, "/api/db/query",
            {{"statements",
              {"SELECT author, COUNT(*) FROM notes GROUP BY author ORDER BY author"}}});
        REQUIRE(a.status == 200);
        CHECK(a.json["results"][0]["values"] ==
              nlohmann::json::parse(R"([["node0",3],["node1",3],["node2",3]])"));
    }
    // A statement error is the client's, and leaves nothing behind.
    auto dup = cluster.post(2, "/api/db/execute",
                            {{"statements",
                              {"INSERT INTO notes (id, author) VALUES (100, 'x')",
                               "INSERT INTO notes (id, author) VALUES (0, 'duplicate')"}}});
    CHECK(dup.status == 400);
    CHECK(dup.valid_json);
    CHECK(count_rows(cluster, 0) == 9);
}

TEST_CASE("shared backend: reelect moves leadership, grab-election takes it",
          "[shared_backend][process]") {
    auto db = TestMariadb::shared_or_private();
    SharedCluster cluster(*db, TestMariadb::unique_database("sb_reelect"), 3);
    cluster.start_all();
    auto leader = cluster.wait_single_leader(15s);
    REQUIRE(leader);

    // reelect asked of a node that is not active.
    const std::size_t other = (*leader + 1) % cluster.size();
    auto r = cluster.get(other, "/api/reelect");
    REQUIRE(r.status == 200);
    REQUIRE(r.valid_json);
    CHECK(r.json["Code"] == "OK");
    CHECK(r.json["Message"] == "Set re-elections");
    std::optional<std::size_t> next;
    CHECK(eventually(5s, [&] {
        auto l = cluster.leaders();
        if (l.size() == 1 && l.front() != *leader) next = l.front();
        return next.has_value();
    }));
    REQUIRE(next);

    // reelect asked of the active node itself.
    r = cluster.get(*next, "/api/reelect");
    REQUIRE(r.status == 200);
    std::optional<std::size_t> third;
    CHECK(eventually(5s, [&] {
        auto l = cluster.leaders();
        if (l.size() == 1 && l.front() != *next) third = l.front();
        return third.has_value();
    }));
    REQUIRE(third);

    // grab-election: the asking node is active at once, and the old one yields within a tick.
    const std::size_t grabber = (*third + 1) % cluster.size();
    auto g = cluster.get(grabber, "/api/grab-election");
    REQUIRE(g.status == 200);
    CHECK(g.json["Code"] == "OK");
    CHECK(cluster.get(grabber, "/api/leader-check").status == 200);
    CHECK(eventually(3s, [&] { return cluster.leaders() == std::vector<std::size_t>{grabber}; }));
    CHECK(always_for(2s, [&] { return cluster.leaders() == std::vector<std::size_t>{grabber}; }));
}

TEST_CASE("shared backend: an active node stopped gracefully hands over within a tick",
          "[shared_backend][process]") {
    auto db = TestMariadb::shared_or_private();
    SharedCluster cluster(*db, TestMariadb::unique_database("sb_sigterm"), 3);
    cluster.start_all();
    auto leader = cluster.wait_single_leader(15s);
    REQUIRE(leader);
    const auto at = Clock::now();
    cluster.node(*leader).signal(SIGTERM);
    CHECK(cluster.node(*leader).wait_exit(10s) == 0);
    std::optional<std::size_t> next;
    CHECK(eventually(5s, [&] {
        auto l = cluster.leaders();
        if (l.size() == 1) next = l.front();
        return next.has_value();
    }));
    const double seconds = std::chrono::duration<double>(Clock::now() - at).count();
    INFO("took over " << seconds << " s after SIGTERM");
    REQUIRE(next);
    CHECK(*next != *leader);
    // The lease was given up: no waiting for it to expire (5 s), one round (1 s) is enough.
    CHECK(seconds < 2.5);
}

TEST_CASE("shared backend: with MariaDB down every node is unhealthy and none leads",
          "[shared_backend][process][outage]") {
    auto db = TestMariadb::start_private();
    SharedCluster cluster(*db, TestMariadb::unique_database("sb_outage"), 3);
    cluster.start_all();
    REQUIRE(cluster.wait_single_leader(15s));

    db->stop();
    const auto all_down = [&] {
        for (std::size_t i = 0; i < cluster.size(); ++i) {
            auto h = cluster.get(i, "/api/health");
            if (h.status != 500 || !h.valid_json || h.json["Details"]["Healthy"] != false)
                return false;
            if (cluster.get(i, "/api/leader-check").status != 404) return false;
        }
        return true;
    };
    // Within the lease (5 s) plus a round and the connect timeout.
    CHECK(eventually(9s, all_down));
    // And it stays so: nobody claims leadership without the database.
    CHECK(always_for(2s, [&] { return cluster.leaders().empty(); }));
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        auto h = cluster.get(i, "/api/health");
        INFO(h.body);
        CHECK(h.json["Code"] == "ERROR");
        CHECK(h.json["Details"]["Error"].is_string());
        CHECK(cluster.get(i, "/api/lb-check").status == 200);
        // Writes fail cleanly, with a JSON body, and promptly: the writer does not sit in a
        // long reconnect loop (the connect timeout is 1 s here).
        for (int attempt = 0; attempt < 2; ++attempt) {
            const auto start = Clock::now();
            auto w = cluster.post(i, "/api/db/execute",
                                  {{"statements", {"CREATE TABLE t (id INTEGER PRIMARY KEY)"}}});
            CHECK(w.status == 500);
            CHECK(w.valid_json);
            CHECK(Clock::now() - start < 3s);
        }
    }

    db->start();
    auto leader = cluster.wait_single_leader(15s);
    REQUIRE(leader);
    const bool steady = always_for(3s, [&] { return cluster.leaders().size() == 1; });
    INFO((steady ? std::string() : cluster.logs()));
    CHECK(steady);
}

TEST_CASE("shared backend: a hung MariaDB makes the active node step down on its own",
          "[shared_backend][process][outage]") {
    auto db = TestMariadb::start_private();
    SharedCluster cluster(*db, TestMariadb::unique_database("sb_hang"), 3);
    cluster.start_all();
    REQUIRE(cluster.wait_single_leader(15s));

    db->pause();
    const auto paused_at = Clock::now();
    // The lease (5 s) expires locally even though the election's queries are stuck.
    CHECK(eventually(7s, [&] { return cluster.leaders().empty(); }));
    const double seconds = std::chrono::duration<double>(Clock::now() - paused_at).count();
    INFO("no leader " << seconds << " s after the database hung");
    CHECK(seconds <= 6.5);
    // Every node's last good round is older than the lease soon after: all unhealthy.
    CHECK(eventually(3s, [&] {
        for (std::size_t i = 0; i < cluster.size(); ++i)
            if (cluster.get(i, "/api/health").status != 500) return false;
        return true;
    }));
    // Health endpoints keep answering, quickly, as unhealthy.
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        const auto start = Clock::now();
        auto h = cluster.get(i, "/api/health");
        CHECK(h.status == 500);
        CHECK(h.valid_json);
        CHECK(Clock::now() - start < 1s);
    }
    db->resume();
    const auto resumed_at = Clock::now();
    REQUIRE(cluster.wait_single_leader(20s));
    INFO("a single leader " << std::chrono::duration<double>(Clock::now() - resumed_at).count()
                            << " s after the database resumed");
    const bool steady = always_for(2s, [&] { return cluster.leaders().size() == 1; });
    INFO((steady ? std::string() : cluster.logs()));
    CHECK(steady);
}

TEST_CASE("SQLite with RaftEnabled false: one standalone node that is always the leader",
          "[shared_backend][process]") {
    TempDir dir;
    NodeProcess node(dir.path(), {{"RaftEnabled", false}, {"BackendDB", "sqlite"}});
    node.start();
    auto c = node.client();
    CHECK(c.get("/api/leader-check").status == 200);
    auto h = c.get("/api/health");
    CHECK(h.status == 200);
    CHECK(nlohmann::json::parse(h.body)["Details"]["Mode"] == "standalone");
    auto r = c.get("/api/reelect");
    CHECK(r.status == 200);
    CHECK(nlohmann::json::parse(r.body)["Message"] == "Set re-elections");
    CHECK(c.get("/api/grab-election").status == 200);
    CHECK(c.get("/api/leader-check").status == 200);
}
