// A single-node raft cluster (RaftEnabled true, RaftNodes empty): it elects itself at once,
// serves writes and reads through the replicated log, answers orchestrator's raft endpoints, and
// keeps its data across a restart.

#include <signal.h>

#include <catch2/catch.hpp>

#include "tests/node/node_process.hpp"
#include "tests/polling.hpp"

using nlohmann::json;
using orcraft::tests::NodeProcess;
using orcraft::tests::TempDir;
using namespace std::chrono_literals;

namespace {

json body_of(const orcraft::server::http::ClientResponse& r) {
    return json::parse(r.body);
}

}  // namespace

TEST_CASE("a single-node raft cluster elects itself and serves writes", "[node][raft]") {
    TempDir dir;
    const auto raft_port = orcraft::tests::pick_free_port();
    const std::string self = "127.0.0.1:" + std::to_string(raft_port);
    NodeProcess node(dir.path(), {{"RaftEnabled", true},
                                  {"RaftDataDir", (dir.path() / "raft").string()},
                                  {"RaftBind", self}});
    node.start();
    node.wait_healthy(5s);
    auto c = node.client();
    CHECK(body_of(c.get("/api/raft-state")) == "Leader");
    CHECK(body_of(c.get("/api/raft-leader")) == self);
    CHECK(body_of(c.get("/api/raft-peers")) == json::array({self}));
    CHECK(c.get("/api/leader-check").status == 200);
    auto status = body_of(c.get("/api/raft-status"));
    CHECK(status["State"] == "Leader");
    CHECK(status["Healthy"] == true);
    CHECK(status["RaftAdvertise"] == self);
    auto health = body_of(c.get("/api/health"));
    CHECK(health["Details"]["Mode"] == "raft");
    CHECK(health["Details"]["IsRaftLeader"] == true);
    CHECK(health["Details"]["RaftLeader"] == self);

    auto w = node.post("/api/db/execute",
                       {{"statements", json::array({"CREATE TABLE t (id INT AUTO_INCREMENT "
                                                    "PRIMARY KEY, at DATETIME DEFAULT "
                                                    "CURRENT_TIMESTAMP)",
                                                    "INSERT INTO t (id) VALUES (NULL)"})}});
    REQUIRE(w.status == 200);
    CHECK(body_of(w)["index"].get<int>() > 0);
    for (const char* level : {"none", "weak", "linearizable"}) {
        auto q =
            node.post("/api/db/query",
                      {{"statements", json::array({"SELECT COUNT(*) FROM t"})}, {"level", level}});
        CHECK(q.status == 200);
        CHECK(body_of(q)["results"][0]["values"][0][0] == 1);
    }
    auto snap = c.get("/api/raft-snapshot");
    CHECK(snap.status == 200);
    CHECK(body_of(snap) == "snapshot created");
    // reelect keeps a lone voter the leader.
    CHECK(body_of(c.get("/api/reelect"))["Message"] == "Set re-elections");

    node.signal(SIGTERM);
    CHECK(node.wait_exit() == 0);
    node.start();
    node.wait_healthy(5s);
    auto again = node.post("/api/db/query", {{"statements", json::array({"SELECT id FROM t"})}});
    CHECK(body_of(again)["results"][0]["values"] == json::array({json::array({1})}));
    CHECK(node.post("/api/db/execute",
                    {{"statements", json::array({"INSERT INTO t (id) VALUES (NULL)"})}})
              .status == 200);
}
