// orcraft-sim: runs the deterministic cluster simulation for a range of seeds.
//
//   orcraft-sim --seeds A..B [--nodes N] [--faults LIST] [--time SECONDS] [--jobs J]
//               [--keep-going] [--trace] [--plant-commit-bug] [--plant-read-bug]
//
// Prints one summary line for the whole range; on a violation it prints the (lowest) failing
// seed, the violation and the trace of that seed's run (replayed with tracing on), and exits 1.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "raft/sim/options.hpp"

using namespace orcraft::raft::sim;

namespace {

void usage() {
    std::fputs(
        "usage: orcraft-sim --seeds A..B [--nodes N] [--faults LIST] [--time SECONDS]\n"
        "                   [--jobs J] [--keep-going] [--trace] [--plant-commit-bug]\n"
        "                   [--plant-read-bug]\n"
        "  --seeds A..B        run seeds A to B inclusive (or a single seed A)\n"
        "  --nodes N           cluster size, 1 to 7 (default 3)\n"
        "  --faults LIST       comma-separated list of: net, partition, oneway, crash, disk,\n"
        "                      clock, member, transfer, snapshot; or all (default) or none\n"
        "  --time SECONDS      simulated seconds of faults per run (default 10); then every\n"
        "                      fault heals and the cluster must converge within 20 s\n"
        "  --jobs J            worker threads (default 1); results do not depend on it\n"
        "  --keep-going        run every seed even after a violation (reports the count)\n"
        "  --trace             print the trace of every run (use with one seed)\n"
        "  --plant-commit-bug  plant the test-only commit bug (the run must fail)\n"
        "  --plant-read-bug    plant the test-only stale-read bug (the run must fail)\n",
        stderr);
}

bool parse_range(const std::string& s, std::uint64_t& a, std::uint64_t& b) {
    auto dots = s.find("..");
    try {
        if (dots == std::string::npos) {
            a = b = std::stoull(s);
        } else {
            a = std::stoull(s.substr(0, dots));
            b = std::stoull(s.substr(dots + 2));
        }
    } catch (...) {
        return false;
    }
    return a <= b;
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t first = 1, last = 1;
    SimOptions base;
    int jobs = 1;
    bool trace_all = false;
    bool keep_going = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage();
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--seeds") {
            if (!parse_range(value(), first, last)) {
                usage();
                return 2;
            }
        } else if (a == "--nodes") {
            base.nodes = std::atoi(value().c_str());
            if (base.nodes < 1 || base.nodes > 7) {
                usage();
                return 2;
            }
        } else if (a == "--faults") {
            auto f = parse_faults(value());
            if (!f) {
                usage();
                return 2;
            }
            base.faults = *f;
        } else if (a == "--time") {
            base.fault_seconds = std::atof(value().c_str());
            if (base.fault_seconds < 0) {
                usage();
                return 2;
            }
        } else if (a == "--jobs") {
            jobs = std::max(1, std::atoi(value().c_str()));
        } else if (a == "--trace") {
            trace_all = true;
        } else if (a == "--keep-going") {
            keep_going = true;
        } else if (a == "--plant-commit-bug") {
            base.plant_commit_bug = true;
        } else if (a == "--plant-read-bug") {
            base.plant_read_bug = true;
        } else {
            usage();
            return 2;
        }
    }

    const auto started = std::chrono::steady_clock::now();
    std::atomic<std::uint64_t> next{first};
    std::atomic<std::uint64_t> events{0}, writes{0}, reads{0}, leaders{0}, snapshots{0}, changes{0},
        read_back{0}, applied_early{0};
    std::uint64_t failed_seed = 0;  // guarded by out_mu
    std::uint64_t violations = 0;   // guarded by out_mu
    std::atomic<bool> stop{false};
    std::mutex out_mu;
    double worst_converge = 0;

    auto worker = [&]() {
        while (!stop.load()) {
            const std::uint64_t seed = next.fetch_add(1);
            if (seed > last || seed < first) return;
            SimOptions o = base;
            o.seed = seed;
            o.trace = trace_all;
            SimResult r = run_simulation(o);
            events += r.events;
            writes += r.writes_acked;
            reads += r.reads_checked;
            leaders += r.leaders;
            snapshots += r.snapshots_installed;
            read_back += r.entries_read_back;
            applied_early += r.applied_early;
            changes += r.conf_changes;
            std::lock_guard<std::mutex> lock(out_mu);
            worst_converge = std::max(worst_converge, r.converge_seconds);
            if (trace_all) {
                for (const auto& line : r.trace)
                    std::printf("seed %llu %s\n", static_cast<unsigned long long>(seed),
                                line.c_str());
            }
            if (!r.ok) {
                ++violations;
                if (failed_seed == 0 || seed < failed_seed) failed_seed = seed;
                if (!keep_going) stop = true;
            }
        }
    };
    std::vector<std::thread> threads;
    for (int j = 1; j < jobs; ++j)
        threads.emplace_back(worker);
    worker();
    for (auto& t : threads)
        t.join();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    const std::uint64_t bad = failed_seed;
    std::printf(
        "seeds=%llu..%llu nodes=%d faults=%s time=%gs events=%llu acked_writes=%llu "
        "checked_reads=%llu "
        "leaders=%llu snapshots=%llu read_back=%llu applied_early=%llu conf_changes=%llu "
        "max_converge=%.2fs "
        "violations=%llu "
        "elapsed=%.1fs\n",
        static_cast<unsigned long long>(first), static_cast<unsigned long long>(last), base.nodes,
        faults_to_string(base.faults).c_str(), base.fault_seconds,
        static_cast<unsigned long long>(events.load()),
        static_cast<unsigned long long>(writes.load()),
        static_cast<unsigned long long>(reads.load()),
        static_cast<unsigned long long>(leaders.load()),
        static_cast<unsigned long long>(snapshots.load()),
        static_cast<unsigned long long>(read_back.load()),
        static_cast<unsigned long long>(applied_early.load()),
        static_cast<unsigned long long>(changes.load()), worst_converge,
        static_cast<unsigned long long>(violations), elapsed);
    if (!bad) return 0;

    // Replay the failing seed with tracing on: the run is deterministic, so it fails the same way.
    SimOptions o = base;
    o.seed = bad;
    o.trace = true;
    SimResult r = run_simulation(o);
    std::printf("VIOLATION seed=%llu: %s\n", static_cast<unsigned long long>(bad),
                r.violation.c_str());
    std::printf(
        "trace of seed %llu (%zu events; replay: orcraft-sim --seeds %llu --nodes %d --faults %s "
        "--time %g --trace):\n",
        static_cast<unsigned long long>(bad), r.trace.size(), static_cast<unsigned long long>(bad),
        base.nodes, faults_to_string(base.faults).c_str(), base.fault_seconds);
    const std::size_t from = r.trace.size() > 400 ? r.trace.size() - 400 : 0;
    if (from > 0) std::printf("  ... %zu earlier lines omitted ...\n", from);
    for (std::size_t i = from; i < r.trace.size(); ++i)
        std::printf("  %s\n", r.trace[i].c_str());
    return 1;
}
