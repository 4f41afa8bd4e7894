// The calls a runtime uses outside the protocol's own timers: campaign() (a lone voter leads at
// once) and step_down() (a leader whose disk stalls gives up leadership).
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace orcraft::raft;
using orcraft::raft::testing::Cluster;
using orcraft::raft::testing::TestNode;

TEST_CASE("campaign: a single voter leads without waiting for an election timeout",
          "[raft][election][runtime]") {
    Cluster c(1);
    REQUIRE(c.core(1).campaign());
    c.process(1);  // the self vote becomes durable
    c.process(1);
    REQUIRE(c.core(1).role() == Role::kLeader);
    REQUIRE(c.core(1).term() == 1);
    REQUIRE(c.core(1).commit() == 1);     // its no-op entry, committed by its own disk
    REQUIRE_FALSE(c.core(1).campaign());  // already the leader
}

TEST_CASE("campaign: a member of a larger cluster starts a (pre-)vote round at once",
          "[raft][election][runtime]") {
    Cluster c(3);
    REQUIRE(c.core(2).campaign());
    REQUIRE(c.core(2).role() == Role::kPreCandidate);
    c.process_all();
    c.stabilize();
    REQUIRE(c.leader() == 2);
}

TEST_CASE("campaign: a node that is not a voter refuses", "[raft][election][runtime]") {
    Cluster c(2, {}, 1);  // node 2 waits to be added
    REQUIRE_FALSE(c.core(2).campaign());
    REQUIRE(c.core(2).role() == Role::kFollower);
}

TEST_CASE("step_down: a leader becomes a follower in its term and the others elect a new leader",
          "[raft][election][runtime]") {
    Cluster c(3);
    c.elect(1);
    REQUIRE(c.core(1).step_down());
    REQUIRE(c.core(1).role() == Role::kFollower);
    REQUIRE(c.core(1).leader() == kNoNode);
    REQUIRE(c.core(1).term() == 1);
    REQUIRE(c.core(1).propose("x").status == Status::kNotLeader);
    REQUIRE_FALSE(c.core(1).step_down());  // already a follower
    // Without heartbeats the others time out and elect a leader of a later term.
    int ticks = 0;
    while (c.leader() == kNoNode) {
        c.tick_all(1);
        c.stabilize();
        REQUIRE(++ticks < 200);
    }
    REQUIRE(c.core(c.leader()).term() == 2);
    for (NodeId id : {1, 2, 3})
        REQUIRE(c.core(id).leader() == c.leader());
}

TEST_CASE("a member that lost its acknowledged log is caught up again (through a snapshot)",
          "[raft][snapshot][runtime]") {
    Cluster c(3);
    c.elect(1);
    for (int i = 0; i < 20; ++i)
        c.propose("e" + std::to_string(i));
    const Index at = c.core(1).applied();
    REQUIRE(c.core(1).compact(at, std::make_shared<const std::string>("state")));
    // Node 3 loses everything but the initial configuration (a wiped data directory).
    c.crash(3);
    TestNode& t = c.node(3);
    t.hs = {};
    t.log.clear();
    t.snap.meta.index = 0;
    t.snap.meta.term = 0;
    t.snap.data.reset();
    c.restart(3);
    // The leader still believes node 3 holds everything up to `at`; the next append shows the
    // gap and the leader falls back to the snapshot instead of retrying forever.
    c.propose("after");
    int delivered = 0;
    for (int i = 0; i < 50 && c.node(3).installed_snapshot.empty(); ++i) {
        c.tick(1);
        delivered += c.stabilize();
        REQUIRE(delivered < 2000);
    }
    REQUIRE(c.node(3).installed_snapshot == "state");
    c.propose("later");
    REQUIRE(c.core(3).commit() == c.core(1).commit());
    REQUIRE(c.node(3).applied.back().data == "later");
}

TEST_CASE("take_early_messages: a leader replicates while its own write is outstanding",
          "[raft][replication][runtime]") {
    Cluster c(3);
    c.elect(1);
    c.propose("a");
    Core& leader = c.core(1);
    REQUIRE(leader.propose("x").status == Status::kOk);
    Ready outstanding = leader.ready();  // the runtime is persisting this one
    REQUIRE(outstanding.entries.size() == 1);
    const ProposeResult y = leader.propose("y");
    REQUIRE(y.status == Status::kOk);
    REQUIRE_FALSE(leader.has_ready());  // one Ready at a time...
    // ...but the replication of "y" (and heartbeats) need not wait for the disk.
    std::vector<Message> early = leader.take_early_messages();
    int appends_of_y = 0;
    for (const Message& m : early) {
        if (m.type == MessageType::kAppend && !m.entries.empty() && m.entries.back().data == "y")
            ++appends_of_y;
    }
    REQUIRE(appends_of_y == 2);
    REQUIRE(leader.take_early_messages().empty());  // handed out once

    for (const Message& m : outstanding.early_messages)
        c.in_flight().push_back(m);
    for (const Message& m : early)
        c.in_flight().push_back(m);
    c.stabilize();
    // The followers' acknowledgements alone commit "y" while the leader's write is pending.
    REQUIRE(leader.commit() == y.index);

    // The leader's write completes.
    TestNode& t = c.node(1);
    for (const Entry& e : outstanding.entries)
        t.log.push_back(e);
    if (outstanding.hard_state) t.hs = *outstanding.hard_state;
    for (const Message& m : outstanding.messages)
        c.in_flight().push_back(m);
    leader.advance();
    c.process(1);
    c.stabilize();
    for (NodeId id : {1, 2, 3}) {
        REQUIRE(c.core(id).commit() == y.index);
        REQUIRE(c.node(id).applied.back().data == "y");
    }
    REQUIRE(t.log.back().data == "y");
}

TEST_CASE(
    "take_early_messages: a member answers heartbeats while its write is outstanding, "
    "once its term is durable",
    "[raft][replication][runtime]") {
    Cluster c(3);
    c.elect(1);
    c.propose("a");
    // Node 2 takes a Ready (an append) and is slow to persist it.
    REQUIRE(c.core(1).propose("b").status == Status::kOk);
    c.process(1);
    auto& flight = c.in_flight();
    std::vector<Message> to2;
    for (auto it = flight.begin(); it != flight.end();) {
        if (it->to == 2) {
            to2.push_back(*it);
            it = flight.erase(it);
        } else {
            ++it;
        }
    }
    for (const Message& m : to2)
        c.core(2).step(m);
    Ready slow = c.core(2).ready();
    REQUIRE_FALSE(slow.entries.empty());
    // A heartbeat arrives meanwhile: the answer need not wait for the write.
    Message hb;
    hb.type = MessageType::kHeartbeat;
    hb.from = 1;
    hb.to = 2;
    hb.term = c.core(1).term();
    hb.read_seq = 7;
    c.core(2).step(hb);
    auto early = c.core(2).take_early_messages();
    REQUIRE(early.size() == 1);
    REQUIRE(early[0].type == MessageType::kHeartbeatResp);
    REQUIRE(early[0].read_seq == 7);
    // The append acknowledgement still waits for the write.
    for (const Message& m : slow.early_messages)
        REQUIRE(m.type != MessageType::kAppendResp);

    // A heartbeat of a newer term: the member must persist the term before it answers.
    hb.term += 1;
    c.core(2).step(hb);
    REQUIRE(c.core(2).term() == hb.term);
    REQUIRE(c.core(2).take_early_messages().empty());
}

TEST_CASE(
    "take_committed_entries: entries durable here that members commit during a write are "
    "handed out at once, those of the pending write keep their turn",
    "[raft][replication][runtime]") {
    Cluster c(3);
    c.elect(1);
    c.propose("a");
    Core& leader = c.core(1);
    TestNode& t = c.node(1);
    const auto persist = [&](Ready& rd) {
        for (const Entry& e : rd.entries)
            t.log.push_back(e);
        if (rd.hard_state) t.hs = *rd.hard_state;
    };

    // "x" is written here, but its appends have not reached the members yet.
    const ProposeResult x = leader.propose("x");
    REQUIRE(x.status == Status::kOk);
    Ready rx = leader.ready();
    persist(rx);
    leader.advance();
    REQUIRE(leader.durable_index() == x.index);
    // "y" is being written when the members' answers for "x" come in.
    const ProposeResult y = leader.propose("y");
    REQUIRE(y.status == Status::kOk);
    Ready ry = leader.ready();
    REQUIRE(ry.entries.size() == 1);
    REQUIRE(leader.take_committed_entries().empty());  // nothing committed yet

    for (const Message& m : rx.early_messages)
        c.in_flight().push_back(m);
    c.stabilize();
    REQUIRE(leader.commit() == x.index);
    std::vector<Entry> now = leader.take_committed_entries();
    REQUIRE(now.size() == 1);
    CHECK(now[0].index == x.index);
    CHECK(now[0].data == "x");
    CHECK(leader.take_committed_entries().empty());  // handed out once

    // The members' answers commit "y" too, but it is not durable here: it waits for the write.
    for (const Message& m : ry.early_messages)
        c.in_flight().push_back(m);
    c.stabilize();
    REQUIRE(leader.commit() == y.index);
    CHECK(leader.take_committed_entries().empty());

    persist(ry);
    leader.advance();
    Ready after = leader.ready();
    REQUIRE(after.committed_entries.size() == 1);  // "y" alone: "x" went out before
    CHECK(after.committed_entries[0].index == y.index);
    leader.advance();
}
