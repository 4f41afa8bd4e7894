#include "raft/core/log.hpp"

#include <algorithm>

namespace orcraft::raft {

void RaftLog::restore(const SnapshotMeta& snap, std::vector<Entry> entries, Index commit,
                      Index applied) {
    snap_index_ = snap.index;
    snap_term_ = snap.term;
    entries_ = std::move(entries);
    commit_ = std::clamp(commit, snap_index_, last_index());
    applied_ = std::clamp(applied, snap_index_, commit_);
    stable_ = last_index();
    handed_out_ = last_index();
}

Term RaftLog::last_term() const {
    return entries_.empty() ? snap_term_ : entries_.back().term;
}

std::optional<Term> RaftLog::term(Index i) const {
    if (i == snap_index_) return snap_term_;
    if (i < snap_index_ || i > last_index()) return std::nullopt;
    return at(i).term;
}

bool RaftLog::match_term(Index i, Term t) const {
    auto got = term(i);
    return got && *got == t;
}

std::vector<Entry> RaftLog::slice(Index lo, Index hi, std::size_t max_bytes) const {
    std::vector<Entry> out;
    std::size_t bytes = 0;
    for (Index i = lo; i <= hi; ++i) {
        const Entry& e = at(i);
        bytes += entry_size(e);
        if (!out.empty() && bytes > max_bytes) break;
        out.push_back(e);
    }
    return out;
}

Index RaftLog::append_after(const std::vector<Entry>& entries) {
    for (std::size_t k = 0; k < entries.size(); ++k) {
        const Entry& e = entries[k];
        if (e.index <= snap_index_) continue;  // covered by our snapshot, hence committed
        if (e.index <= last_index()) {
            if (at(e.index).term == e.term) continue;
            // Conflict: everything from here on is replaced. Committed entries never conflict.
            entries_.resize(e.index - snap_index_ - 1);
            stable_ = std::min(stable_, e.index - 1);
            handed_out_ = std::min(handed_out_, e.index - 1);
        }
        Index from = e.index;
        for (; k < entries.size(); ++k)
            entries_.push_back(entries[k]);
        return from;
    }
    return 0;
}

void RaftLog::append(Entry e) {
    entries_.push_back(std::move(e));
}

Index RaftLog::find_conflict_by_term(Index index, Term t) const {
    index = std::min(index, last_index());
    while (index > snap_index_) {
        if (at(index).term <= t) return index;
        --index;
    }
    return index;
}

void RaftLog::stable_to(Index i, Term t) {
    if (i > stable_ && match_term(i, t)) stable_ = i;
}

void RaftLog::compact(Index i) {
    if (i <= snap_index_ || i > applied_) return;
    snap_term_ = at(i).term;
    entries_.erase(entries_.begin(), entries_.begin() + (i - snap_index_));
    snap_index_ = i;
}

void RaftLog::install_snapshot(const SnapshotMeta& snap) {
    snap_index_ = snap.index;
    snap_term_ = snap.term;
    entries_.clear();
    commit_ = snap.index;
    applied_ = snap.index;
    // The snapshot reaches the runtime in a Ready and is durable once advanced.
    stable_ = std::min(stable_, snap.index);
    handed_out_ = snap.index;
}

std::size_t RaftLog::uncommitted_bytes() const {
    std::size_t bytes = 0;
    for (Index i = std::max(commit_, snap_index_) + 1; i <= last_index(); ++i)
        bytes += entry_size(at(i));
    return bytes;
}

}  // namespace orcraft::raft
