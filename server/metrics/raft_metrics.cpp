#include "server/metrics/raft_metrics.hpp"

namespace orcraft::server::metrics {
namespace {

std::string_view role_label(raft::Role role) {
    switch (role) {
        case raft::Role::kFollower:
            return "follower";
        case raft::Role::kPreCandidate:
            return "pre_candidate";
        case raft::Role::kCandidate:
            return "candidate";
        case raft::Role::kLeader:
            return "leader";
    }
    return "follower";
}

}  // namespace

RaftSample raft_sample(const raft::NodeState& s) {
    RaftSample out;
    out.state = role_label(s.role);
    out.has_leader = s.leader != raft::kNoNode;
    out.term = s.term;
    out.commit_index = s.commit;
    out.applied_index = s.applied;
    out.last_log_index = s.last_index;
    out.snapshot_index = s.snapshot_index;
    out.voters = s.voters.size();
    out.learners = s.learners.size();
    out.proposals = s.proposals;
    out.entries_committed = s.entries_committed;
    out.fsyncs = s.syncs;
    out.disk_batches = s.disk_batches;
    out.snapshots_taken = s.snapshots_taken;
    out.snapshots_installed = s.snapshots_installed;
    out.last_snapshot_bytes = s.last_snapshot_bytes;
    out.last_snapshot_seconds = s.last_snapshot_seconds;
    out.entries_in_memory = s.entries_in_memory;
    out.entries_read_back = s.entries_read_back;
    return out;
}

ScrapeHook watch_raft(NodeMetrics& metrics, std::function<raft::NodeState()> state) {
    return metrics.registry().on_scrape(
        [&metrics, state = std::move(state)] { metrics.set_raft_state(raft_sample(state())); });
}

}  // namespace orcraft::server::metrics
