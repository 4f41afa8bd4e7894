// What the runtime reports about itself: NodeEvents (the metrics' source) from a real cluster
// under writes, and the progress lines of a snapshot sent to a wiped member.
#include <spdlog/spdlog.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "captured_log.hpp"
#include "local_cluster.hpp"
#include "polling.hpp"

using namespace orcraft::raft;
using orcraft::raft::testing::LocalCluster;
using orcraft::tests::eventually;
using namespace std::chrono_literals;

namespace {

struct CountingEvents final : NodeEvents {
    std::atomic<std::uint64_t> disk_writes{0}, disk_entries{0}, applies{0}, applied_entries{0},
        taken{0}, installed{0}, receiving{0}, failures{0};
    void disk_write(std::uint64_t entries, double) override {
        ++disk_writes;
        disk_entries += entries;
    }
    void applied(std::uint64_t entries, double) override {
        ++applies;
        applied_entries += entries;
    }
    void snapshot_taken(std::uint64_t, double) override { ++taken; }
    void snapshot_installed(std::uint64_t, double) override { ++installed; }
    void snapshot_receiving(std::uint64_t, std::uint64_t) override { ++receiving; }
    void state_machine_failed(std::string_view) override { ++failures; }
};

// Restarts member `wiped` with an empty directory and waits until a snapshot has restored it
// (a write after the restart makes the leader replicate to it).
void rejoin_wiped(LocalCluster& c, int wiped) {
    c.stop(wiped);
    c.wipe(wiped);
    c.start(wiped);
    REQUIRE(c.propose_via_leader("after wipe").error == ProposeError::kNone);
    REQUIRE(eventually(10s, [&] { return c.member(wiped).sm->restores() >= 1; }));
}

}  // namespace

TEST_CASE(
    "events report disk writes applies and snapshots and a wiped member logs the snapshot "
    "it receives",
    "[raft_node]") {
    orcraft::raft::testing::LogCapture capture;
    auto& log = capture.lines;
    {
        std::vector<CountingEvents> events(3);  // outlives the nodes that report to it
        LocalCluster c(3);
        c.tweak = [](NodeOptions& o) {
            o.snapshot_threshold = 50;
            o.trailing_entries = 10;
        };
        for (int i = 0; i < 3; ++i) {
            c.start(i);
            c.node(i).set_events(&events[static_cast<std::size_t>(i)]);
        }
        c.wait_leader(10s);
        for (int i = 0; i < 300; ++i)
            REQUIRE(c.propose_via_leader("e" + std::to_string(i)).error == ProposeError::kNone);
        // The applied count includes the bootstrap entries, written before the events were
        // attached: wait for the writes of the 300 proposals to be reported too.
        REQUIRE(eventually(10s, [&] {
            for (auto& e : events)
                if (e.applied_entries < 300 || e.disk_entries < 300 || e.taken == 0) return false;
            return true;
        }));
        for (auto& e : events) {
            CHECK(e.disk_writes > 0);
            CHECK(e.disk_entries >= 300);
            CHECK(e.applies > 0);
            CHECK(e.failures == 0);
        }

        const int leader = c.wait_leader(10s);
        const int wiped = (leader + 1) % 3;
        c.node(wiped).set_events(nullptr);
        rejoin_wiped(c, wiped);
        CHECK(log->contains("receiving a snapshot at index"));
        CHECK(log->contains("received the snapshot at index"));
        // The apply thread logs the install once restore() has returned.
        CHECK(eventually(5s, [&] { return log->contains("installed the snapshot at index"); }));
        for (int i = 0; i < 3; ++i)
            c.node(i).set_events(nullptr);
    }
}

TEST_CASE("a leader reads its saved snapshot back from disk for a member that needs it",
          "[raft_node]") {
    orcraft::raft::testing::LogCapture capture;
    auto& log = capture.lines;
    LocalCluster c(3);
    c.tweak = [](NodeOptions& o) {
        o.snapshot_threshold = 1000000;  // only the snapshot asked for below
        o.trailing_entries = 5;
    };
    for (int i = 0; i < 3; ++i)
        c.start(i);
    const int leader = c.wait_leader(10s);
    for (int i = 0; i < 50; ++i)
        REQUIRE(c.propose_via_leader("e" + std::to_string(i)).error == ProposeError::kNone);
    // snapshot_now() answers once the snapshot is saved, when the core has let go of its bytes.
    std::atomic<int> saved{0};
    c.node(leader).snapshot_now([&](bool ok, const std::string&) { saved = ok ? 1 : -1; });
    REQUIRE(eventually(10s, [&] { return saved != 0; }));
    REQUIRE(saved == 1);
    CHECK_FALSE(log->contains("back from disk"));

    const int wiped = (leader + 1) % 3;
    rejoin_wiped(c, wiped);
    CHECK(log->contains("back from disk"));
    CHECK(eventually(
        10s, [&] { return c.member(wiped).sm->values() == c.member(leader).sm->values(); }));
}

TEST_CASE("a member that was down gets the entries it missed read back from the leader's disk",
          "[raft_node]") {
    orcraft::raft::testing::LogCapture capture;
    auto& log = capture.lines;
    LocalCluster c(3);
    c.tweak = [](NodeOptions& o) {
        o.snapshot_threshold = 1000000;  // the missed entries must come from the log
        o.core.settled_cache_bytes = 0;  // every settled entry leaves memory
    };
    for (int i = 0; i < 3; ++i)
        c.start(i);
    const int leader = c.wait_leader(10s);
    const int down = (leader + 1) % 3;
    c.stop(down);
    for (int i = 0; i < 300; ++i)
        REQUIRE(c.propose_via_leader("e" + std::to_string(i)).error == ProposeError::kNone);
    // The published state follows the loop; settled entries leave memory as they settle.
    CHECK(eventually(10s, [&] {
        const NodeState s = c.node(leader).state();
        return s.last_index - s.snapshot_index > 300 && s.entries_in_memory < 10;
    }));
    CHECK(c.node(leader).state().entries_read_back == 0);

    c.start(down);
    CHECK(eventually(10s,
                     [&] { return c.member(down).sm->values() == c.member(leader).sm->values(); }));
    std::uint64_t read_back = 0;  // by whoever led meanwhile
    for (int i = 0; i < 3; ++i)
        read_back += c.node(i).state().entries_read_back;
    CHECK(read_back >= 300);
    CHECK(log->contains("reading entries back from disk"));
    CHECK(c.member(down).sm->restores() == 0);  // the log, not a snapshot
}
