// The loop thread: leadership transfer, membership changes, and the snapshots the apply thread
// takes (compaction of the core, saving by the disk thread).
#include <spdlog/spdlog.h>

#include "raft/node/node_impl.hpp"

namespace orcraft::raft::detail {

// ---- loop thread: transfer and membership ----

NodeId NodeImpl::best_transferee() const {
    NodeId best = kNoNode;
    Index best_match = 0;
    for (NodeId v : core_->conf().voters) {
        if (v == id_) continue;
        const Progress* pr = core_->progress(v);
        if (pr == nullptr) continue;
        if (best == kNoNode || pr->match > best_match) {
            best = v;
            best_match = pr->match;
        }
    }
    return best;
}

void NodeImpl::start_transfer(NodeId to, Done done) {
    if (core_->role() != Role::kLeader) {
        done(false, "not the leader");
        return;
    }
    if (transfer_) {
        done(false, "a leadership transfer is already in progress");
        return;
    }
    if (to == kNoNode) to = best_transferee();
    if (to == kNoNode) {
        done(false, "no other voter to transfer leadership to");
        return;
    }
    if (to == id_) {
        done(false, "this node is already the leader");
        return;
    }
    Status st = core_->transfer_leadership(to);
    if (st != Status::kOk) {
        done(false, to_string(st));
        return;
    }
    spdlog::info("raft {}: transferring leadership of term {} to {}", who(), core_->term(),
                 id_list(book_, {to}));
    const int ms = options_.core.election_ticks * options_.tick_ms + 500;
    transfer_ = Transfer{to, std::move(done), Clock::now() + Millis(ms)};
    pump();
}

void NodeImpl::start_member_change(MemberChange change) {
    if (core_->role() != Role::kLeader) {
        change.done(false, "not the leader");
        return;
    }
    if (member_change_) {
        change.done(false, "another membership change is in progress");
        return;
    }
    change.deadline = Clock::now() + Millis(options_.membership_timeout_ms);
    spdlog::info("raft {}: membership change: {}", who(), change.what);
    member_change_ = std::move(change);
    advance_member_change();
}

void NodeImpl::advance_member_change() {
    if (!member_change_) return;
    MemberChange& c = *member_change_;
    if (c.wait_index != 0) {
        const auto term = core_->term_at(c.wait_index);
        // An index compacted away was committed; as leader throughout, the entry was ours.
        const bool ours =
            (term && *term == c.wait_term) || (!term && c.wait_index <= core_->snapshot_index());
        if (core_->commit() >= c.wait_index && ours) {
            c.wait_index = 0;
            if (++c.next == c.steps.size()) {
                finish_member_change(true, c.what + ": done");
                return;
            }
        } else if (core_->role() != Role::kLeader || !ours) {
            finish_member_change(false, c.what + ": leadership lost before the change committed");
            return;
        }
    }
    if (Clock::now() > c.deadline) {
        finish_member_change(false, c.what + ": timed out");
        return;
    }
    if (c.wait_index != 0) return;
    if (core_->role() != Role::kLeader) {
        finish_member_change(false, c.what + ": not the leader");
        return;
    }
    ProposeResult r = core_->change_membership(c.steps[c.next]);
    switch (r.status) {
        case Status::kOk:
            c.wait_index = r.index;
            c.wait_term = r.term;
            break;
        case Status::kNoCurrentTermCommit:
        case Status::kPendingConfChange:
        case Status::kLearnerNotCaughtUp:
        case Status::kTransferInProgress:
            break;  // retried on the next tick
        default:
            finish_member_change(false, c.what + ": " + to_string(r.status));
            break;
    }
}

void NodeImpl::finish_member_change(bool ok, std::string message) {
    auto c = std::move(*member_change_);
    member_change_.reset();
    if (ok) {
        spdlog::info("raft {}: membership change: {}", who(), message);
    } else {
        spdlog::warn("raft {}: membership change failed: {}", who(), message);
    }
    c.done(ok, std::move(message));
}

// ---- loop thread: snapshots ----

void NodeImpl::on_snapshot_taken(Index index, std::shared_ptr<const std::string> data,
                                 double seconds, Done done) {
    if (halted_ || stopping_) {
        apply_->snapshot_finished(index, false);
        if (done) done(false, "node stopped");
        return;
    }
    std::optional<SnapshotMeta> meta = core_->compact(index, data);
    if (!meta) {
        apply_->snapshot_finished(index, false);
        if (done) {
            done(true, fmt::format("the snapshot at index {} is current", core_->snapshot_index()));
        }
        return;
    }
    Snapshot snapshot{*meta, data};
    const auto started = Clock::now();
    disk_->submit([snapshot](LogStore& store) { store.save_snapshot(snapshot); },
                  [this, meta = *meta, bytes = data->size(), seconds, started,
                   done = std::move(done)](std::exception_ptr error) {
                      if (error) {
                          apply_->snapshot_finished(meta.index, false);
                          const std::string why = "saving the snapshot failed: " + describe(error);
                          if (done) done(false, why);
                          halt(why);
                          return;
                      }
                      const double total =
                          seconds + std::chrono::duration<double>(Clock::now() - started).count();
                      core_->snapshot_persisted(meta.index);
                      ++snapshots_taken_;
                      last_snapshot_bytes_ = bytes;
                      last_snapshot_seconds_ = total;
                      events_.emit([&](NodeEvents& e) { e.snapshot_taken(bytes, total); });
                      apply_->snapshot_finished(meta.index, true);
                      spdlog::info(
                          "raft {}: took a snapshot at index {} term {} ({} bytes, "
                          "{:.3f} s)",
                          who(), meta.index, meta.term, bytes, total);
                      publish();
                      if (done) done(true, fmt::format("snapshot created at index {}", meta.index));
                  });
}

}  // namespace orcraft::raft::detail
