// Three raft_testnode processes on 127.0.0.1, 127.0.0.2 and 127.0.0.3: SIGKILL of the leader,
// restart, a wiped member, SIGTERM (leadership moves before the process exits). A writer keeps
// proposing unique values throughout; at the end every acknowledged value is on every member
// exactly once.
#include <signal.h>

#include <catch2/catch.hpp>

#include "polling.hpp"
#include "process_cluster.hpp"

using namespace orcraft::raft::testing;
using orcraft::tests::eventually;
using namespace std::chrono_literals;

namespace {

int wait_agreed_leader(ProcessCluster& c, std::chrono::milliseconds deadline) {
    int leader = -1;
    bool ok = eventually(deadline, [&] { return (leader = c.agreed_leader()) != -1; });
    if (!ok) {
        for (int i = 0; i < c.size(); ++i)
            UNSCOPED_INFO("node " << i << " log:\n" << c.log_tail(i));
        FAIL("no agreed leader");
    }
    return leader;
}

void require_converged(ProcessCluster& c, UniqueWriter& writer) {
    writer.stop();
    const auto acked = writer.acknowledged();
    std::string problem;
    const bool ok = eventually(15s, [&] { return (problem = check_no_loss(c, acked)).empty(); });
    INFO(problem);
    REQUIRE(ok);
}

}  // namespace

TEST_CASE("process: kill -9 of the leader: a new leader takes writes, the old one catches up",
          "[raft_node][process]") {
    ProcessCluster c({});
    c.start_all();
    const int leader = wait_agreed_leader(c, 10s);
    UniqueWriter writer(c, "k");
    REQUIRE(eventually(10s, [&] { return writer.acknowledged_count() >= 200; }));

    c.signal(leader, SIGKILL);
    REQUIRE(c.wait_exit(leader, 5s));
    auto took = time_to_first_write(c, "probe", 10s);
    REQUIRE(took);
    WARN("kill -9 of the leader -> first write accepted by the new leader: " << took->count()
                                                                             << " ms");
    const auto before = writer.acknowledged_count();
    REQUIRE(eventually(10s, [&] { return writer.acknowledged_count() >= before + 200; }));

    c.start(leader);
    require_converged(c, writer);
    REQUIRE(writer.acknowledged().size() >= 400);
}

TEST_CASE("process: a member whose directory was wiped rejoins through a snapshot",
          "[raft_node][process]") {
    ProcessClusterOptions o;
    o.extra_args = {"--snapshot-threshold", "100", "--trailing", "20"};
    ProcessCluster c(o);
    c.start_all();
    const int leader = wait_agreed_leader(c, 10s);
    UniqueWriter writer(c, "w");
    REQUIRE(eventually(10s, [&] { return writer.acknowledged_count() >= 400; }));

    const int wiped = (leader + 1) % 3;
    c.signal(wiped, SIGKILL);
    REQUIRE(c.wait_exit(wiped, 5s));
    c.wipe(wiped);
    c.start(wiped);
    const auto before = writer.acknowledged_count();
    REQUIRE(eventually(10s, [&] { return writer.acknowledged_count() >= before + 200; }));
    require_converged(c, writer);
    auto s = c.state(wiped);
    REQUIRE(std::stoull(s["snapshots_installed"]) >= 1);
}

TEST_CASE("process: SIGTERM on the leader moves leadership before the process exits",
          "[raft_node][process]") {
    ProcessClusterOptions o;
    o.extra_args = {"--election-ticks", "100"};  // an election would take 1-2 s
    ProcessCluster c(o);
    c.start_all();
    const int leader = wait_agreed_leader(c, 10s);
    UniqueWriter writer(c, "t");
    REQUIRE(eventually(10s, [&] { return writer.acknowledged_count() >= 100; }));

    const auto sent = std::chrono::steady_clock::now();
    c.signal(leader, SIGTERM);
    REQUIRE(c.wait_exit(leader, 5s));
    const auto exited = std::chrono::steady_clock::now();
    // Another member leads at once: nobody had to wait for an election timeout (1 s).
    int next = -1;
    REQUIRE(eventually(
        700ms, [&] { return (next = c.some_leader()) != -1 && next != leader; }, 5ms));
    WARN("SIGTERM -> process exited after "
         << std::chrono::duration_cast<std::chrono::milliseconds>(exited - sent).count()
         << " ms, new leader " << c.identity(next));
    const auto before = writer.acknowledged_count();
    REQUIRE(eventually(10s, [&] { return writer.acknowledged_count() >= before + 100; }));

    c.start(leader);
    require_converged(c, writer);
}
