// Log replication and commitment: Raft paper sections 5.3 and 5.4, ReadIndex (thesis 6.4) and
// leadership transfer (thesis 3.10).
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace orcraft::raft;
using orcraft::raft::testing::Cluster;

namespace {

std::vector<Entry> log_with_terms(const std::vector<Term>& terms) {
    std::vector<Entry> out;
    for (std::size_t i = 0; i < terms.size(); ++i) {
        Entry e;
        e.index = i + 1;
        e.term = terms[i];
        e.data = "t" + std::to_string(terms[i]) + "i" + std::to_string(i + 1);
        out.push_back(e);
    }
    return out;
}

}  // namespace

TEST_CASE("log divergence and repair: the conflict term hint skips whole terms",
          "[raft][replication]") {
    Cluster c(3);
    // Figure 7 of the Raft paper, in miniature: the leader's log and two divergent followers.
    c.restore(1, {6, kNoNode, 3}, log_with_terms({1, 1, 1, 4, 4, 5, 5, 6, 6, 6}));
    c.restore(2, {3, kNoNode, 3}, log_with_terms({1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}));
    c.restore(3, {4, kNoNode, 3}, log_with_terms({1, 1, 1, 4}));
    c.elect(1);
    REQUIRE(c.core(1).role() == Role::kLeader);
    REQUIRE(c.core(1).term() == 7);
    for (NodeId id : {2, 3}) {
        REQUIRE(c.node(id).log.size() == 11);
        for (Index i = 1; i <= 11; ++i) {
            REQUIRE(c.node(id).log[i - 1].term == c.node(1).log[i - 1].term);
            REQUIRE(c.node(id).log[i - 1].data == c.node(1).log[i - 1].data);
        }
        REQUIRE(c.core(id).commit() == 11);
    }
    // Node 2 diverges over eight entries of terms 2 and 3, yet one rejection suffices.
    int rejections = 0;
    for (const auto& m : c.sent) {
        if (m.type == MessageType::kAppendResp && m.reject && m.from == 2) ++rejections;
    }
    REQUIRE(rejections == 1);
}

TEST_CASE("commit: an entry of a previous term commits only through an entry of the current term",
          "[raft][replication][figure8]") {
    for (bool planted_bug : {false, true}) {
        DYNAMIC_SECTION("testing_commit_previous_term_by_count=" << planted_bug) {
            Cluster c(3, [&](Config& cfg) {
                cfg.max_append_bytes = 1;  // one entry per message, so entries travel apart
                cfg.testing_commit_previous_term_by_count = planted_bug;
            });
            c.restore(1, {3, kNoNode, 1}, log_with_terms({1, 2}));
            c.restore(2, {3, kNoNode, 1}, log_with_terms({1}));
            c.restore(3, {3, kNoNode, 1}, log_with_terms({1}));
            // Node 1 wins term 4 and appends its empty entry at index 3. Every acknowledgement
            // of index 3 is lost, so the leader knows only that index 2 is on a majority.
            c.elect(1, [](const Message& m) {
                return !(m.type == MessageType::kAppendResp && !m.reject && m.index >= 3);
            });
            REQUIRE(c.core(1).role() == Role::kLeader);
            REQUIRE(c.core(1).term() == 4);
            REQUIRE(c.core(1).progress(2)->match == 2);
            REQUIRE(c.core(1).progress(3)->match == 2);
            if (planted_bug) {
                REQUIRE(c.core(1).commit() == 2);  // the figure 8 bug: committed by counting
            } else {
                REQUIRE(c.core(1).commit() == 1);
            }
            c.tick(1, c.node(1).config.heartbeat_ticks);
            c.stabilize();
            REQUIRE(c.core(1).commit() == 3);  // index 3 (term 4) commits index 2 with it
        }
    }
}

TEST_CASE("ReadIndex right after an election waits for the leader's first commit", "[raft][read]") {
    Cluster c(3);
    c.elect(1, [](const Message& m) { return m.type != MessageType::kAppend; });
    REQUIRE(c.core(1).role() == Role::kLeader);
    REQUIRE(c.core(1).commit() == 0);
    REQUIRE(c.core(1).read_index("r1") == Status::kOk);
    c.stabilize();
    REQUIRE(c.node(1).reads.empty());  // held: no entry of term 1 is committed yet
    c.tick(1, c.node(1).config.heartbeat_ticks);
    c.stabilize();
    REQUIRE(c.core(1).commit() == 1);
    REQUIRE(c.node(1).reads.size() == 1);
    REQUIRE(c.node(1).reads[0].context == "r1");
    REQUIRE(c.node(1).reads[0].index == 1);
}

TEST_CASE("ReadIndex: a follower's read goes through the leader; a cut-off leader answers none",
          "[raft][read]") {
    Cluster c(3, [](Config& cfg) { cfg.check_quorum = false; });
    c.elect(1);
    const Index w = c.propose("w");
    REQUIRE(c.core(2).read_index("f") == Status::kOk);
    c.stabilize();
    REQUIRE(c.node(2).reads.size() == 1);
    REQUIRE(c.node(2).reads[0].index == w);

    c.isolate(1);
    REQUIRE(c.core(1).read_index("stale") == Status::kOk);
    c.tick(1, 10 * c.node(1).config.heartbeat_ticks);
    c.stabilize();
    REQUIRE(c.node(1).reads.empty());  // no majority confirmed the leadership
}

TEST_CASE("leadership transfer to a lagging node: catch up first, then TimeoutNow",
          "[raft][transfer]") {
    Cluster c(3);
    c.elect(1);
    c.isolate(3);
    for (int i = 0; i < 5; ++i)
        c.propose("e" + std::to_string(i));
    c.heal();
    REQUIRE(c.core(1).transfer_leadership(3) == Status::kOk);
    REQUIRE(c.core(1).propose("refused").status == Status::kTransferInProgress);
    for (int i = 0; i < 50 && c.leader() != 3; ++i) {
        c.tick(1);
        c.stabilize();
    }
    REQUIRE(c.leader() == 3);
    REQUIRE(c.core(3).term() == 2);
    // TimeoutNow went out only once node 3 held the leader's whole log.
    for (const auto& m : c.sent) {
        if (m.type == MessageType::kTimeoutNow) REQUIRE(m.to == 3);
    }
    REQUIRE(c.node(3).log.size() >= 6);
    c.propose("after");
    REQUIRE(c.node(1).applied.back().data == "after");
}

TEST_CASE("leadership transfer to an unreachable node is abandoned after an election timeout",
          "[raft][transfer]") {
    Cluster c(3);
    c.elect(1);
    c.isolate(3);
    REQUIRE(c.core(1).transfer_leadership(3) == Status::kOk);
    for (int i = 0; i < c.node(1).config.election_ticks; ++i) {
        c.tick(1);
        c.tick(2);
        c.stabilize();
    }
    REQUIRE(c.core(1).role() == Role::kLeader);
    REQUIRE(c.core(1).transferee() == kNoNode);
    REQUIRE(c.core(1).propose("ok again").status == Status::kOk);
}

TEST_CASE("replication: proposals between two Ready batches travel in one append",
          "[raft][replication]") {
    Cluster c(3);
    c.elect(1);
    const std::size_t before = c.sent.size();
    for (int i = 0; i < 20; ++i)
        REQUIRE(c.core(1).propose("p" + std::to_string(i)).status == Status::kOk);
    c.stabilize();
    int appends_to_2 = 0;
    for (std::size_t i = before; i < c.sent.size(); ++i) {
        const auto& m = c.sent[i];
        if (m.type == MessageType::kAppend && m.to == 2 && !m.entries.empty()) ++appends_to_2;
    }
    REQUIRE(appends_to_2 == 1);
    REQUIRE(c.core(2).commit() == 21);
}

TEST_CASE("flow control: at most max_inflight_msgs unacknowledged appends per member",
          "[raft][replication]") {
    Cluster c(3, [](Config& cfg) {
        cfg.max_append_bytes = 1;
        cfg.max_inflight_msgs = 2;
    });
    c.elect(1);
    for (int i = 0; i < 10; ++i)
        REQUIRE(c.core(1).propose("p").status == Status::kOk);
    c.process(1);
    int to_2 = 0;
    for (const auto& m : c.in_flight()) {
        if (m.type == MessageType::kAppend && m.to == 2) ++to_2;
    }
    REQUIRE(to_2 == 2);
    c.stabilize();
    REQUIRE(c.core(2).commit() == 11);
}

TEST_CASE("flow control: proposals are refused while too many bytes are uncommitted",
          "[raft][replication]") {
    Cluster c(3, [](Config& cfg) { cfg.max_uncommitted_bytes = 1000; });
    c.elect(1);
    c.isolate(2);
    c.isolate(3);
    int accepted = 0;
    while (c.core(1).propose(std::string(100, 'x')).status == Status::kOk)
        ++accepted;
    REQUIRE(accepted == 8);  // 8 entries of 124 counted bytes; a ninth would pass 1000
    REQUIRE(c.core(1).propose(std::string(10, 'y')).status == Status::kTooManyUncommitted);
    REQUIRE(c.core(1).propose("z").status == Status::kOk);  // 992 + 1 still fits
    c.heal();
    c.tick(1, c.node(1).config.heartbeat_ticks);
    c.stabilize();
    REQUIRE(c.core(1).commit() == 10);
    REQUIRE(c.core(1).propose(std::string(100, 'x')).status == Status::kOk);
}

TEST_CASE("deferred commit notices: the next append carries the commit index, no empty append",
          "[raft][replication]") {
    Cluster c(3, [](Config& cfg) { cfg.defer_commit_notices = true; });
    c.elect(1);
    c.propose("a");
    // "a" committed on the leader; the members were not sent an append just for that.
    const Index a = c.core(1).commit();
    REQUIRE(c.core(1).commit_notices_due());
    REQUIRE(c.core(2).commit() < a);
    REQUIRE(c.core(3).commit() < a);

    const std::size_t before = c.sent.size();
    c.propose("b");
    int empty_appends = 0;
    for (std::size_t i = before; i < c.sent.size(); ++i) {
        const auto& m = c.sent[i];
        if (m.type == MessageType::kAppend && m.entries.empty()) ++empty_appends;
    }
    REQUIRE(empty_appends == 0);
    // The append of "b" told the members that "a" committed.
    REQUIRE(c.core(2).commit() >= a);
    REQUIRE(c.core(3).commit() >= a);
    REQUIRE(c.core(2).commit() < c.core(1).commit());
}

TEST_CASE("deferred commit notices: send_commit_notices tells only the members that lag",
          "[raft][replication]") {
    Cluster c(3, [](Config& cfg) { cfg.defer_commit_notices = true; });
    c.elect(1);
    const Index b = c.propose("b");
    REQUIRE(c.core(1).commit() == b);
    REQUIRE(c.core(2).commit() < b);

    const std::size_t before = c.sent.size();
    c.core(1).send_commit_notices();
    REQUIRE_FALSE(c.core(1).commit_notices_due());
    c.process(1);
    c.stabilize();
    int notices = 0;
    for (std::size_t i = before; i < c.sent.size(); ++i) {
        const auto& m = c.sent[i];
        if (m.type == MessageType::kAppend && m.from == 1) {
            REQUIRE(m.entries.empty());
            REQUIRE(m.commit == b);
            ++notices;
        }
    }
    REQUIRE(notices == 2);
    REQUIRE(c.core(2).commit() == b);
    REQUIRE(c.core(3).commit() == b);
    REQUIRE(c.node(2).applied_index == b);

    // Nothing is owed any more: a second call sends nothing.
    const std::size_t after = c.sent.size();
    c.core(1).send_commit_notices();
    c.process(1);
    c.stabilize();
    REQUIRE(c.sent.size() == after);
}

TEST_CASE("deferred commit notices: a heartbeat tells an idle member the commit index",
          "[raft][replication]") {
    Cluster c(3, [](Config& cfg) { cfg.defer_commit_notices = true; });
    c.elect(1);
    const Index b = c.propose("b");
    REQUIRE(c.core(3).commit() < b);
    c.tick(1, c.node(1).config.heartbeat_ticks);
    c.stabilize();
    REQUIRE(c.core(2).commit() == b);
    REQUIRE(c.core(3).commit() == b);
}
