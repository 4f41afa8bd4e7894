#pragma once
// Feeds NodeMetrics from the raft runtime's events (raft/node/node_events.hpp): durable log
// writes, applied batches, snapshots taken and installed, snapshot receive progress and state
// machine failures. Hand it to raft::Node::set_events() (through backend::RaftService); it is
// called on the runtime's threads, once per batch or chunk, and only updates atomic metrics.

#include "raft/node/node_events.hpp"
#include "server/metrics/node_metrics.hpp"

namespace orcraft::server::metrics {

class RaftEventMetrics final : public raft::NodeEvents {
  public:
    // `metrics` must outlive this object.
    explicit RaftEventMetrics(NodeMetrics& metrics) : metrics_(metrics) {}

    void disk_write(std::uint64_t entries, double seconds) override;
    void applied(std::uint64_t entries, double seconds) override;
    void snapshot_taken(std::uint64_t bytes, double seconds) override;
    void snapshot_installed(std::uint64_t bytes, double seconds) override;
    void snapshot_receiving(std::uint64_t received, std::uint64_t total) override;
    void state_machine_failed(std::string_view operation) override;

  private:
    NodeMetrics& metrics_;
};

}  // namespace orcraft::server::metrics
