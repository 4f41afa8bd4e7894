// The node's named metrics: every family present from the start, the raft state mapped from
// raft::NodeState, and the events the HTTP layer and the runtime report.

#include <catch2/catch.hpp>

#include "server/metrics/node_metrics.hpp"
#include "server/metrics/raft_metrics.hpp"
#include "tests/metrics/exposition_parser.hpp"

using namespace orcraft::server::metrics;
using orcraft::tests::parse_exposition;

TEST_CASE("a fresh node exports every family at zero", "[metrics]") {
    Registry registry;
    NodeMetrics metrics(registry);
    const auto parsed = parse_exposition(registry.expose());
    for (const char* name : {"orcraft_http_requests_total",
                             "orcraft_http_request_duration_seconds",
                             "orcraft_backend_errors_total",
                             "orcraft_forwarded_requests_total",
                             "orcraft_raft_fsync_duration_seconds",
                             "orcraft_raft_entries_per_batch",
                             "orcraft_raft_apply_duration_seconds",
                             "orcraft_raft_snapshot_duration_seconds",
                             "orcraft_raft_snapshot_install_received_bytes",
                             "orcraft_raft_snapshot_install_total_bytes",
                             "orcraft_raft_term",
                             "orcraft_raft_state",
                             "orcraft_raft_has_leader",
                             "orcraft_raft_commit_index",
                             "orcraft_raft_applied_index",
                             "orcraft_raft_last_log_index",
                             "orcraft_raft_snapshot_index",
                             "orcraft_raft_voters",
                             "orcraft_raft_learners",
                             "orcraft_raft_proposals_total",
                             "orcraft_raft_entries_committed_total",
                             "orcraft_raft_fsyncs_total",
                             "orcraft_raft_disk_batches_total",
                             "orcraft_raft_snapshots_total",
                             "orcraft_raft_snapshot_last_bytes",
                             "orcraft_raft_snapshot_last_duration_seconds",
                             "orcraft_raft_log_entries_in_memory",
                             "orcraft_raft_entries_read_back_total",
                             "process_resident_memory_bytes",
                             "process_virtual_memory_bytes",
                             "process_open_fds"}) {
        INFO(name);
        CHECK(parsed.families.count(name) == 1);
    }
    CHECK(parsed.value("orcraft_raft_commit_index") == 0);
    CHECK(parsed.value("orcraft_raft_snapshots_total", {{"kind", "taken"}}) == 0);
    CHECK(parsed.value("orcraft_raft_state", {{"state", "leader"}}) == 0);
    CHECK(parsed.value("process_resident_memory_bytes") > 1024 * 1024);
    CHECK(parsed.value("process_open_fds") >= 3);
}

TEST_CASE("two NodeMetrics cannot share a registry", "[metrics]") {
    Registry registry;
    NodeMetrics metrics(registry);
    CHECK_THROWS_AS(NodeMetrics(registry), std::invalid_argument);
}

TEST_CASE("the raft runtime's state at every scrape", "[metrics]") {
    Registry registry;
    NodeMetrics metrics(registry);
    orcraft::raft::NodeState state;
    state.role = orcraft::raft::Role::kLeader;
    state.term = 7;
    state.leader = 42;
    state.commit = 1000;
    state.applied = 998;
    state.last_index = 1001;
    state.snapshot_index = 512;
    state.voters.resize(3);
    state.learners.resize(1);
    state.proposals = 900;
    state.entries_committed = 1000;
    state.syncs = 150;
    state.disk_batches = 140;
    state.snapshots_taken = 2;
    state.snapshots_installed = 1;
    state.last_snapshot_bytes = 1 << 20;
    state.last_snapshot_seconds = 0.25;
    state.entries_in_memory = 96;
    state.entries_read_back = 4000;
    int reads = 0;
    auto hook = watch_raft(metrics, [&] {
        ++reads;
        return state;
    });

    auto parsed = parse_exposition(registry.expose());
    CHECK(reads == 1);
    CHECK(parsed.value("orcraft_raft_term") == 7);
    CHECK(parsed.value("orcraft_raft_state", {{"state", "leader"}}) == 1);
    CHECK(parsed.value("orcraft_raft_state", {{"state", "follower"}}) == 0);
    CHECK(parsed.value("orcraft_raft_has_leader") == 1);
    CHECK(parsed.value("orcraft_raft_commit_index") == 1000);
    CHECK(parsed.value("orcraft_raft_applied_index") == 998);
    CHECK(parsed.value("orcraft_raft_last_log_index") == 1001);
    CHECK(parsed.value("orcraft_raft_snapshot_index") == 512);
    CHECK(parsed.value("orcraft_raft_voters") == 3);
    CHECK(parsed.value("orcraft_raft_learners") == 1);
    CHECK(parsed.value("orcraft_raft_proposals_total") == 900);
    CHECK(parsed.value("orcraft_raft_entries_committed_total") == 1000);
    CHECK(parsed.value("orcraft_raft_fsyncs_total") == 150);
    CHECK(parsed.value("orcraft_raft_disk_batches_total") == 140);
    CHECK(parsed.value("orcraft_raft_snapshots_total", {{"kind", "taken"}}) == 2);
    CHECK(parsed.value("orcraft_raft_snapshots_total", {{"kind", "installed"}}) == 1);
    CHECK(parsed.value("orcraft_raft_snapshot_last_bytes") == 1 << 20);
    CHECK(parsed.value("orcraft_raft_snapshot_last_duration_seconds") == 0.25);
    CHECK(parsed.value("orcraft_raft_log_entries_in_memory") == 96);
    CHECK(parsed.value("orcraft_raft_entries_read_back_total") == 4000);

    // The node steps down and loses its leader.
    state.role = orcraft::raft::Role::kPreCandidate;
    state.leader = orcraft::raft::kNoNode;
    state.term = 8;
    parsed = parse_exposition(registry.expose());
    CHECK(parsed.value("orcraft_raft_state", {{"state", "leader"}}) == 0);
    CHECK(parsed.value("orcraft_raft_state", {{"state", "pre_candidate"}}) == 1);
    CHECK(parsed.value("orcraft_raft_has_leader") == 0);
    CHECK(parsed.value("orcraft_raft_term") == 8);

    hook.reset();
    state.term = 9;
    parsed = parse_exposition(registry.expose());
    CHECK(reads == 2);
    CHECK(parsed.value("orcraft_raft_term") == 8);  // the last value seen
}

TEST_CASE("events reported by the HTTP layer, the service and the runtime", "[metrics]") {
    Registry registry;
    NodeMetrics metrics(registry);
    metrics.count_http_request("db/execute", 200, 0.002);
    metrics.count_http_request("db/execute", 200, 0.004);
    metrics.count_http_request("db/execute", 503, 0.0001);
    metrics.count_backend_error("apply");
    metrics.count_forwarded("execute", "ok");
    metrics.count_forwarded("execute", "unreachable");
    metrics.observe_disk_write(16, 0.0003);
    metrics.observe_disk_write(1, 0.0002);
    metrics.observe_apply(0.001);
    metrics.observe_snapshot(SnapshotKind::Installed, 3.0);
    metrics.set_snapshot_install_progress(4096, 10000);

    const auto p = parse_exposition(registry.expose());
    CHECK(p.value("orcraft_http_requests_total", {{"route", "db/execute"}, {"status", "200"}}) ==
          2);
    CHECK(p.value("orcraft_http_requests_total", {{"route", "db/execute"}, {"status", "503"}}) ==
          1);
    CHECK(p.value("orcraft_http_request_duration_seconds_count", {{"route", "db/execute"}}) == 3);
    CHECK(p.value("orcraft_backend_errors_total", {{"operation", "apply"}}) == 1);
    CHECK(p.value("orcraft_forwarded_requests_total",
                  {{"operation", "execute"}, {"outcome", "unreachable"}}) == 1);
    CHECK(p.value("orcraft_raft_fsync_duration_seconds_count") == 2);
    CHECK(p.value("orcraft_raft_fsync_duration_seconds_bucket", {{"le", "0.00025"}}) == 1);
    CHECK(p.value("orcraft_raft_entries_per_batch_sum") == 17);
    CHECK(p.value("orcraft_raft_entries_per_batch_bucket", {{"le", "16"}}) == 2);
    CHECK(p.value("orcraft_raft_entries_per_batch_bucket", {{"le", "8"}}) == 1);
    CHECK(p.value("orcraft_raft_apply_duration_seconds_count") == 1);
    CHECK(p.value("orcraft_raft_snapshot_duration_seconds_count", {{"kind", "installed"}}) == 1);
    CHECK(p.value("orcraft_raft_snapshot_duration_seconds_count", {{"kind", "taken"}}) == 0);
    CHECK(p.value("orcraft_raft_snapshot_install_received_bytes") == 4096);
    CHECK(p.value("orcraft_raft_snapshot_install_total_bytes") == 10000);
}
