// What one simulated run does: the seed, the cluster size, which faults are injected and for
// how long, and the result it reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orcraft::raft::sim {

// Fault classes, selectable with --faults (a comma-separated list of these names).
enum Fault : std::uint32_t {
    kFaultNet = 1u << 0,        // message loss, duplication, delay spikes (hence reordering)
    kFaultPartition = 1u << 1,  // symmetric partitions of the cluster
    kFaultOneWay = 1u << 2,     // one-way link cuts
    kFaultCrash = 1u << 3,      // crashes (unsynced writes lost) and restarts
    kFaultDisk = 1u << 4,       // slow fsync
    kFaultClock = 1u << 5,      // clock drift and process pauses
    kFaultMember = 1u << 6,     // membership changes: remove, add learner, promote
    kFaultTransfer = 1u << 7,   // leadership transfers
    kFaultSnapshot = 1u << 8,   // frequent compaction, snapshots in tiny chunks
    kAllFaults = (1u << 9) - 1
};

// Parses "net,crash,..." or "all" or "none"; nullopt on an unknown name.
std::optional<std::uint32_t> parse_faults(const std::string& list);
std::string faults_to_string(std::uint32_t faults);

struct SimOptions {
    std::uint64_t seed = 1;
    int nodes = 3;  // 1..7
    std::uint32_t faults = kAllFaults;
    // Simulated seconds of faults; afterwards every fault heals and the cluster must converge
    // within heal_seconds.
    double fault_seconds = 10.0;
    double heal_seconds = 20.0;
    // Record a readable trace (slower); the trace hash is computed either way.
    bool trace = false;
    // Plants Config::testing_commit_previous_term_by_count in every core.
    bool plant_commit_bug = false;
    // Plants Config::testing_read_without_quorum in every core.
    bool plant_read_bug = false;
};

struct SimResult {
    bool ok = true;
    std::string violation;  // what went wrong (empty when ok)
    std::uint64_t events = 0;
    std::uint64_t trace_hash = 0;
    std::vector<std::string> trace;
    // Statistics, for the summary line.
    std::uint64_t writes_acked = 0;
    std::uint64_t reads_checked = 0;
    std::uint64_t leaders = 0;
    std::uint64_t snapshots_installed = 0;
    std::uint64_t entries_read_back = 0;  // through Config::load_entries
    // Applied while a write was in progress (Core::take_committed_entries).
    std::uint64_t applied_early = 0;
    std::uint64_t conf_changes = 0;
    double converge_seconds = 0;  // simulated time from the heal to convergence
};

SimResult run_simulation(const SimOptions& options);

}  // namespace orcraft::raft::sim
