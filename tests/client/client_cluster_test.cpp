// The real orcraft-client binary against three real orcraft processes in raft mode (SQLite):
// the leader search among followers, writes through a follower, raft commands, a leadership
// hand-over by the client, and a write that rides through a killed leader with --wait.

#include <catch2/catch.hpp>

#include "tests/client/client_runner.hpp"
#include "tests/cluster/raft_cluster.hpp"
#include "tests/polling.hpp"

using namespace orcraft::tests;
using namespace std::chrono_literals;

namespace {

std::string api_of(const RaftCluster& c, std::size_t i) {
    return "http://" + c.ip(i) + ":" + std::to_string(c.http_port());
}

// Every node's URL, the leader's last, so that the search has to pass the followers.
std::string apis_leader_last(const RaftCluster& c, std::size_t leader) {
    std::string list;
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (i != leader) list += api_of(c, i) + ",";
    }
    return list + api_of(c, leader);
}

bool leader_is(const std::string& apis, const std::string& identity) {
    auto run = run_client({"--api", apis, "raft-leader"});
    return run.status == 0 && run.out == identity + "\n";
}

}  // namespace

TEST_CASE("against a three-node raft cluster", "[client]") {
    RaftCluster c(three("sqlite"), nullptr);
    c.start_all();
    const auto first = c.wait_leader();
    REQUIRE(first);
    const std::size_t leader = *first;
    const std::size_t follower = (leader + 1) % 3;
    const std::string apis = apis_leader_last(c, leader);

    auto run = run_client({"--api", apis, "which-api"});
    CHECK(run.status == 0);
    CHECK(run.out == api_of(c, leader) + "/api\n");

    run = run_client({"--api", apis, "raft-leader"});
    CHECK(run.out == c.identity(leader) + "\n");

    // A follower forwards writes to the leader; every node then holds the rows.
    run = run_client({"--direct", "--api", api_of(c, follower), "execute",
                      "CREATE TABLE hosts (id INT AUTO_INCREMENT PRIMARY KEY, name TEXT)",
                      "INSERT INTO hosts (name) VALUES ('db-1')"});
    CHECK(run.status == 0);
    CHECK(run.out ==
          "statement 1: 0 rows affected\nstatement 2: 1 row affected, last insert id 1\n");
    for (std::size_t i = 0; i < c.size(); ++i) {
        INFO("node " << i);
        CHECK(eventually(10s, [&] {
            auto r = run_client({"--direct", "--api", api_of(c, i), "query", "--level", "none",
                                 "-f", "tsv", "SELECT name FROM hosts"});
            return r.status == 0 && r.out == "name\ndb-1\n";
        }));
        run = run_client({"--direct", "--api", api_of(c, i), "raft-health"});
        CHECK(run.out == "healthy\n");
        run = run_client({"--direct", "--api", api_of(c, i), "status"});
        CHECK(run.out.find("Mode: raft\n") != std::string::npos);
    }

    // Hand leadership to a follower, by identity and then by hint.
    run = run_client({"--api", apis, "yield", c.identity(follower)});
    CHECK(run.status == 0);
    CHECK(run.out == "Asynchronously yielded\n");
    CHECK(eventually(10s, [&] { return leader_is(apis, c.identity(follower)); }));

    const std::size_t third = (follower + 1) % 3;
    run = run_client({"--api", apis, "yield", "--hint", c.ip(third)});
    CHECK(run.status == 0);
    CHECK(eventually(10s, [&] { return leader_is(apis, c.identity(third)); }));

    // The leader dies: a write with --wait waits for the next one instead of failing.
    c.kill9(third);
    run = run_client({"--api", apis, "--wait", "20", "--probe-timeout", "0.5", "execute",
                      "INSERT INTO hosts (name) VALUES ('after the leader died')"});
    CHECK(run.status == 0);
    CHECK(run.out == "1 row affected, last insert id 2\n");
    run = run_client({"--api", apis, "query", "-f", "tsv", "SELECT COUNT(*) AS n FROM hosts"});
    CHECK(run.out == "n\n2\n");
    CHECK(c.invalid_answers().empty());
}
