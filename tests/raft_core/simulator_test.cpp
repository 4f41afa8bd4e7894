// The simulator itself: determinism, a quiet cluster that never flaps, and proof that the
// invariant checker finds a planted protocol bug.
#include <catch2/catch.hpp>

#include "raft/sim/options.hpp"

using namespace orcraft::raft::sim;

TEST_CASE("simulator: the same seed gives the same trace", "[raft][sim]") {
    SimOptions o;
    o.seed = 42;
    o.nodes = 5;
    o.trace = true;
    const SimResult a = run_simulation(o);
    const SimResult b = run_simulation(o);
    REQUIRE(a.ok);
    REQUIRE(a.trace.size() > 1000);
    REQUIRE(a.trace == b.trace);
    REQUIRE(a.trace_hash == b.trace_hash);
    REQUIRE(a.events == b.events);
    // Tracing only observes: a run without it takes the same path.
    o.trace = false;
    REQUIRE(run_simulation(o).trace_hash == a.trace_hash);
    o.seed = 43;
    REQUIRE(run_simulation(o).trace_hash != a.trace_hash);
}

TEST_CASE("simulator: a healthy cluster elects one leader and never flaps", "[raft][sim]") {
    for (int nodes : {3, 5}) {
        SimOptions o;
        o.seed = 7;
        o.nodes = nodes;
        o.faults = 0;
        o.fault_seconds = 60;
        const SimResult r = run_simulation(o);
        REQUIRE(r.ok);
        REQUIRE(r.leaders == 1);
        REQUIRE(r.writes_acked > 1000);
        REQUIRE(r.reads_checked > 1000);
    }
}

TEST_CASE("simulator: every fault class alone keeps the invariants", "[raft][sim]") {
    for (const char* f : {"net", "partition", "oneway", "crash", "disk", "clock", "member",
                          "transfer", "snapshot"}) {
        for (std::uint64_t seed = 1; seed <= 20; ++seed) {
            SimOptions o;
            o.seed = seed;
            o.nodes = 5;
            o.faults = *parse_faults(f);
            const SimResult r = run_simulation(o);
            INFO(f << " seed " << seed << ": " << r.violation);
            REQUIRE(r.ok);
        }
    }
}

TEST_CASE("simulator: the planted commit bug is found within a bounded number of seeds",
          "[raft][sim][planted]") {
    // Committing a previous-term entry by counting replicas (Raft paper figure 8) loses
    // committed entries only in rare interleavings; long runs make them likely enough.
    SimOptions o;
    o.nodes = 3;
    o.fault_seconds = 30;
    o.plant_commit_bug = true;
    std::uint64_t found = 0;
    std::string violation;
    for (std::uint64_t seed = 1; seed <= 10000 && found == 0; ++seed) {
        o.seed = seed;
        const SimResult r = run_simulation(o);
        if (!r.ok) {
            found = seed;
            violation = r.violation;
        }
    }
    INFO("first failing seed " << found << ": " << violation);
    REQUIRE(found != 0);
    // A safety property caught it (not, say, a liveness timeout).
    const bool safety = violation.find("leader completeness") != std::string::npos ||
                        violation.find("state machine safety") != std::string::npos ||
                        violation.find("committed with term") != std::string::npos ||
                        violation.find("acknowledged write") != std::string::npos ||
                        violation.find("linearizability") != std::string::npos;
    REQUIRE(safety);
    // The same seed passes with the correct commit rule.
    o.seed = found;
    o.plant_commit_bug = false;
    const SimResult clean = run_simulation(o);
    INFO(clean.violation);
    REQUIRE(clean.ok);
}

TEST_CASE("simulator: a planted stale-read bug is found by the linearizability check",
          "[raft][sim][planted]") {
    // A leader that answers ReadIndex without a quorum round serves stale reads once it has
    // been deposed without noticing (a pause, a partition).
    SimOptions o;
    o.nodes = 3;
    o.plant_read_bug = true;
    std::uint64_t found = 0;
    std::string violation;
    for (std::uint64_t seed = 1; seed <= 2000 && found == 0; ++seed) {
        o.seed = seed;
        const SimResult r = run_simulation(o);
        if (!r.ok) {
            found = seed;
            violation = r.violation;
        }
    }
    INFO("first failing seed " << found << ": " << violation);
    REQUIRE(found != 0);
    REQUIRE(violation.find("linearizability") != std::string::npos);
    o.seed = found;
    o.plant_read_bug = false;
    REQUIRE(run_simulation(o).ok);
}
