// The node runtime in one process: real log stores, real TCP on 127.0.0.x, in-memory state
// machines. Elections, replication, reads, transfer, restart, snapshots, membership, disk stalls
// and group commit.
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "local_cluster.hpp"
#include "polling.hpp"
#include "stalling_log_store.hpp"

using namespace orcraft::raft;
using orcraft::raft::testing::DiskGate;
using orcraft::raft::testing::LocalCluster;
using orcraft::raft::testing::StallingLogStore;
using orcraft::tests::eventually;
using namespace std::chrono_literals;

namespace {

// Waits until every running member applied the same values as `expected`.
bool converged(LocalCluster& c, const std::vector<std::string>& expected,
               std::chrono::milliseconds deadline = 10s) {
    return eventually(deadline, [&] {
        for (int i = 0; i < c.size(); ++i) {
            if (!c.member(i).node) continue;
            if (c.member(i).sm->values() != expected) return false;
        }
        return true;
    });
}

}  // namespace

TEST_CASE("a single bootstrap voter leads at once and applies its proposals", "[raft_node]") {
    LocalCluster c(1);
    c.tweak = [](NodeOptions& o) { o.core.election_ticks = 100; };  // a timeout of 1-2 s
    const auto started = std::chrono::steady_clock::now();
    c.start(0);
    REQUIRE(c.wait_leader(5s) == 0);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    // No election timeout (1 s at least) is waited for.
    CHECK(elapsed < 900ms);
    std::vector<std::string> expected;
    for (int i = 0; i < 50; ++i) {
        auto out = c.propose(0, "v" + std::to_string(i));
        REQUIRE(out.error == ProposeError::kNone);
        REQUIRE(out.result == "applied at " + std::to_string(out.index));
        expected.push_back("v" + std::to_string(i));
    }
    REQUIRE(c.member(0).sm->values() == expected);
    auto [ok, index] = c.read(0);
    REQUIRE(ok);
    NodeState s = c.node(0).state();
    REQUIRE(std::stoull(index) == s.commit);
    REQUIRE(s.leader_http_url == "http://127.0.0.1:10000");
    REQUIRE(s.voters.size() == 1);
    REQUIRE(s.voters[0].identity == c.member(0).address.identity);
    REQUIRE(s.proposals == 50);
}

TEST_CASE("three members replicate, answer linearizable reads, and name the leader",
          "[raft_node]") {
    LocalCluster c(3);
    for (int i = 0; i < 3; ++i)
        c.start(i);
    const int leader = c.wait_leader(10s);
    const int follower = (leader + 1) % 3;

    auto refused = c.propose(follower, "x");
    REQUIRE(refused.error == ProposeError::kNotLeader);
    REQUIRE(refused.message.find(c.member(leader).address.identity) != std::string::npos);

    // Many proposals in flight at once.
    const int n = 300;
    std::atomic<int> ok{0};
    std::atomic<int> done{0};
    for (int i = 0; i < n; ++i) {
        c.node(leader).propose("p" + std::to_string(i), [&](ProposeOutcome o) {
            if (o.error == ProposeError::kNone) ++ok;
            ++done;
        });
    }
    REQUIRE(eventually(20s, [&] { return done == n; }));
    REQUIRE(ok == n);
    const Index last = c.node(leader).state().commit;

    // A read on a follower reflects every acknowledged write once it completes.
    auto [read_ok, index] = c.read(follower);
    REQUIRE(read_ok);
    REQUIRE(std::stoull(index) >= last);
    REQUIRE(c.node(follower).state().applied >= last);
    std::set<std::string> seen;
    for (const auto& v : c.member(follower).sm->values())
        seen.insert(v);
    REQUIRE(seen.size() == n);

    NodeState fs = c.node(follower).state();
    REQUIRE(fs.leader_identity == c.member(leader).address.identity);
    REQUIRE(fs.leader_http_url ==
            "http://" + c.member(leader).address.host + ":" + std::to_string(10000 + leader));
    REQUIRE(fs.voters.size() == 3);
    REQUIRE(converged(c, c.member(leader).sm->values()));
}

TEST_CASE("leadership transfer, and stop() on the leader hands leadership over first",
          "[raft_node]") {
    LocalCluster c(3);
    c.tweak = [](NodeOptions& o) { o.core.election_ticks = 100; };  // a timeout of 1-2 s
    for (int i = 0; i < 3; ++i)
        c.start(i);
    const int leader = c.wait_leader(10s);
    REQUIRE(c.propose_via_leader("a").error == ProposeError::kNone);

    const int target = (leader + 2) % 3;
    std::promise<std::pair<bool, std::string>> p;
    c.node(leader).transfer_leadership(c.member(target).address.id, [&](bool ok, std::string m) {
        p.set_value({ok, m});
    });
    auto f = p.get_future();
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    auto [ok, message] = f.get();
    INFO(message);
    REQUIRE(ok);
    REQUIRE(c.wait_leader(5s) == target);

    // A planned stop: the new leader is in place well within one election timeout (1 s).
    const auto before = std::chrono::steady_clock::now();
    c.stop(target, 2000);
    c.wait_leader(5s, target);
    const auto took = std::chrono::steady_clock::now() - before;
    CHECK(took < 900ms);
    REQUIRE(c.propose_via_leader("b").error == ProposeError::kNone);
}

TEST_CASE("a restarted cluster keeps its log and rebuilds its state machines", "[raft_node]") {
    LocalCluster c(3);
    for (int i = 0; i < 3; ++i)
        c.start(i);
    c.wait_leader(10s);
    std::vector<std::string> expected;
    for (int i = 0; i < 20; ++i) {
        REQUIRE(c.propose_via_leader("r" + std::to_string(i)).error == ProposeError::kNone);
        expected.push_back("r" + std::to_string(i));
    }
    REQUIRE(converged(c, expected));
    for (int i = 0; i < 3; ++i) {
        c.stop(i);
        c.member(i).sm = std::make_shared<orcraft::raft::testing::MemoryStateMachine>();
    }
    for (int i = 0; i < 3; ++i)
        c.start(i);
    // Entries committed before the stop are applied again from the logs.
    REQUIRE(converged(c, expected));
    REQUIRE(c.propose_via_leader("after").error == ProposeError::kNone);
    expected.push_back("after");
    REQUIRE(converged(c, expected));
}

TEST_CASE("snapshots compact the log, and a wiped member and a new member catch up from one",
          "[raft_node]") {
    LocalCluster c(4, 3);
    c.tweak = [](NodeOptions& o) {
        o.snapshot_threshold = 40;
        o.trailing_entries = 10;
    };
    for (int i = 0; i < 3; ++i)
        c.start(i);
    int leader = c.wait_leader(10s);
    std::vector<std::string> expected;
    for (int i = 0; i < 120; ++i) {
        REQUIRE(c.propose_via_leader("s" + std::to_string(i)).error == ProposeError::kNone);
        expected.push_back("s" + std::to_string(i));
    }
    REQUIRE(converged(c, expected));
    REQUIRE(eventually(5s, [&] {
        for (int i = 0; i < 3; ++i)
            if (c.node(i).state().snapshots_taken == 0) return false;
        return true;
    }));
    REQUIRE(c.node(leader).state().snapshot_index >= 80);

    // A member that lost its data directory (and its state) rejoins through a snapshot.
    const int wiped = (leader + 1) % 3;
    c.stop(wiped);
    c.wipe(wiped);
    c.start(wiped);
    // The leader still counts the member's old progress; the next append finds the gap and
    // falls back to the snapshot.
    REQUIRE(c.propose_via_leader("after wipe").error == ProposeError::kNone);
    expected.push_back("after wipe");
    REQUIRE(converged(c, expected));
    REQUIRE(c.node(wiped).state().snapshots_installed >= 1);
    REQUIRE(c.member(wiped).sm->restores() >= 1);

    // A node that starts empty joins as a learner, catches up through a snapshot, becomes a voter.
    leader = c.wait_leader(10s);
    c.start(3);  // not a member yet: it knows no leader until it is added
    std::promise<std::pair<bool, std::string>> added;
    c.node(leader).add_voter(c.member(3).address, [&](bool ok, std::string m) {
        added.set_value({ok, m});
    });
    auto f = added.get_future();
    REQUIRE(f.wait_for(20s) == std::future_status::ready);
    auto [ok, message] = f.get();
    INFO(message);
    REQUIRE(ok);
    REQUIRE(converged(c, expected));
    REQUIRE(c.node(3).state().snapshots_installed >= 1);
    REQUIRE(eventually(5s, [&] {
        for (int i = 0; i < 4; ++i)
            if (c.node(i).state().voters.size() != 4) return false;
        return true;
    }));
    // Every member knows the new voter's address (from the member record in the log).
    for (int i = 0; i < 4; ++i) {
        bool known = false;
        for (const auto& v : c.node(i).state().voters)
            known |= v.identity == c.member(3).address.identity;
        REQUIRE(known);
    }
    REQUIRE(c.propose_via_leader("with four").error == ProposeError::kNone);
    expected.push_back("with four");
    REQUIRE(converged(c, expected));

    // And leaves again.
    leader = c.wait_leader(10s);
    std::promise<std::pair<bool, std::string>> removed;
    c.node(leader).remove_member(c.member(3).address.id, [&](bool ok, std::string m) {
        removed.set_value({ok, m});
    });
    auto r = removed.get_future();
    REQUIRE(r.wait_for(10s) == std::future_status::ready);
    REQUIRE(r.get().first);
    REQUIRE(eventually(5s, [&] { return c.node(leader).state().voters.size() == 3; }));
}

TEST_CASE("a leader whose disk stalls steps down and the others carry on", "[raft_node]") {
    LocalCluster c(3);
    std::vector<std::shared_ptr<DiskGate>> gates;
    for (int i = 0; i < 3; ++i)
        gates.push_back(std::make_shared<DiskGate>());
    int starting = 0;
    c.tweak = [&](NodeOptions& o) {
        o.disk_stall_ms = 200;
        auto gate = gates[static_cast<std::size_t>(starting)];
        o.open_log_store = [gate](const std::string& dir, const LogStoreOptions& lo) {
            return std::make_unique<StallingLogStore>(LogStore::open(dir, lo), gate);
        };
    };
    for (starting = 0; starting < 3; ++starting)
        c.start(starting);
    const int leader = c.wait_leader(10s);
    REQUIRE(c.propose_via_leader("before").error == ProposeError::kNone);

    gates[static_cast<std::size_t>(leader)]->stall();
    std::promise<ProposeOutcome> stuck;
    c.node(leader).propose("stuck", [&](ProposeOutcome o) { stuck.set_value(o); });
    // The old leader gives up; the other two elect a leader that accepts writes.
    REQUIRE(eventually(3s, [&] { return c.node(leader).state().role != Role::kLeader; }));
    int next = -1;
    REQUIRE(eventually(5s, [&] {
        for (int i = 0; i < 3; ++i)
            if (i != leader && c.node(i).state().role == Role::kLeader) next = i;
        return next != -1;
    }));
    REQUIRE(c.propose_via_leader("after").error == ProposeError::kNone);

    gates[static_cast<std::size_t>(leader)]->release();
    REQUIRE(c.wait_leader(10s) != -1);
    auto f = stuck.get_future();
    REQUIRE(f.wait_for(12s) == std::future_status::ready);
    // Whatever became of "stuck", every member ends with the same values.
    REQUIRE(converged(c, c.member(next).sm->values()));
}

TEST_CASE("concurrent proposals share disk syncs (group commit)", "[raft_node]") {
    LocalCluster c(3);
    for (int i = 0; i < 3; ++i)
        c.start(i);
    const int leader = c.wait_leader(10s);
    const NodeState before = c.node(leader).state();
    // 64 proposers, each proposing again as soon as its previous entry applied.
    const int proposers = 64, per = 40;
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < proposers; ++w) {
        threads.emplace_back([&, w] {
            for (int k = 0; k < per; ++k) {
                auto out = c.try_propose_via_leader(
                    "g" + std::to_string(w) + "-" + std::to_string(k), 20s);
                if (out.error != ProposeError::kNone) ++failed;
            }
        });
    }
    for (auto& t : threads)
        t.join();
    REQUIRE(failed == 0);
    // A proposer hears of its entry from the apply thread, which can be before the loop has
    // published the state that counts it: wait for the count.
    NodeState after;
    const bool counted = eventually(5s, [&] {
        after = c.node(leader).state();
        return after.entries_committed - before.entries_committed >=
               static_cast<std::uint64_t>(proposers * per);
    });
    const double syncs = static_cast<double>(after.syncs - before.syncs);
    const double entries = static_cast<double>(after.entries_committed - before.entries_committed);
    INFO("syncs " << syncs << " entries " << entries);
    REQUIRE(counted);
    if (after.term == before.term && after.role == Role::kLeader) CHECK(syncs / entries < 0.5);
}
