// Three raft_testnode processes, each in its own network namespace; the leader is cut off with
// nftables. The minority leader steps down and refuses writes, the majority elects a leader and
// carries on, and after healing every member holds the same values, with every acknowledged one.
// Skipped (with the reason printed) where namespaces cannot be made.
#include <catch2/catch.hpp>
#include <iostream>

#include "netns_lab.hpp"
#include "polling.hpp"
#include "process_cluster.hpp"

using namespace orcraft::raft::testing;
using orcraft::tests::eventually;
using namespace std::chrono_literals;

TEST_CASE("partition: a cut-off leader steps down and refuses writes, the majority carries on",
          "[raft_node][process][netns]") {
    std::string why_not;
    auto lab = NetnsLab::create(3, why_not);
    if (!lab) {
        std::cout << "SKIPPED: network namespaces unavailable: " << why_not << std::endl;
        WARN("skipped: " << why_not);
        return;
    }
    ProcessClusterOptions o;
    o.hosts = lab->ips();
    o.namespaces = lab->namespaces();
    ProcessCluster c(o);
    c.start_all();
    int leader = -1;
    REQUIRE(eventually(10s, [&] { return (leader = c.agreed_leader()) != -1; }));
    UniqueWriter writer(c, "p");
    REQUIRE(eventually(10s, [&] { return writer.acknowledged_count() >= 200; }));

    lab->isolate(leader);
    // Check-quorum: the old leader gives up within an election timeout of silence.
    REQUIRE(eventually(3s, [&] { return c.state(leader)["role"] != "leader"; }));
    auto refused = c.request(leader, "propose refused-1", 3s);
    REQUIRE(refused);
    REQUIRE(refused->rfind("err not_leader", 0) == 0);
    // The two others elect one of them and keep accepting writes.
    int next = -1;
    REQUIRE(eventually(5s, [&] {
        next = c.some_leader();
        return next != -1 && next != leader;
    }));
    const auto before = writer.acknowledged_count();
    REQUIRE(eventually(10s, [&] { return writer.acknowledged_count() >= before + 200; }));
    REQUIRE(c.state(leader)["role"] != "leader");

    lab->heal(leader);
    writer.stop();
    const auto acked = writer.acknowledged();
    std::string problem;
    const bool ok = eventually(15s, [&] { return (problem = check_no_loss(c, acked)).empty(); });
    INFO(problem);
    REQUIRE(ok);
    // The healed member follows the new leader of a later term.
    REQUIRE(eventually(5s, [&] { return c.agreed_leader() != -1; }));
}
