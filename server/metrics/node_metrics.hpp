#pragma once
// The metrics of one orcraft node, by name, and the calls that feed them.
//
// NodeMetrics registers every family below on a Registry at construction (so every name is
// present in the exposition from the start, at zero) and offers one method per event. Whoever
// sees the event calls the method: the HTTP layer (server/api), the service decorator
// the raft service and the runtime through hooks (raft/ and backend/
// cannot include server/, so the server layer hands them lambdas that call these methods).
// Every method is cheap, never blocks on I/O and may be called from any thread.
//
// Names (docs/metrics.md describes each one):
//   orcraft_http_requests_total{route,status}            counter   count_http_request()
//   orcraft_http_request_duration_seconds{route}         histogram count_http_request()
//   orcraft_backend_errors_total{operation}              counter   count_backend_error()
//   orcraft_forwarded_requests_total{operation,outcome}  counter   count_forwarded()
//   orcraft_raft_fsync_duration_seconds                  histogram observe_disk_write()
//   orcraft_raft_entries_per_batch                       histogram observe_disk_write()
//   orcraft_raft_apply_duration_seconds                  histogram observe_apply()
//   orcraft_raft_snapshot_duration_seconds{kind}         histogram observe_snapshot()
//   orcraft_raft_snapshot_install_received_bytes         gauge     set_snapshot_install_progress()
//   orcraft_raft_snapshot_install_total_bytes            gauge     set_snapshot_install_progress()
//   orcraft_raft_term, orcraft_raft_state{state}, orcraft_raft_has_leader,
//   orcraft_raft_commit_index, orcraft_raft_applied_index, orcraft_raft_last_log_index,
//   orcraft_raft_snapshot_index, orcraft_raft_voters, orcraft_raft_learners (gauges),
//   orcraft_raft_proposals_total, orcraft_raft_entries_committed_total, orcraft_raft_fsyncs_total,
//   orcraft_raft_disk_batches_total, orcraft_raft_snapshots_total{kind} (counters),
//   orcraft_raft_snapshot_last_bytes, orcraft_raft_snapshot_last_duration_seconds,
//   orcraft_raft_log_entries_in_memory (gauges), orcraft_raft_entries_read_back_total (counter)
//                                                                  set_raft_state()
//                                                                  (raft_metrics.hpp calls it at
//                                                                  every scrape)
//   process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds (gauges)
//                                                                  read from /proc at every scrape

#include <cstdint>
#include <string_view>

#include "server/metrics/registry.hpp"

namespace orcraft::server::metrics {

// The raft runtime's state in the terms the metrics need (a copy of raft::NodeState's fields;
// raft_metrics.hpp converts). Counters are totals since the process started.
struct RaftSample {
    std::string_view state = "follower";  // follower, pre_candidate, candidate or leader
    bool has_leader = false;
    std::uint64_t term = 0;
    std::uint64_t commit_index = 0;
    std::uint64_t applied_index = 0;
    std::uint64_t last_log_index = 0;
    std::uint64_t snapshot_index = 0;
    std::uint64_t voters = 0;
    std::uint64_t learners = 0;
    std::uint64_t proposals = 0;
    std::uint64_t entries_committed = 0;
    std::uint64_t fsyncs = 0;
    std::uint64_t disk_batches = 0;
    std::uint64_t snapshots_taken = 0;
    std::uint64_t snapshots_installed = 0;
    std::uint64_t last_snapshot_bytes = 0;
    double last_snapshot_seconds = 0;
    std::uint64_t entries_in_memory = 0;
    std::uint64_t entries_read_back = 0;
};

enum class SnapshotKind { Taken, Installed };

class NodeMetrics {
  public:
    // Registers every family on `registry`, which must outlive this object. Throws
    // std::invalid_argument if one of the names is already registered there.
    explicit NodeMetrics(Registry& registry);

    Registry& registry() { return registry_; }

    // One HTTP request answered: `route` is the route's name (server/api/request_metrics.hpp
    // maps paths to a fixed set), `seconds` from the request's arrival to its answer.
    void count_http_request(std::string_view route, int status, double seconds);

    // The backend (SQLite or MySQL) failed. operation: "execute", "query" (client requests),
    // "apply" (a replicated entry), "snapshot" or "restore" (state-machine snapshots).
    void count_backend_error(std::string_view operation);

    // A request forwarded to the leader finished. operation: "execute", "query" (the SQL API) or
    // "other" (orchestrator's routes); outcome: "ok" (the leader answered 2xx), "error" (it
    // answered something else), "unreachable" (no leader known, or it could not be reached or
    // the forwarding queue was full: the request was not sent) or "lost" (the connection broke
    // or the leader did not answer in time after the request was sent: it may have run).
    void count_forwarded(std::string_view operation, std::string_view outcome);

    // One durable log write (LogStore::write: the batch's write plus its fdatasync) that held
    // `entries` entries and took `seconds`. A write without entries (a vote, a snapshot) counts
    // in the duration only.
    void observe_disk_write(std::uint64_t entries, double seconds);

    // One batch of committed entries applied to the state machine in `seconds`.
    void observe_apply(double seconds);

    // A snapshot taken (compaction) or installed (received from the leader) in `seconds`.
    void observe_snapshot(SnapshotKind kind, double seconds);

    // Progress of the snapshot being received: bytes so far and the expected total. Call with
    // (0, 0) when it finishes or is abandoned.
    void set_snapshot_install_progress(std::uint64_t received, std::uint64_t total);

    // The runtime's state; called at scrape time by the hook raft_metrics.hpp registers.
    void set_raft_state(const RaftSample& sample);

  private:
    Registry& registry_;
    Family<Counter>& http_requests_;
    Family<Histogram>& http_duration_;
    Family<Counter>& backend_errors_;
    Family<Counter>& forwarded_;
    Histogram& fsync_duration_;
    Histogram& entries_per_batch_;
    Histogram& apply_duration_;
    Family<Histogram>& snapshot_duration_;
    Gauge& install_received_;
    Gauge& install_total_;
    Gauge& term_;
    Family<Gauge>& state_;
    Gauge& has_leader_;
    Gauge& commit_index_;
    Gauge& applied_index_;
    Gauge& last_log_index_;
    Gauge& snapshot_index_;
    Gauge& voters_;
    Gauge& learners_;
    Counter& proposals_;
    Counter& entries_committed_;
    Counter& fsyncs_;
    Counter& disk_batches_;
    Gauge& entries_in_memory_;
    Counter& entries_read_back_;
    Family<Counter>& snapshots_;
    Gauge& last_snapshot_bytes_;
    Gauge& last_snapshot_seconds_;
    ScrapeHook process_hook_;
};

}  // namespace orcraft::server::metrics
