// The invariant checker. The simulation reports every observable step (entries made durable,
// entries applied, snapshots installed, roles and commit indexes after each event, client
// operations) and the checker verifies, incrementally so that it can run after every event:
//
//  - election safety: at most one leader per term;
//  - log matching: two logs holding an entry with the same index and term hold the same entry
//    and the same term before it (checked per durable entry; by induction the whole prefixes
//    are equal);
//  - leader completeness: a leader of term T holds every entry committed in a term before T;
//  - state machine safety: every node applies the same entry at each index, in order without
//    gaps, and a snapshot holds the state produced by the entries it replaces;
//  - monotonicity: commit and apply indexes never go back (per incarnation; the durable commit
//    index never goes back at all);
//  - durability: no acknowledged write is lost;
//  - linearizability of reads against the acknowledged writes of a single register whose
//    writes are ordered by log index (see on_read_done).
//
// The first violation is kept; the simulation stops at it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "raft/core/types.hpp"

namespace orcraft::raft::sim {

class Checker {
  public:
    bool failed() const { return !violation_.empty(); }
    const std::string& violation() const { return violation_; }
    // Records a violation found by the simulation itself (e.g. a malformed durable write).
    void report(std::string what) { fail(std::move(what)); }

    // A node's durable log now holds `e`, preceded by an entry of term `prev_term`.
    void on_persist(NodeId node, const Entry& e, Term prev_term);
    // A node applied `e`; `applied_before` is its applied index before it.
    void on_apply(NodeId node, Index applied_before, const Entry& e);
    // A node installed a snapshot at `index` whose register state is the write at `value_index`.
    void on_snapshot_installed(NodeId node, Index index, Index value_index);
    // After every event: the node's role, term, commit index and log (through term_at).
    template <typename TermAt>
    void on_state(NodeId node, bool leader, Term term, Index commit, Index last_commit_seen,
                  Index snapshot_index, Index last_index, TermAt&& term_at);
    // The durable hard state of a node changed from `before` to `after`.
    void on_hard_state(NodeId node, Index commit_before, Index commit_after, Term term_before,
                       Term term_after);

    // Client operations. Writes put a unique id into the register; reads return the id and the
    // log index of the write they observe (0, 0 for the initial value).
    struct ReadOp {
        std::uint64_t max_acked_index_at_invoke = 0;
        std::uint64_t max_read_index_at_invoke = 0;
    };
    ReadOp on_read_invoke() const { return {max_acked_index_, max_read_index_}; }
    std::uint64_t on_write_invoke() const { return max_read_index_; }
    void on_write_applied_first(std::uint64_t write_id, Index index,
                                std::uint64_t max_read_at_invoke);
    void on_write_acked(std::uint64_t write_id, Index index);
    void on_read_done(const ReadOp& op, std::uint64_t value, Index value_index, Index read_index);

    // End of run: every acknowledged write is at its index in the applied sequence, and the
    // final commit index covers it.
    void check_final(Index final_commit);

    std::uint64_t writes_acked() const { return acked_.size(); }
    std::uint64_t reads_checked() const { return reads_checked_; }
    std::uint64_t leaders() const { return leaders_.size(); }

    // The entry applied at `index` (by any node) if known: its term and content hash.
    struct Applied {
        Term term = 0;
        std::uint64_t hash = 0;
        bool normal = false;
        bool known = false;
    };
    const Applied* applied_at(Index index) const {
        return index < applied_.size() && applied_[index].known ? &applied_[index] : nullptr;
    }

    static std::uint64_t entry_hash(const Entry& e);

  private:
    void fail(std::string what);

    struct Persisted {
        std::uint64_t hash;
        Term prev_term;
    };
    struct Committed {
        Term term = 0;
        Term commit_term = 0;  // the term of the node that first reported it committed
        bool known = false;
    };

    std::string violation_;
    std::unordered_map<Term, NodeId> leaders_;
    std::unordered_map<std::uint64_t, std::unordered_map<Term, Persisted>>
        persisted_;  // index -> term -> entry
    std::vector<Committed> committed_;
    std::vector<Applied> applied_;
    // Highest log index that holds a write (an entry with data) at or below each index is
    // found by scanning applied_; last_write_at_ caches it per index.
    std::vector<Index> last_write_at_;
    std::unordered_map<std::uint64_t, Index> acked_;  // write id -> index
    std::uint64_t max_acked_index_ = 0;
    std::uint64_t max_read_index_ = 0;
    std::uint64_t reads_checked_ = 0;
    std::unordered_map<NodeId, Term> leader_checked_term_;
};

template <typename TermAt>
void Checker::on_state(NodeId node, bool leader, Term term, Index commit, Index last_commit_seen,
                       Index snapshot_index, Index last_index, TermAt&& term_at) {
    if (failed()) return;
    if (commit < last_commit_seen) {
        fail("node " + std::to_string(node) + " commit index went back from " +
             std::to_string(last_commit_seen) + " to " + std::to_string(commit));
        return;
    }
    if (commit > last_index) {
        fail("node " + std::to_string(node) + " commit index " + std::to_string(commit) +
             " beyond its last index " + std::to_string(last_index));
        return;
    }
    for (Index i = std::max(last_commit_seen, snapshot_index) + 1; i <= commit; ++i) {
        auto t = term_at(i);
        if (!t) continue;
        if (committed_.size() <= i) committed_.resize(i + 1);
        Committed& c = committed_[i];
        if (!c.known) {
            c = {*t, term, true};
        } else if (c.term != *t) {
            fail("index " + std::to_string(i) + " committed with term " + std::to_string(c.term) +
                 " and, on node " + std::to_string(node) + ", with term " + std::to_string(*t));
            return;
        }
    }
    if (!leader) return;
    auto [it, inserted] = leaders_.emplace(term, node);
    if (!inserted && it->second != node) {
        fail("two leaders in term " + std::to_string(term) + ": nodes " +
             std::to_string(it->second) + " and " + std::to_string(node));
        return;
    }
    Term& checked = leader_checked_term_[node];
    if (checked == term) return;
    checked = term;
    for (Index i = snapshot_index + 1; i < committed_.size(); ++i) {
        const Committed& c = committed_[i];
        if (!c.known || c.commit_term >= term) continue;
        auto t = term_at(i);
        if (!t || *t != c.term) {
            fail("leader completeness: node " + std::to_string(node) + " leads term " +
                 std::to_string(term) + " without the entry committed at index " +
                 std::to_string(i) + " (term " + std::to_string(c.term) + ")");
            return;
        }
    }
}

}  // namespace orcraft::raft::sim
