// Three real orcraft processes in raft mode on 127.0.0.1/.2/.3: election, orchestrator's raft and
// health endpoints, the SQL API through any node (followers forward to the leader), leadership
// hand-over, and a minority that refuses writes. SQLite, MySQL and mixed clusters.

#include <catch2/catch.hpp>

#include "tests/cluster/raft_cluster.hpp"
#include "tests/polling.hpp"

using namespace orcraft::tests;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The MariaDB a kind of cluster needs; false (with a warning) when MySQL tests are skipped.
bool have_backend(const std::string& kind) {
    if (kind == "sqlite") return true;
    if (test_mariadb()) return true;
    WARN("skipped: ORCRAFT_TEST_SKIP_MYSQL is set");
    return false;
}

json stmt(const std::string& sql, json params = json::array()) {
    json s = json::array({sql});
    for (auto& p : params)
        s.push_back(p);
    return s;
}

Reply execute(RaftCluster& c, std::size_t i, json statements) {
    return c.post(i, "/api/db/execute", {{"statements", std::move(statements)}});
}

void check_endpoints(RaftCluster& c, std::size_t leader) {
    const std::string leader_url = "http://" + c.ip(leader) + ":" + std::to_string(c.http_port());
    for (std::size_t i = 0; i < c.size(); ++i) {
        INFO("node " << i << ", leader " << leader);
        const bool is_leader = i == leader;
        auto state = c.get(i, "/api/raft-state");
        CHECK(state.status == 200);
        CHECK(state.json == (is_leader ? "Leader" : "Follower"));
        CHECK(c.get(i, "/api/raft-leader").json == c.identity(leader));
        auto health = c.get(i, "/api/raft-health");
        CHECK(health.status == 200);
        CHECK(health.json == "healthy");

        auto status = c.get(i, "/api/raft-status/");
        REQUIRE(status.valid_json);
        CHECK(status.json["RaftAdvertise"] == c.identity(i));
        CHECK(status.json["RaftBind"] == c.identity(i));
        CHECK(status.json["State"] == (is_leader ? "Leader" : "Follower"));
        CHECK(status.json["Healthy"] == true);
        CHECK(status.json["IsPartOfQuorum"] == true);
        CHECK(status.json["Leader"] == c.identity(leader));
        CHECK(status.json["LeaderURI"] == leader_url);
        CHECK(status.json["Peers"].size() == 3);

        auto peers = c.get(i, "/api/raft-peers");
        REQUIRE(peers.json.is_array());
        for (std::size_t j = 0; j < c.size(); ++j) {
            CHECK(std::find(peers.json.begin(), peers.json.end(), json(c.identity(j))) !=
                  peers.json.end());
        }

        auto h = c.get(i, "/api/health");
        CHECK(h.status == 200);
        CHECK(h.json["Code"] == "OK");
        const auto& d = h.json["Details"];
        CHECK(d["RaftLeader"] == c.identity(leader));
        CHECK(d["IsRaftLeader"] == is_leader);
        CHECK(d["RaftLeaderURI"] == leader_url);
        CHECK(d["RaftAdvertise"] == c.identity(i));
        CHECK(d["IsActiveNode"] == is_leader);
        CHECK(d["RaftHealthyMembers"].size() == (is_leader ? 3u : 0u));
        CHECK(c.get(i, "/api/status").json["Details"]["Hostname"].is_string());

        CHECK(c.get(i, "/api/leader-check").status == (is_leader ? 200 : 404));
        auto lc = c.get(i, "/api/leader-check/503");
        CHECK(lc.status == (is_leader ? 200 : 503));
        CHECK(lc.json == (is_leader ? "OK" : "Not leader"));
        auto routed = c.get(i, "/api/routed-leader-check");
        CHECK(routed.status == 200);
        CHECK(routed.json == "OK");
        CHECK(c.get(i, "/api/lb-check").json == "OK");
        CHECK(c.get(i, "/api/_ping").status == 200);
        // Node-local, so a follower answers itself: yielding needs the leader.
        if (!is_leader) {
            auto y = c.get(i, "/api/raft-yield/" + c.identity(i));
            CHECK(y.status == 500);
            CHECK(y.json["Code"] == "ERROR");
        }
    }
}

void basic_scenario(const std::string& kind) {
    RaftCluster c(three(kind), kind == "sqlite" ? nullptr : test_mariadb());
    c.start_all();
    auto leader = c.wait_leader();
    REQUIRE(leader);
    check_endpoints(c, *leader);

    const std::size_t f = (*leader + 1) % 3;
    auto created = execute(c, f,
                           json::array({"CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v "
                                        "VARCHAR(32), at DATETIME DEFAULT CURRENT_TIMESTAMP, r "
                                        "DOUBLE)",
                                        stmt("INSERT INTO t (v, r) VALUES (?, RAND())", {"a"})}));
    REQUIRE(created.status == 200);
    CHECK(created.json["results"][1]["last_insert_id"] == 1);
    CHECK(created.json["index"].get<std::uint64_t>() > 0);
    for (std::size_t i = 0; i < c.size(); ++i) {
        auto r = execute(c, i,
                         json::array({stmt("INSERT INTO t (v, r) VALUES (?, RAND())",
                                           {"from " + std::to_string(i)})}));
        CHECK(r.status == 200);
    }
    // Statement errors come back through the follower: nothing applied.
    auto bad = execute(c, f,
                       json::array({stmt("INSERT INTO t (v) VALUES (?)", {"x"}),
                                    "INSERT INTO missing VALUES (1)"}));
    CHECK(bad.status == 400);
    CHECK(bad.json["statement"] == 1);
    auto refused = execute(c, f, json::array({"SELECT SLEEP(1)"}));
    CHECK(refused.status == 400);

    // Reads at every level from a follower.
    for (const char* level : {"weak", "linearizable"}) {
        auto q =
            c.post(f, "/api/db/query",
                   {{"statements", json::array({"SELECT COUNT(*) FROM t"})}, {"level", level}});
        CHECK(q.status == 200);
        CHECK(q.json["results"][0]["values"][0][0] == 4);
    }
    auto get = c.get(f, "/api/db/query?q=SELECT+v+FROM+t+WHERE+id=1&level=linearizable");
    CHECK(get.json["results"][0]["values"][0][0] == "a");
    CHECK(eventually(10s, [&] {
        auto q =
            c.post(f, "/api/db/query",
                   {{"statements", json::array({"SELECT COUNT(*) FROM t"})}, {"level", "none"}});
        return q.status == 200 && q.json["results"][0]["values"][0][0] == 4;
    }));

    CHECK(c.wait_converged({"t"}));
    finish_cleanly(c);
}

}  // namespace

TEST_CASE("cluster: three SQLite nodes elect one leader and every node serves the API",
          "[cluster]") {
    basic_scenario("sqlite");
}

TEST_CASE("cluster: three MySQL nodes elect one leader and every node serves the API",
          "[cluster][mysql]") {
    if (have_backend("mysql")) basic_scenario("mysql");
}

TEST_CASE("cluster: a mixed SQLite/MySQL cluster applies the same rows everywhere",
          "[cluster][mysql]") {
    if (have_backend("mixed")) basic_scenario("mixed");
}

TEST_CASE("cluster: leadership moves by raft-yield and raft-yield-hint and reelect", "[cluster]") {
    RaftCluster c(three("sqlite"), nullptr);
    c.start_all();
    auto leader = c.wait_leader();
    REQUIRE(leader);

    const std::size_t target = (*leader + 1) % 3;
    auto y = c.get(*leader, "/api/raft-yield/" + c.identity(target));
    CHECK(y.status == 200);
    CHECK(y.json["Code"] == "OK");
    CHECK(y.json["Message"] == "Asynchronously yielded");
    auto now = c.wait_leader(5s);
    REQUIRE(now);
    CHECK(*now == target);

    const std::size_t hinted = (target + 1) % 3;
    auto h = c.get(target, "/api/raft-yield-hint/" + c.ip(hinted));
    CHECK(h.status == 200);
    CHECK(h.json["Message"] == "Asynchronously yielded by hint " + c.ip(hinted));
    CHECK(h.json["Details"] == c.ip(hinted));
    now = c.wait_leader(5s);
    REQUIRE(now);
    CHECK(*now == hinted);

    // reelect is forwarded by a follower to the leader, which hands over to another node.
    const std::size_t follower = (hinted + 1) % 3;
    auto r = c.get(follower, "/api/reelect");
    CHECK(r.status == 200);
    CHECK(r.json["Message"] == "Set re-elections");
    now = c.wait_leader(5s);
    REQUIRE(now);
    CHECK(*now != hinted);

    auto unknown = c.get(*now, "/api/raft-yield/127.0.0.9:1");
    CHECK(unknown.status == 500);
    CHECK(unknown.json["Code"] == "ERROR");
    finish_cleanly(c);
}

TEST_CASE("cluster: a minority answers writes with 503 and reports unhealthy and rejoins later",
          "[cluster]") {
    RaftCluster c(three("sqlite"), nullptr);
    c.start_all();
    auto leader = c.wait_leader();
    REQUIRE(leader);
    REQUIRE(execute(c, *leader, json::array({"CREATE TABLE t (id INT PRIMARY KEY)"})).status ==
            200);

    // Kill both followers: the leader loses its quorum and steps down.
    const std::size_t a = (*leader + 1) % 3, b = (*leader + 2) % 3;
    const std::size_t s = *leader;
    // Before: a follower hears from the leader all the time, so a freshness bound is met.
    REQUIRE(c.wait_converged({"t"}));
    const std::string count = "/api/db/query?q=SELECT+COUNT(*)+FROM+t&level=none";
    CHECK(c.get(a, count + "&freshness=5s").status == 200);
    auto bad = c.get(a, count + "&freshness=soon");
    CHECK(bad.status == 400);
    CHECK_THAT(bad.json["error"].get<std::string>(), Catch::Contains("freshness"));
    c.kill9(a);
    // The leader stops listing the dead member among its healthy ones (election timeout).
    CHECK(eventually(5s, [&] {
        auto h = c.get(s, "/api/health");
        return h.status == 200 && h.json["Details"]["RaftHealthyMembers"].size() == 2;
    }));
    c.kill9(b);
    CHECK(eventually(10s, [&] { return c.get(s, "/api/raft-health").status == 500; }));
    auto health = c.get(s, "/api/raft-health");
    CHECK(health.json["Code"] == "ERROR");
    CHECK(health.json["Message"] == "unhealthy");
    CHECK(c.get(s, "/api/leader-check").status == 404);
    CHECK(c.get(s, "/api/health").status == 500);
    CHECK(c.get(s, "/api/raft-state").json != "Leader");

    auto w = execute(c, s, json::array({"INSERT INTO t VALUES (1)"}));
    CHECK(w.status == 503);
    CHECK(w.headers.get("Retry-After").has_value());
    CHECK(w.json["Code"] == "ERROR");
    CHECK(w.json["error"].is_string());
    auto q = c.post(s, "/api/db/query", {{"statements", json::array({"SELECT * FROM t"})}});
    CHECK(q.status == 503);
    // Level none still reads this node's own state.
    auto local =
        c.post(s, "/api/db/query",
               {{"statements", json::array({"SELECT COUNT(*) FROM t"})}, {"level", "none"}});
    CHECK(local.status == 200);
    // With a freshness bound it refuses once it has been without a leader for longer.
    CHECK(eventually(5s, [&] {
        auto stale = c.post(s, "/api/db/query",
                            {{"statements", json::array({"SELECT COUNT(*) FROM t"})},
                             {"level", "none"},
                             {"freshness", "300ms"}});
        return stale.status == 503 && stale.json["error"].get<std::string>().find(
                                          "stale read refused") != std::string::npos;
    }));
    // routed-leader-check cannot be routed: 404, as orchestrator.
    CHECK(c.get(s, "/api/routed-leader-check").status == 404);

    c.start(a);
    c.start(b);
    auto again = c.wait_leader();
    REQUIRE(again);
    CHECK(execute(c, s, json::array({"INSERT INTO t VALUES (2)"})).status == 200);
    CHECK(c.wait_converged({"t"}));
    // The refused write was never applied.
    CHECK(c.rows(s, "t") == json::array({json::array({2})}));
    finish_cleanly(c);
}

TEST_CASE("cluster: a follower forwards with credentials kept and relays long answers whole",
          "[cluster]") {
    RaftCluster c(three("sqlite"), nullptr,
                  {{"AuthenticationMethod", "basic"},
                   {"HTTPAuthUser", "orc"},
                   {"HTTPAuthPassword", "secret"}});
    c.start_all();
    // With basic authentication every request needs credentials, health checks included.
    auto authed = [&](std::size_t i, const std::string& method, const std::string& path,
                      const std::string& body) {
        orcraft::server::http::HttpClient client(c.ip(i), c.http_port(), {1000ms, 15000ms});
        orcraft::server::http::Headers h{{"Authorization", "Basic b3JjOnNlY3JldA=="},
                                         {"Content-Type", "application/json"}};
        return client.request(method, path, h, body);
    };
    std::optional<std::size_t> leader;
    REQUIRE(eventually(20s, [&] {
        for (std::size_t i = 0; i < c.size(); ++i) {
            if (authed(i, "GET", "/api/leader-check", "").status == 200) leader = i;
        }
        return leader.has_value();
    }));
    const std::size_t f = (*leader + 1) % 3;

    // Without credentials the follower refuses by itself; with them the leader accepts.
    CHECK(execute(c, f, json::array({"CREATE TABLE t (id INT PRIMARY KEY, v TEXT)"})).status ==
          401);
    auto created = authed(
        f, "POST", "/api/db/execute",
        json{{"statements", json::array({"CREATE TABLE t (id INT PRIMARY KEY, v TEXT)"})}}.dump());
    REQUIRE(created.status == 200);

    // About 3 MiB of rows, read at level weak through the follower: streamed by the proxy.
    const std::string big(30000, 'x');
    json statements = json::array();
    for (int id = 1; id <= 100; ++id)
        statements.push_back(stmt("INSERT INTO t VALUES (?, ?)", {id, big}));
    REQUIRE(authed(*leader, "POST", "/api/db/execute", json{{"statements", statements}}.dump())
                .status == 200);
    auto r = authed(f, "GET", "/api/db/query?q=SELECT+*+FROM+t+ORDER+BY+id", "");
    REQUIRE(r.status == 200);
    auto body = json::parse(r.body, nullptr, false);
    REQUIRE_FALSE(body.is_discarded());
    const auto& values = body["results"][0]["values"];
    REQUIRE(values.size() == 100);
    CHECK(values[99][0] == 100);
    CHECK(values[99][1] == big);
    CHECK(r.headers.get("Transfer-Encoding") == "chunked");
    finish_cleanly(c);
}
