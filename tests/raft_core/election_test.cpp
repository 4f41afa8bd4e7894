// Elections: Raft paper section 5.2 and thesis section 9.6 (pre-vote), plus check-quorum.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace orcraft::raft;
using orcraft::raft::testing::Cluster;

TEST_CASE("election: the first node to time out wins after a pre-vote round", "[raft][election]") {
    Cluster c(3);
    c.elect(1);
    REQUIRE(c.core(1).role() == Role::kLeader);
    REQUIRE(c.core(1).term() == 1);  // the poll itself did not bump the term
    REQUIRE(c.core(2).leader() == 1);
    REQUIRE(c.core(3).leader() == 1);
    // The leader's empty entry of its term is committed everywhere.
    for (NodeId id : {1, 2, 3})
        REQUIRE(c.core(id).commit() == 1);
    bool saw_prevote = false;
    for (const auto& m : c.sent)
        saw_prevote |= m.type == MessageType::kPreVote;
    REQUIRE(saw_prevote);
}

TEST_CASE("election: a killed leader is replaced in well under one second of 10 ms ticks",
          "[raft][election]") {
    Cluster c(3);
    c.elect(1);
    c.crash(1);
    int ticks = 0;
    while (c.leader() == kNoNode || c.leader() == 1) {
        c.tick_all(1);
        c.stabilize();
        ++ticks;
        REQUIRE(ticks < 100);
    }
    // Default election timeout: 30..59 ticks; the votes themselves take no ticks here.
    REQUIRE(ticks <= 60);
    REQUIRE(c.core(c.leader()).term() == 2);
}

TEST_CASE("pre-vote: a partitioned node does not raise its term and cannot depose the leader",
          "[raft][election][prevote]") {
    Cluster c(3);
    c.elect(1);
    c.isolate(3);
    for (int i = 0; i < 10; ++i) {
        c.tick(3, 100);
        c.stabilize();
    }
    REQUIRE(c.core(3).term() == 1);  // only polls, never a real election
    c.heal();
    // Keep the leader's heartbeats flowing while node 3 keeps polling.
    for (int i = 0; i < 200; ++i) {
        c.tick_all(1);
        c.stabilize();
    }
    REQUIRE(c.leader() == 1);
    REQUIRE(c.core(1).term() == 1);
    REQUIRE(c.core(3).leader() == 1);
}

TEST_CASE(
    "check-quorum: members that heard from a live leader ignore a forced-out node's vote request",
    "[raft][election][checkquorum]") {
    Cluster c(3, [](Config& cfg) { cfg.pre_vote = false; });
    c.elect(1);
    c.isolate(3);
    c.tick(3, 100);  // without pre-vote node 3 campaigns and raises its term
    c.stabilize();
    REQUIRE(c.core(3).term() > 1);
    c.heal();
    c.tick(2, 1);  // node 2 heard from the leader one tick ago: it is inside its vote lease
    c.tick(3, 100);
    c.stabilize([](const Message& m) { return m.from != 1; });  // only node 3's requests
    REQUIRE(c.core(2).term() == 1);
    REQUIRE(c.core(2).leader() == 1);
}

TEST_CASE("check-quorum: a leader cut off from the majority steps down within an election timeout",
          "[raft][election][checkquorum]") {
    Cluster c(3);
    c.elect(1);
    c.isolate(1);
    const int timeout = c.node(1).config.election_ticks;
    int ticks = 0;
    while (c.core(1).role() == Role::kLeader) {
        c.tick(1);
        c.stabilize();
        ++ticks;
        REQUIRE(ticks <= timeout);
    }
    REQUIRE(ticks == timeout);  // exactly one election timeout after the last answer
    REQUIRE(c.core(1).role() == Role::kFollower);
    REQUIRE(c.core(1).propose("x").status == Status::kNotLeader);
}

TEST_CASE(
    "a partitioned old leader: its proposals never commit and it follows the new leader on return",
    "[raft][election][partition]") {
    Cluster c(3, [](Config& cfg) { cfg.check_quorum = false; });  // keep the old leader in office
    c.elect(1);
    c.isolate(1);
    auto stale = c.core(1).propose("lost");
    REQUIRE(stale.status == Status::kOk);
    c.stabilize();
    c.elect(2);
    REQUIRE(c.core(2).role() == Role::kLeader);
    const Index kept = c.propose("kept");
    REQUIRE(c.core(1).role() == Role::kLeader);  // still believes it leads term 1
    REQUIRE(c.core(1).commit() < stale.index);
    c.heal();
    c.tick(2, c.node(2).config.heartbeat_ticks);
    c.stabilize();
    REQUIRE(c.core(1).role() == Role::kFollower);
    REQUIRE(c.core(1).leader() == 2);
    // The stale entry was replaced; all logs agree and contain the new leader's write.
    c.propose("after");
    for (NodeId id : {1, 2, 3}) {
        const auto& applied = c.node(id).applied;
        REQUIRE(applied.size() == c.node(2).applied.size());
        for (const auto& e : applied)
            REQUIRE(e.data != "lost");
        REQUIRE(applied[kept - 1].data == "kept");
    }
}
