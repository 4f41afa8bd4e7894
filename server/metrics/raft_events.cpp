#include "server/metrics/raft_events.hpp"

namespace orcraft::server::metrics {

void RaftEventMetrics::disk_write(std::uint64_t entries, double seconds) {
    metrics_.observe_disk_write(entries, seconds);
}

void RaftEventMetrics::applied(std::uint64_t /*entries*/, double seconds) {
    metrics_.observe_apply(seconds);
}

void RaftEventMetrics::snapshot_taken(std::uint64_t /*bytes*/, double seconds) {
    metrics_.observe_snapshot(SnapshotKind::Taken, seconds);
}

void RaftEventMetrics::snapshot_installed(std::uint64_t /*bytes*/, double seconds) {
    metrics_.observe_snapshot(SnapshotKind::Installed, seconds);
}

void RaftEventMetrics::snapshot_receiving(std::uint64_t received, std::uint64_t total) {
    metrics_.set_snapshot_install_progress(received, total);
}

void RaftEventMetrics::state_machine_failed(std::string_view operation) {
    metrics_.count_backend_error(operation);
}

}  // namespace orcraft::server::metrics
