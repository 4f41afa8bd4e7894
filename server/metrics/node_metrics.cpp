#include "server/metrics/node_metrics.hpp"

#include <array>
#include <charconv>

#include "server/metrics/process_metrics.hpp"

namespace orcraft::server::metrics {
namespace {

// Request, fsync and apply latencies: 50 µs (a fast fdatasync) to 10 s (a stuck disk or a
// request that times out), about three buckets per factor of ten.
std::vector<double> latency_buckets() {
    return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
            0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

// Snapshots of a database take from milliseconds to minutes.
std::vector<double> snapshot_buckets() {
    return {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600};
}

// Entries written by one disk batch: powers of two up to 4096.
std::vector<double> batch_buckets() {
    std::vector<double> bounds;
    for (double b = 1; b <= 4096; b *= 2)
        bounds.push_back(b);
    return bounds;
}

constexpr std::array<std::string_view, 4> kRaftStates = {"follower", "pre_candidate", "candidate",
                                                         "leader"};

std::string_view snapshot_kind(SnapshotKind kind) {
    return kind == SnapshotKind::Taken ? "taken" : "installed";
}

}  // namespace

NodeMetrics::NodeMetrics(Registry& r)
    : registry_(r),
      http_requests_(r.counter("orcraft_http_requests_total",
                               "HTTP requests answered, by route name and status code.",
                               {"route", "status"})),
      http_duration_(r.histogram("orcraft_http_request_duration_seconds",
                                 "Time from an HTTP request's arrival to its answer, by route.",
                                 latency_buckets(), {"route"})),
      backend_errors_(r.counter("orcraft_backend_errors_total",
                                "Failures of the backend database, by operation (execute, "
                                "query, apply, snapshot, restore).",
                                {"operation"})),
      forwarded_(r.counter("orcraft_forwarded_requests_total",
                           "Requests forwarded to the raft leader, by operation and outcome "
                           "(ok, error, unreachable, lost).",
                           {"operation", "outcome"})),
      fsync_duration_(r.histogram("orcraft_raft_fsync_duration_seconds",
                                  "Duration of each durable raft log write (the batch's write "
                                  "and its fdatasync).",
                                  latency_buckets())
                          .get()),
      entries_per_batch_(r.histogram("orcraft_raft_entries_per_batch",
                                     "Log entries made durable by one raft log write.",
                                     batch_buckets())
                             .get()),
      apply_duration_(r.histogram("orcraft_raft_apply_duration_seconds",
                                  "Duration of applying one batch of committed entries to the "
                                  "backend.",
                                  latency_buckets())
                          .get()),
      snapshot_duration_(r.histogram("orcraft_raft_snapshot_duration_seconds",
                                     "Duration of snapshots, by kind (taken, installed).",
                                     snapshot_buckets(), {"kind"})),
      install_received_(r.gauge("orcraft_raft_snapshot_install_received_bytes",
                                "Bytes received so far of the snapshot being installed (0 when "
                                "none is).")
                            .get()),
      install_total_(r.gauge("orcraft_raft_snapshot_install_total_bytes",
                             "Size of the snapshot being installed (0 when none is).")
                         .get()),
      term_(r.gauge("orcraft_raft_term", "The node's current raft term.").get()),
      state_(r.gauge("orcraft_raft_state", "1 for the node's current raft role, 0 for the others.",
                     {"state"})),
      has_leader_(r.gauge("orcraft_raft_has_leader", "1 when the node knows a leader.").get()),
      commit_index_(r.gauge("orcraft_raft_commit_index", "The node's commit index.").get()),
      applied_index_(
          r.gauge("orcraft_raft_applied_index", "The last index applied to the backend.").get()),
      last_log_index_(
          r.gauge("orcraft_raft_last_log_index", "The last index in the node's log.").get()),
      snapshot_index_(
          r.gauge("orcraft_raft_snapshot_index", "The index of the latest snapshot.").get()),
      voters_(r.gauge("orcraft_raft_voters", "Voting members in the node's configuration.").get()),
      learners_(r.gauge("orcraft_raft_learners", "Non-voting members (learners).").get()),
      proposals_(
          r.counter("orcraft_raft_proposals_total", "Entries proposed through this node.").get()),
      entries_committed_(
          r.counter("orcraft_raft_entries_committed_total", "Entries this node saw committed.")
              .get()),
      fsyncs_(r.counter("orcraft_raft_fsyncs_total",
                        "fdatasync and fsync calls made by the raft log store.")
                  .get()),
      disk_batches_(r.counter("orcraft_raft_disk_batches_total",
                              "Raft log writes that wrote something (each made durable as one).")
                        .get()),
      entries_in_memory_(r.gauge("orcraft_raft_log_entries_in_memory",
                                 "Raft log entries held in memory (the rest are read from disk).")
                             .get()),
      entries_read_back_(r.counter("orcraft_raft_entries_read_back_total",
                                   "Log entries read back from disk for members that were behind.")
                             .get()),
      snapshots_(r.counter("orcraft_raft_snapshots_total", "Snapshots, by kind (taken, installed).",
                           {"kind"})),
      last_snapshot_bytes_(
          r.gauge("orcraft_raft_snapshot_last_bytes", "Size of the latest snapshot.").get()),
      last_snapshot_seconds_(
          r.gauge("orcraft_raft_snapshot_last_duration_seconds", "Time the latest snapshot took.")
              .get()),
      process_hook_(watch_process(r)) {
    for (auto state : kRaftStates)
        state_.labels({state});
    for (auto kind : {SnapshotKind::Taken, SnapshotKind::Installed}) {
        snapshots_.labels({snapshot_kind(kind)});
        snapshot_duration_.labels({snapshot_kind(kind)});
    }
    for (std::string_view operation : {"execute", "query", "apply", "snapshot", "restore"})
        backend_errors_.labels({operation});
}

void NodeMetrics::count_http_request(std::string_view route, int status, double seconds) {
    char digits[12];
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), status);
    http_requests_.labels({route, std::string_view(digits, static_cast<std::size_t>(end - digits))})
        .inc();
    http_duration_.labels({route}).observe(seconds);
}

void NodeMetrics::count_backend_error(std::string_view operation) {
    backend_errors_.labels({operation}).inc();
}

void NodeMetrics::count_forwarded(std::string_view operation, std::string_view outcome) {
    forwarded_.labels({operation, outcome}).inc();
}

void NodeMetrics::observe_disk_write(std::uint64_t entries, double seconds) {
    fsync_duration_.observe(seconds);
    // A write of only a vote or a snapshot is no batch of entries.
    if (entries > 0) entries_per_batch_.observe(static_cast<double>(entries));
}

void NodeMetrics::observe_apply(double seconds) {
    apply_duration_.observe(seconds);
}

void NodeMetrics::observe_snapshot(SnapshotKind kind, double seconds) {
    snapshot_duration_.labels({snapshot_kind(kind)}).observe(seconds);
}

void NodeMetrics::set_snapshot_install_progress(std::uint64_t received, std::uint64_t total) {
    install_received_.set(static_cast<double>(received));
    install_total_.set(static_cast<double>(total));
}

void NodeMetrics::set_raft_state(const RaftSample& s) {
    for (auto state : kRaftStates)
        state_.labels({state}).set(state == s.state ? 1 : 0);
    term_.set(static_cast<double>(s.term));
    has_leader_.set(s.has_leader ? 1 : 0);
    commit_index_.set(static_cast<double>(s.commit_index));
    applied_index_.set(static_cast<double>(s.applied_index));
    last_log_index_.set(static_cast<double>(s.last_log_index));
    snapshot_index_.set(static_cast<double>(s.snapshot_index));
    voters_.set(static_cast<double>(s.voters));
    learners_.set(static_cast<double>(s.learners));
    proposals_.advance_to(s.proposals);
    entries_committed_.advance_to(s.entries_committed);
    fsyncs_.advance_to(s.fsyncs);
    disk_batches_.advance_to(s.disk_batches);
    entries_in_memory_.set(static_cast<double>(s.entries_in_memory));
    entries_read_back_.advance_to(s.entries_read_back);
    snapshots_.labels({"taken"}).advance_to(s.snapshots_taken);
    snapshots_.labels({"installed"}).advance_to(s.snapshots_installed);
    last_snapshot_bytes_.set(static_cast<double>(s.last_snapshot_bytes));
    last_snapshot_seconds_.set(s.last_snapshot_seconds);
}

}  // namespace orcraft::server::metrics
