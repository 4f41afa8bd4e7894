// The decisions of the lease election, against an in-memory store and a clock the test moves.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "backend/lease_election.hpp"
#include "fake_lease_store.hpp"

using namespace std::chrono_literals;
using orcraft::backend::ElectionOptions;
using orcraft::backend::LeaseElection;
using orcraft::backend::LeaseHolder;
using orcraft::tests::FakeLeaseStore;

namespace {

// One database, several nodes, one clock for everyone (the test's).
struct World {
    std::chrono::steady_clock::time_point t{std::chrono::hours(1)};
    FakeLeaseStore store{[this] { return t; }};
    std::vector<std::unique_ptr<LeaseElection>> nodes;

    LeaseElection& add(const std::string& name) {
        ElectionOptions o;
        o.self = LeaseHolder{"host-" + name, "token-" + name};
        o.lease = 5s;
        o.tick = 1000ms;
        o.now = [this] { return t; };
        nodes.push_back(std::make_unique<LeaseElection>(store, o));
        return *nodes.back();
    }
    // Nodes a and b after one round each, a first: a is the active node.
    std::pair<LeaseElection&, LeaseElection&> a_active_b_standing_by() {
        auto& a = add("a");
        auto& b = add("b");
        a.tick();
        b.tick();
        REQUIRE(a.state().elected);
        return {a, b};
    }
    void advance(std::chrono::milliseconds d) { t += d; }
    int leaders() const {
        int n = 0;
        for (const auto& node : nodes)
            n += node->state().elected ? 1 : 0;
        return n;
    }
};

}  // namespace

TEST_CASE("a lone node is elected at its first round and creates the tables once",
          "[lease_election]") {
    World w;
    auto& a = w.add("a");
    CHECK_FALSE(a.state().healthy);
    CHECK_FALSE(a.state().elected);
    a.tick();
    auto s = a.state();
    CHECK(s.healthy);
    CHECK(s.elected);
    REQUIRE(s.active);
    CHECK(s.active->token == "token-a");
    w.advance(1000ms);
    a.tick();
    CHECK(a.state().elected);
    CHECK(w.store.prepared == 1);
}

TEST_CASE("of nodes sharing the store exactly one is elected, and the others know which",
          "[lease_election]") {
    World w;
    auto& a = w.add("a");
    auto& b = w.add("b");
    auto& c = w.add("c");
    for (int round = 0; round < 10; ++round) {
        a.tick();
        w.advance(300ms);
        b.tick();
        w.advance(300ms);
        c.tick();
        w.advance(400ms);
        CHECK(w.leaders() == 1);
    }
    CHECK(a.state().elected);
    REQUIRE(b.state().active);
    CHECK(b.state().active->hostname == "host-a");
    CHECK(c.state().active->token == "token-a");
}

TEST_CASE("a silent active node is replaced only after the lease has expired", "[lease_election]") {
    World w;
    auto [a, b] = w.a_active_b_standing_by();
    // a dies: it never ticks again. b keeps its rounds every second.
    for (int i = 1; i <= 5; ++i) {
        w.advance(1000ms);
        b.tick();
        INFO("second " << i);
        CHECK_FALSE(b.state().elected);
    }
    w.advance(1000ms);  // 6 s after the last renewal: older than the 5 s lease
    b.tick();
    CHECK(b.state().elected);
    CHECK(w.store.holder()->token == "token-b");
}

TEST_CASE("an active node that cannot renew steps down on its own when the lease runs out",
          "[lease_election]") {
    World w;
    auto& a = w.add("a");
    a.tick();
    REQUIRE(a.state().elected);
    // No round at all (the election thread is stuck): the local clock alone decides.
    w.advance(4900ms);
    CHECK(a.state().elected);
    w.advance(100ms);
    CHECK_FALSE(a.state().elected);
    CHECK_FALSE(a.state().healthy);
    CHECK_FALSE(a.state().active);
}

TEST_CASE("a round that hangs in the database does not extend the lease", "[lease_election]") {
    World w;
    auto& a = w.add("a");
    a.tick();
    REQUIRE(a.state().elected);
    w.advance(1000ms);
    // The next round's first query blocks for 6 s before failing (a read timeout).
    bool seen_during_hang = true;
    w.store.on_call = [&](const std::string& call) {
        if (call != "active") return;
        w.advance(6000ms);
        seen_during_hang = a.state().elected;
        throw std::runtime_error("Lost connection to server during query");
    };
    a.tick();
    CHECK_FALSE(seen_during_hang);
    CHECK_FALSE(a.state().elected);
    CHECK_FALSE(a.state().healthy);
    CHECK(a.state().error.find("Lost connection") != std::string::npos);
}

TEST_CASE("a round that hangs and then succeeds counts as healthy from its end",
          "[lease_election]") {
    World w;
    auto [a, b] = w.a_active_b_standing_by();
    // a dies. b's next round starts 1 s later and its first query hangs for 4.5 s, until the
    // database resumes; the rest of the round runs at once and takes the expired lease over.
    w.advance(1000ms);
    bool hung = false;
    w.store.on_call = [&](const std::string& call) {
        if (call != "active" || hung) return;
        hung = true;
        w.advance(4500ms);
    };
    b.tick();
    REQUIRE(b.state().elected);
    // Just before b's next round, more than a lease after that round started: b still counts as
    // healthy and active, since the database answered it 0.9 s ago.
    w.advance(900ms);
    CHECK(b.state().healthy);
    CHECK(b.state().elected);
}

TEST_CASE("an unreachable store makes every node unhealthy and leaderless until it recovers",
          "[lease_election]") {
    World w;
    auto& a = w.add("a");
    auto& b = w.add("b");
    a.tick();
    b.tick();
    REQUIRE(w.leaders() == 1);
    w.store.failure = "Can't connect to server";
    for (int i = 0; i < 3; ++i) {
        w.advance(1000ms);
        a.tick();
        b.tick();
        CHECK(w.leaders() == 0);
        CHECK_FALSE(a.state().healthy);
        CHECK_FALSE(b.state().healthy);
        CHECK(a.state().error == "Can't connect to server");
    }
    w.store.failure.reset();
    w.advance(1000ms);
    a.tick();
    b.tick();
    CHECK(a.state().healthy);
    CHECK(b.state().healthy);
    // The database kept a's row, renewed 4 s ago: a renews it again.
    CHECK(w.leaders() == 1);
    CHECK(a.state().elected);
}

TEST_CASE("reelect from another node moves leadership away from the active node",
          "[lease_election]") {
    World w;
    auto& a = w.add("a");
    auto& b = w.add("b");
    auto& c = w.add("c");
    a.tick();
    b.tick();
    c.tick();
    REQUIRE(a.state().elected);
    c.reelect();
    CHECK_FALSE(w.store.holder());
    // a ticks first, sees its row gone and sits this round out; b wins.
    w.advance(300ms);
    a.tick();
    CHECK_FALSE(a.state().elected);
    b.tick();
    c.tick();
    CHECK(b.state().elected);
    CHECK(w.leaders() == 1);
    w.advance(1000ms);
    a.tick();
    b.tick();
    c.tick();
    CHECK(b.state().elected);
    CHECK(w.leaders() == 1);
}

TEST_CASE("reelect on the active node steps it down at once", "[lease_election]") {
    World w;
    auto& a = w.add("a");
    auto& b = w.add("b");
    a.tick();
    b.tick();
    a.reelect();
    CHECK_FALSE(a.state().elected);
    a.tick();  // sits out even though it ticks first
    CHECK_FALSE(a.state().elected);
    b.tick();
    CHECK(b.state().elected);
    CHECK(w.leaders() == 1);
}

TEST_CASE("grab-election makes a node active at once and the old one yields at its next round",
          "[lease_election]") {
    World w;
    auto [a, b] = w.a_active_b_standing_by();
    b.grab();
    CHECK(b.state().elected);
    w.advance(500ms);
    a.tick();
    CHECK_FALSE(a.state().elected);
    REQUIRE(a.state().active);
    CHECK(a.state().active->token == "token-b");
    CHECK(w.leaders() == 1);
}

TEST_CASE("a renewal counted as zero rows keeps the lease only as long as the last counted write",
          "[lease_election]") {
    World w;
    auto& a = w.add("a");
    a.tick();
    REQUIRE(a.state().elected);
    w.store.renew_counts_zero = true;
    for (int i = 1; i <= 4; ++i) {
        w.advance(1000ms);
        a.tick();
        CHECK(a.state().elected);  // the row is ours and fresh
    }
    // 5 s after the insert, the last write this node counted: it does not assume more.
    w.advance(1000ms);
    CHECK_FALSE(a.state().elected);
    w.store.renew_counts_zero = false;
    a.tick();
    CHECK(a.state().elected);
}

TEST_CASE("resign gives the lease up so another node wins its next round", "[lease_election]") {
    World w;
    auto& a = w.add("a");
    auto& b = w.add("b");
    a.tick();
    b.tick();
    a.resign();
    CHECK_FALSE(a.state().elected);
    CHECK_FALSE(w.store.holder());
    w.advance(100ms);
    b.tick();
    CHECK(b.state().elected);
    // A node that is not active leaves the row alone.
    a.resign();
    CHECK(w.store.holder()->token == "token-b");
}

TEST_CASE("a store clock with whole seconds shortens the lease a node counts on by one second",
          "[lease_election]") {
    World w;
    w.store.clock_resolution = 1000ms;
    auto& a = w.add("a");
    a.tick();
    REQUIRE(a.state().elected);
    w.advance(3900ms);
    CHECK(a.state().elected);
    w.advance(100ms);  // 4 s: another node could already see a whole-second age of 5 s
    CHECK_FALSE(a.state().elected);
}

TEST_CASE("the runner ticks on its own thread and runs commands between rounds",
          "[lease_election]") {
    using Clock = std::chrono::steady_clock;
    FakeLeaseStore store{[] { return Clock::now(); }};
    std::atomic<int> rounds{0};
    store.on_call = [&](const std::string& call) {
        if (call == "insert_anchor") ++rounds;
    };
    ElectionOptions o;
    o.self = LeaseHolder{"host-a", "token-a"};
    o.lease = 5s;
    o.tick = 10ms;
    LeaseElection election(store, o);
    orcraft::backend::ElectionRunner runner(election);

    const auto eventually = [](auto condition) {
        const auto until = Clock::now() + 5s;
        while (!condition()) {
            if (Clock::now() > until) return false;
            std::this_thread::sleep_for(5ms);  // polling interval of the deadline loop
        }
        return true;
    };
    CHECK(eventually([&] { return election.state().elected; }));
    CHECK(eventually([&] { return rounds.load() >= 5; }));

    std::atomic<bool> ran{false};
    REQUIRE(runner.post([&] {
        election.reelect();
        ran = true;
    }));
    CHECK(eventually([&] { return ran.load(); }));
    // After sitting out one round, the lone node is elected again.
    CHECK(eventually([&] { return election.state().elected; }));

    runner.stop();  // joins: the store is the test's alone again
    CHECK_FALSE(runner.post([] {}));
    CHECK(store.holder());
}
