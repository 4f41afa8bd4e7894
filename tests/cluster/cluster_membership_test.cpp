// Membership changes through orchestrator's endpoints: a fourth node started with RaftJoin is
// added with raft-add-peer (sent to a follower, which forwards it), catches up, takes part, and
// is removed again with raft-remove-peer.

#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/cluster/raft_cluster.hpp"
#include "tests/polling.hpp"

using namespace orcraft::tests;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

bool lists(const Reply& peers, const std::string& identity) {
    return peers.json.is_array() &&
           std::find(peers.json.begin(), peers.json.end(), json(identity)) != peers.json.end();
}

}  // namespace

TEST_CASE("cluster: a node is added with raft-add-peer and removed with raft-remove-peer",
          "[cluster]") {
    RaftCluster c({Backend::Sqlite, Backend::Sqlite, Backend::Sqlite, Backend::Sqlite}, nullptr,
                  json::object(), 3);
    for (std::size_t i = 0; i < 3; ++i)
        c.start(i);
    auto leader = c.wait_leader();
    REQUIRE(leader);
    REQUIRE(c.post(*leader, "/api/db/execute",
                   {{"statements", json::array({"CREATE TABLE t (id INT PRIMARY KEY)",
                                                "INSERT INTO t VALUES (1)"})}})
                .status == 200);

    // The joining node waits: no leader, no data of its own.
    c.start(3);
    CHECK(c.get(3, "/api/raft-health").status == 500);
    CHECK(c.get(3, "/api/raft-leader").json == "");

    const std::size_t follower = (*leader + 1) % 3;
    auto added = c.get(follower, "/api/raft-add-peer/" + c.identity(3), 60s);
    CHECK(added.status == 200);
    CHECK(added.json == c.identity(3));
    CHECK(eventually(20s, [&] { return lists(c.get(*leader, "/api/raft-peers"), c.identity(3)); }));
    auto now = c.wait_leader();
    REQUIRE(now);
    CHECK(c.post(3, "/api/db/execute", {{"statements", json::array({"INSERT INTO t VALUES (2)"})}})
              .status == 200);
    CHECK(c.wait_converged({"t"}));
    CHECK(c.rows(3, "t") == json::array({json::array({1}), json::array({2})}));
    CHECK(c.get(3, "/api/raft-status").json["IsPartOfQuorum"] == true);

    auto again = c.get(*now, "/api/raft-add-peer/" + c.identity(3));
    CHECK(again.valid_json);

    auto removed = c.get(follower == 3 ? *now : follower, "/api/raft-remove-peer/" + c.identity(3));
    CHECK(removed.status == 200);
    CHECK(removed.json == c.identity(3));
    CHECK(eventually(20s, [&] {
        auto l = c.wait_leader(5s);
        return l && !lists(c.get(*l, "/api/raft-peers"), c.identity(3));
    }));
    c.kill9(3);
    auto final_leader = c.wait_leader();
    REQUIRE(final_leader);
    CHECK(c.post(*final_leader, "/api/db/execute",
                 {{"statements", json::array({"INSERT INTO t VALUES (3)"})}})
              .status == 200);
    CHECK(c.wait_converged({"t"}));

    auto bad = c.get(*final_leader, "/api/raft-remove-peer/127.0.0.9");
    CHECK(bad.status == 500);
    CHECK(bad.json["Message"].get<std::string>().rfind("Cannot remove raft peer: ", 0) == 0);
    finish_cleanly(c);
}
