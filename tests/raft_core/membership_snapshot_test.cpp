// Single-server membership changes with learners (thesis chapter 4) and snapshots streamed in
// chunks (thesis chapter 5).
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace orcraft::raft;
using orcraft::raft::testing::Cluster;

TEST_CASE("membership: a learner catches up, is promoted, then counts towards the quorum",
          "[raft][membership]") {
    Cluster c(4, {}, 3);
    c.elect(1);
    for (int i = 0; i < 10; ++i)
        c.propose("e" + std::to_string(i));
    auto add = c.core(1).change_membership({ConfChangeType::kAddLearner, 4});
    REQUIRE(add.status == Status::kOk);
    // One change at a time: the next waits until this one is committed.
    REQUIRE(c.core(1).change_membership({ConfChangeType::kPromoteLearner, 4}).status ==
            Status::kPendingConfChange);
    c.stabilize();
    REQUIRE(c.core(4).conf().is_learner(4));
    REQUIRE(c.core(4).commit() == c.core(1).commit());
    REQUIRE(c.node(4).applied.size() == c.node(1).applied.size());

    REQUIRE(c.core(1).change_membership({ConfChangeType::kPromoteLearner, 4}).status ==
            Status::kOk);
    c.stabilize();
    for (NodeId id : {1, 2, 3, 4})
        REQUIRE(c.core(id).conf().voters == std::vector<NodeId>{1, 2, 3, 4});

    // Four voters need three acknowledgements: the leader and node 4 alone cannot commit.
    c.isolate(2);
    c.isolate(3);
    auto p = c.core(1).propose("needs three");
    REQUIRE(p.status == Status::kOk);
    c.stabilize();
    REQUIRE(c.core(1).commit() < p.index);
    c.heal();
    c.tick(1, c.node(1).config.heartbeat_ticks);
    c.stabilize();
    REQUIRE(c.core(1).commit() >= p.index);
}

TEST_CASE("membership: a learner that lags is not promoted", "[raft][membership]") {
    Cluster c(
        4, [](Config& cfg) { cfg.promote_max_lag = 8; }, 3);
    c.elect(1);
    REQUIRE(c.core(1).change_membership({ConfChangeType::kAddLearner, 4}).status == Status::kOk);
    c.stabilize();
    c.isolate(4);
    for (int i = 0; i < 20; ++i)
        c.propose("e");
    REQUIRE(c.core(1).change_membership({ConfChangeType::kPromoteLearner, 4}).status ==
            Status::kLearnerNotCaughtUp);
    c.heal();
    c.tick(1, c.node(1).config.heartbeat_ticks);
    c.stabilize();
    REQUIRE(c.core(1).change_membership({ConfChangeType::kPromoteLearner, 4}).status ==
            Status::kOk);
}

TEST_CASE("membership: a new leader changes the configuration only after committing in its term",
          "[raft][membership]") {
    Cluster c(4, {}, 3);
    c.elect(1, [](const Message& m) { return m.type != MessageType::kAppend; });
    REQUIRE(c.core(1).role() == Role::kLeader);
    REQUIRE(c.core(1).change_membership({ConfChangeType::kAddLearner, 4}).status ==
            Status::kNoCurrentTermCommit);
}

TEST_CASE("membership: a removed leader steps down once its removal commits, and stays out",
          "[raft][membership]") {
    Cluster c(3);
    c.elect(1);
    auto r = c.core(1).change_membership({ConfChangeType::kRemoveNode, 1});
    REQUIRE(r.status == Status::kOk);
    c.stabilize();
    REQUIRE(c.core(1).role() == Role::kFollower);
    REQUIRE(c.core(2).conf().voters == std::vector<NodeId>{2, 3});
    for (int i = 0; i < 300 && (c.leader() == kNoNode || c.leader() == 1); ++i) {
        c.tick_all(1);
        c.stabilize();
    }
    const NodeId l = c.leader();
    REQUIRE((l == 2 || l == 3));
    const Term t = c.core(l).term();
    for (int i = 0; i < 300; ++i) {
        c.tick_all(1);
        c.stabilize();
    }
    REQUIRE(c.core(1).role() == Role::kFollower);  // never campaigns again
    REQUIRE(c.leader() == l);
    REQUIRE(c.core(l).term() == t);
}

namespace {

std::string state_bytes(Index index) {
    std::string s = "state-at-" + std::to_string(index) + ":";
    while (s.size() < 100)
        s += static_cast<char>('a' + s.size() % 26);
    return s;
}

// Node 3 misses 30 entries; nodes 1 and 2 then compact them into a snapshot.
Index far_behind_follower(Cluster& c) {
    c.elect(1);
    c.isolate(3);
    for (int i = 0; i < 30; ++i)
        c.propose("e" + std::to_string(i));
    const Index at = c.core(1).applied();
    REQUIRE(at == 31);
    for (NodeId id : {1, 2}) {
        REQUIRE(c.core(id).compact(at, std::make_shared<const std::string>(state_bytes(at))));
        REQUIRE(c.core(id).snapshot_index() == at);
    }
    c.heal();
    return at;
}

void tick_until_installed(Cluster& c, Index at,
                          const std::function<bool(const Message&)>& filter = {}) {
    for (int i = 0; i < 200 && c.node(3).installed_snapshot.empty(); ++i) {
        c.tick(1);
        c.stabilize(filter);
    }
    REQUIRE(c.node(3).installed_snapshot == state_bytes(at));
    REQUIRE(c.node(3).applied_index >= at);
}

}  // namespace

TEST_CASE("snapshot to a far-behind follower, streamed in chunks", "[raft][snapshot]") {
    Cluster c(3, [](Config& cfg) { cfg.snapshot_chunk_bytes = 16; });
    const Index at = far_behind_follower(c);
    tick_until_installed(c, at);
    int chunks = 0;
    for (const auto& m : c.sent) {
        if (m.type == MessageType::kSnapshot && m.to == 3) ++chunks;
    }
    REQUIRE(chunks == 7);  // 100 bytes in 16-byte chunks
    REQUIRE(c.core(3).snapshot_index() == at);
    // Replication continues from the snapshot.
    c.propose("after");
    REQUIRE(c.node(3).applied.back().data == "after");
    REQUIRE(c.core(3).commit() == c.core(1).commit());
}

TEST_CASE("snapshot interrupted mid-transfer resumes from the last acknowledged offset",
          "[raft][snapshot]") {
    Cluster c(3, [](Config& cfg) { cfg.snapshot_chunk_bytes = 16; });
    const Index at = far_behind_follower(c);
    bool dropped = false;
    tick_until_installed(c, at, [&](const Message& m) {
        if (m.type == MessageType::kSnapshot && m.offset == 48 && !dropped) {
            dropped = true;  // the chunk at offset 48 is lost once
            return false;
        }
        return true;
    });
    REQUIRE(dropped);
    int from_zero = 0, at_48 = 0;
    for (const auto& m : c.sent) {
        if (m.type != MessageType::kSnapshot || m.to != 3) continue;
        from_zero += m.offset == 0;
        at_48 += m.offset == 48;
    }
    REQUIRE(from_zero == 1);  // never restarted from the beginning
    REQUIRE(at_48 == 2);      // only the lost chunk was sent again
}

TEST_CASE("a stale snapshot is refused", "[raft][snapshot]") {
    Cluster c(3);
    c.elect(1);
    for (int i = 0; i < 5; ++i)
        c.propose("e");
    const Index commit = c.core(2).commit();
    const Index last = c.core(2).last_index();
    Message m;
    m.type = MessageType::kSnapshot;
    m.from = 1;
    m.to = 2;
    m.term = c.core(1).term();
    m.snapshot.index = 3;
    m.snapshot.term = 1;
    m.snapshot.conf = c.core(1).conf();
    m.chunk = "old";
    m.done = true;
    c.core(2).step(m);
    c.process(2);
    auto& out = c.in_flight();
    REQUIRE(out.size() == 1);
    REQUIRE(out[0].type == MessageType::kSnapshotResp);
    REQUIRE(out[0].reject);
    REQUIRE(out[0].index == commit);
    REQUIRE(c.core(2).last_index() == last);
    REQUIRE(c.node(2).installed_snapshot.empty());
}

TEST_CASE("a persisted snapshot is read back through load_snapshot when a member needs it",
          "[raft][snapshot]") {
    int loads = 0;
    bool readable = false;
    Cluster c(3, [&](Config& cfg) {
        cfg.snapshot_chunk_bytes = 16;
        cfg.load_snapshot = [&](const SnapshotMeta& m) -> std::shared_ptr<const std::string> {
            ++loads;
            if (!readable) return nullptr;
            return std::make_shared<const std::string>(state_bytes(m.index));
        };
    });
    const Index at = far_behind_follower(c);
    // The leader lets go of the bytes; a snapshot not yet durable would keep them.
    c.core(1).snapshot_persisted(at - 1);
    c.core(1).snapshot_persisted(at);
    // While the bytes cannot be read, nothing is streamed and the leader keeps asking.
    for (int i = 0; i < 10; ++i) {
        c.tick(1);
        c.stabilize();
    }
    CHECK(loads >= 2);
    for (const auto& m : c.sent)
        CHECK_FALSE((m.type == MessageType::kSnapshot && m.to == 3));
    readable = true;
    const int loads_before = loads;
    tick_until_installed(c, at);
    // One read serves the whole transfer: the chunks come from the member's copy.
    CHECK(loads == loads_before + 1);
    c.propose("after");
    CHECK(c.node(3).applied.back().data == "after");
}
