#include "raft/core/log.hpp"

#include <algorithm>

namespace orcraft::raft {

void RaftLog::restore(const SnapshotMeta& snap, std::vector<Entry> entries, Index commit,
                      Index applied) {
    snap_index_ = snap.index;
    snap_term_ = snap.term;
    last_index_ = snap.index;
    terms_.clear();
    memory_.clear();
    for (Entry& e : entries)
        append(std::move(e));
    commit_ = std::clamp(commit, snap_index_, last_index());
    applied_ = std::clamp(applied, snap_index_, commit_);
    stable_ = last_index();
    handed_out_ = last_index();
    counted_to_ = snap_index_;
    counted_bytes_ = 0;
}

Term RaftLog::last_term() const {
    return terms_.empty() ? snap_term_ : terms_.back().term;
}

std::optional<Term> RaftLog::term(Index i) const {
    if (i == snap_index_) return snap_term_;
    if (i < snap_index_ || i > last_index_) return std::nullopt;
    auto it = std::upper_bound(terms_.begin(), terms_.end(), i,
                               [](Index v, const TermRun& run) { return v < run.first; });
    return std::prev(it)->term;
}

bool RaftLog::match_term(Index i, Term t) const {
    auto got = term(i);
    return got && *got == t;
}

std::vector<Entry> RaftLog::slice(Index lo, Index hi, std::size_t max_bytes) const {
    std::vector<Entry> out;
    std::size_t bytes = 0;
    if (lo < memory_first()) {
        if (!loader_) return out;
        std::vector<Entry> read = loader_(lo, std::min(hi, memory_first() - 1), max_bytes);
        // Only what provably is our entry goes out: same index in sequence and same term
        // (two entries with the same index and term are the same entry).
        for (Entry& e : read) {
            const Index want = lo + out.size();
            if (e.index != want || want > hi || !match_term(want, e.term)) break;
            bytes += entry_size(e);
            out.push_back(std::move(e));
        }
        if (out.empty() || out.back().index < memory_first() - 1 || bytes >= max_bytes) return out;
        lo = out.back().index + 1;
    }
    for (Index i = lo; i <= hi; ++i) {
        const Entry& e = at(i);
        bytes += entry_size(e);
        if (!out.empty() && bytes > max_bytes) break;
        out.push_back(e);
    }
    return out;
}

void RaftLog::push_term(Index i, Term t) {
    if (terms_.empty() || terms_.back().term != t) terms_.push_back({i, t});
}

void RaftLog::truncate_from(Index from) {
    while (!memory_.empty() && last_index_ >= from) {
        memory_.pop_back();
        --last_index_;
    }
    last_index_ = std::min(last_index_, from - 1);
    while (!terms_.empty() && terms_.back().first >= from)
        terms_.pop_back();
    if (counted_to_ >= from) {
        // Not reached in practice: settled entries are committed and never conflict.
        counted_to_ = memory_first() - 1;
        counted_bytes_ = 0;
    }
}

Index RaftLog::append_after(const std::vector<Entry>& entries) {
    for (std::size_t k = 0; k < entries.size(); ++k) {
        const Entry& e = entries[k];
        if (e.index <= snap_index_) continue;  // covered by our snapshot, hence committed
        if (e.index <= last_index()) {
            if (term(e.index) == e.term) continue;
            // Conflict: everything from here on is replaced. Committed entries never conflict.
            truncate_from(e.index);
            stable_ = std::min(stable_, e.index - 1);
            handed_out_ = std::min(handed_out_, e.index - 1);
        }
        Index from = e.index;
        for (; k < entries.size(); ++k)
            append(entries[k]);
        return from;
    }
    return 0;
}

void RaftLog::append(Entry e) {
    push_term(e.index, e.term);
    last_index_ = e.index;
    memory_.push_back(std::move(e));
}

Index RaftLog::find_conflict_by_term(Index index, Term t) const {
    index = std::min(index, last_index());
    while (index > snap_index_) {
        // Skip the whole run holding `index` when its term is too high.
        auto it = std::upper_bound(terms_.begin(), terms_.end(), index,
                                   [](Index v, const TermRun& run) { return v < run.first; });
        const TermRun& run = *std::prev(it);
        if (run.term <= t) return index;
        if (run.first <= snap_index_) return snap_index_;
        index = run.first - 1;
    }
    return index;
}

void RaftLog::stable_to(Index i, Term t) {
    if (i > stable_ && match_term(i, t)) stable_ = i;
}

void RaftLog::release_settled(std::size_t keep_bytes) {
    if (!loader_) return;
    const Index settled = std::min(stable_, applied_);
    for (Index i = std::max(counted_to_ + 1, memory_first()); i <= settled; ++i)
        counted_bytes_ += entry_size(at(i));
    counted_to_ = std::max(counted_to_, settled);
    while (counted_bytes_ > keep_bytes && !memory_.empty() && memory_first() <= counted_to_) {
        counted_bytes_ -= entry_size(memory_.front());
        memory_.pop_front();
    }
}

void RaftLog::compact(Index i) {
    if (i <= snap_index_ || i > applied_) return;
    snap_term_ = *term(i);
    while (!memory_.empty() && memory_first() <= i) {
        if (memory_first() <= counted_to_) counted_bytes_ -= entry_size(memory_.front());
        memory_.pop_front();
    }
    // Keep the run that covers i + 1 (if any) as the first one.
    auto it = std::upper_bound(terms_.begin(), terms_.end(), i + 1,
                               [](Index v, const TermRun& run) { return v < run.first; });
    if (it != terms_.begin()) terms_.erase(terms_.begin(), std::prev(it));
    snap_index_ = i;
    counted_to_ = std::max(counted_to_, i);
}

void RaftLog::install_snapshot(const SnapshotMeta& snap) {
    snap_index_ = snap.index;
    snap_term_ = snap.term;
    last_index_ = snap.index;
    terms_.clear();
    memory_.clear();
    commit_ = snap.index;
    applied_ = snap.index;
    // The snapshot reaches the runtime in a Ready and is durable once advanced.
    stable_ = std::min(stable_, snap.index);
    handed_out_ = snap.index;
    counted_to_ = snap.index;
    counted_bytes_ = 0;
}

std::size_t RaftLog::uncommitted_bytes() const {
    std::size_t bytes = 0;
    for (Index i = std::max(commit_, snap_index_) + 1; i <= last_index(); ++i)
        bytes += entry_size(at(i));
    return bytes;
}

}  // namespace orcraft::raft
