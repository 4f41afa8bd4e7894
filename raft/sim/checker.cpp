#include "raft/sim/checker.hpp"

#include <functional>

namespace orcraft::raft::sim {

std::uint64_t Checker::entry_hash(const Entry& e) {
    return std::hash<std::string>{}(e.data) * 31 + static_cast<std::uint64_t>(e.type) + 1;
}

void Checker::fail(std::string what) {
    if (violation_.empty()) violation_ = std::move(what);
}

void Checker::on_persist(NodeId node, const Entry& e, Term prev_term) {
    if (failed()) return;
    auto& by_term = persisted_[e.index];
    Persisted p{entry_hash(e), prev_term};
    auto [it, inserted] = by_term.emplace(e.term, p);
    if (inserted) return;
    if (it->second.hash != p.hash) {
        fail("log matching: node " + std::to_string(node) + " holds a different entry at index " +
             std::to_string(e.index) + " term " + std::to_string(e.term));
    } else if (it->second.prev_term != p.prev_term) {
        fail("log matching: node " + std::to_string(node) + " holds entry " +
             std::to_string(e.index) + "/" + std::to_string(e.term) + " after term " +
             std::to_string(prev_term) + ", another node after term " +
             std::to_string(it->second.prev_term));
    }
}

void Checker::on_apply(NodeId node, Index applied_before, const Entry& e) {
    if (failed()) return;
    if (e.index != applied_before + 1) {
        fail("node " + std::to_string(node) + " applied index " + std::to_string(e.index) +
             " after " + std::to_string(applied_before));
        return;
    }
    if (applied_.size() <= e.index) {
        applied_.resize(e.index + 1);
    }
    Applied& a = applied_[e.index];
    const std::uint64_t h = entry_hash(e);
    if (!a.known) {
        a = {e.term, h, e.type == EntryType::kNormal, true};
    } else if (a.term != e.term || a.hash != h) {
        fail("state machine safety: node " + std::to_string(node) +
             " applied a different entry at index " + std::to_string(e.index) + " (term " +
             std::to_string(e.term) + ", first applied with term " + std::to_string(a.term) + ")");
        return;
    }
    if (e.index < committed_.size() && committed_[e.index].known &&
        committed_[e.index].term != e.term) {
        fail("node " + std::to_string(node) + " applied index " + std::to_string(e.index) +
             " term " + std::to_string(e.term) + " but term " +
             std::to_string(committed_[e.index].term) + " was committed");
    }
}

void Checker::on_snapshot_installed(NodeId node, Index index, Index value_index) {
    if (failed()) return;
    // The register holds the last write at or below `index` in the applied sequence.
    Index expect = 0;
    for (Index i = std::min<Index>(index, applied_.empty() ? 0 : applied_.size() - 1); i > 0; --i) {
        if (!applied_[i].known) {
            fail("node " + std::to_string(node) + " installed a snapshot at " +
                 std::to_string(index) + " covering index " + std::to_string(i) +
                 " that nobody applied");
            return;
        }
        if (applied_[i].normal) {
            expect = i;
            break;
        }
    }
    if (index >= applied_.size() && index > 0) {
        fail("node " + std::to_string(node) + " installed a snapshot at " + std::to_string(index) +
             " beyond every applied index");
        return;
    }
    if (expect != value_index) {
        fail("node " + std::to_string(node) + " installed a snapshot at " + std::to_string(index) +
             " holding the write of index " + std::to_string(value_index) + ", expected " +
             std::to_string(expect));
    }
}

void Checker::on_hard_state(NodeId node, Index commit_before, Index commit_after, Term term_before,
                            Term term_after) {
    if (failed()) return;
    if (commit_after < commit_before) {
        fail("node " + std::to_string(node) + " durable commit index went back from " +
             std::to_string(commit_before) + " to " + std::to_string(commit_after));
    } else if (term_after < term_before) {
        fail("node " + std::to_string(node) + " durable term went back from " +
             std::to_string(term_before) + " to " + std::to_string(term_after));
    }
}

void Checker::on_write_applied_first(std::uint64_t write_id, Index index,
                                     std::uint64_t max_read_at_invoke) {
    if (failed()) return;
    // A write invoked after a read returned must be ordered after what that read observed.
    if (index <= max_read_at_invoke) {
        fail("linearizability: write " + std::to_string(write_id) + " at index " +
             std::to_string(index) + " is ordered before the write (index " +
             std::to_string(max_read_at_invoke) +
             ") observed by a read that completed before it was invoked");
    }
}

void Checker::on_write_acked(std::uint64_t write_id, Index index) {
    if (failed()) return;
    acked_.emplace(write_id, index);
    if (index > max_acked_index_) max_acked_index_ = index;
}

void Checker::on_read_done(const ReadOp& op, std::uint64_t value, Index value_index,
                           Index read_index) {
    if (failed()) return;
    ++reads_checked_;
    // A read must observe every write acknowledged before it was invoked, and everything an
    // earlier completed read observed (a register's writes are ordered by log index).
    if (value_index < op.max_acked_index_at_invoke) {
        fail("linearizability: read (read index " + std::to_string(read_index) +
             ") returned write " + std::to_string(value) + " of index " +
             std::to_string(value_index) + " but the write at index " +
             std::to_string(op.max_acked_index_at_invoke) +
             " was acknowledged before the read began");
        return;
    }
    if (value_index < op.max_read_index_at_invoke) {
        fail("linearizability: read returned the write of index " + std::to_string(value_index) +
             " after an earlier completed read returned the write of index " +
             std::to_string(op.max_read_index_at_invoke));
        return;
    }
    if (value_index > max_read_index_) max_read_index_ = value_index;
}

void Checker::check_final(Index final_commit) {
    if (failed()) return;
    for (const auto& [id, index] : acked_) {
        if (index > final_commit) {
            fail("acknowledged write " + std::to_string(id) + " at index " + std::to_string(index) +
                 " is beyond the final commit index " + std::to_string(final_commit));
            return;
        }
        if (index >= applied_.size() || !applied_[index].known) {
            fail("acknowledged write " + std::to_string(id) + " at index " + std::to_string(index) +
                 " was lost");
            return;
        }
    }
}

}  // namespace orcraft::raft::sim
