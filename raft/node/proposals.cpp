#include "raft/node/proposals.hpp"

namespace orcraft::raft {

namespace {

ProposeOutcome failure(ProposeError error, std::string message, Index index) {
    ProposeOutcome out;
    out.error = error;
    out.message = std::move(message);
    out.index = index;
    return out;
}

}  // namespace

void ProposalTracker::add(Index index, Term term, Callback done, Clock::time_point deadline) {
    std::lock_guard lock(mu_);
    pending_[index] = Pending{term, std::move(done), deadline};
}

void ProposalTracker::run(std::vector<Completion>& completions) {
    for (auto& [done, outcome] : completions)
        done(std::move(outcome));
}

void ProposalTracker::applied(const std::vector<Entry>& entries,
                              std::vector<std::string>& results) {
    if (entries.empty()) return;
    const Index first = entries.front().index;
    const Index last = entries.back().index;
    std::vector<Completion> done;
    {
        std::lock_guard lock(mu_);
        if (pending_.empty()) return;
        auto it = pending_.lower_bound(first);
        while (it != pending_.end() && it->first <= last) {
            const std::size_t i = static_cast<std::size_t>(it->first - first);
            const Entry& e = entries[i];
            if (e.term == it->second.term) {
                ProposeOutcome ok;
                ok.index = e.index;
                ok.result = std::move(results[i]);
                done.emplace_back(std::move(it->second.done), std::move(ok));
            } else {
                done.emplace_back(
                    std::move(it->second.done),
                    failure(ProposeError::kLeadershipLost,
                            "another leader's entry was committed at its index", it->first));
            }
            it = pending_.erase(it);
        }
    }
    run(done);
}

void ProposalTracker::overwritten(const std::vector<Entry>& entries) {
    if (entries.empty()) return;
    const Index first = entries.front().index;
    const Index last = entries.back().index;
    std::vector<Completion> done;
    {
        std::lock_guard lock(mu_);
        for (auto it = pending_.lower_bound(first); it != pending_.end();) {
            const bool lost =
                it->first > last || entries[it->first - first].term != it->second.term;
            if (!lost) {
                ++it;
                continue;
            }
            done.emplace_back(
                std::move(it->second.done),
                failure(ProposeError::kLeadershipLost,
                        "the entry was overwritten by a new leader's log", it->first));
            it = pending_.erase(it);
        }
    }
    run(done);
}

void ProposalTracker::replaced_by_snapshot(Index index) {
    std::vector<Completion> done;
    {
        std::lock_guard lock(mu_);
        auto end = pending_.upper_bound(index);
        for (auto it = pending_.begin(); it != end; ++it) {
            done.emplace_back(
                std::move(it->second.done),
                failure(ProposeError::kTimeout,
                        "outcome unknown: the log was replaced by a snapshot", it->first));
        }
        pending_.erase(pending_.begin(), end);
    }
    run(done);
}

void ProposalTracker::expire(Clock::time_point now) {
    std::vector<Completion> done;
    {
        std::lock_guard lock(mu_);
        // Deadlines grow with the index (one timeout for every proposal), so the expired ones
        // are at the front; a later index with an earlier deadline simply waits its turn.
        while (!pending_.empty() && pending_.begin()->second.deadline <= now) {
            auto it = pending_.begin();
            done.emplace_back(
                std::move(it->second.done),
                failure(ProposeError::kTimeout, "not applied in time; the entry may still commit",
                        it->first));
            pending_.erase(it);
        }
    }
    run(done);
}

void ProposalTracker::fail_all(ProposeError error, const std::string& message) {
    std::vector<Completion> done;
    {
        std::lock_guard lock(mu_);
        for (auto& [index, p] : pending_)
            done.emplace_back(std::move(p.done), failure(error, message, index));
        pending_.clear();
    }
    run(done);
}

std::size_t ProposalTracker::size() const {
    std::lock_guard lock(mu_);
    return pending_.size();
}

}  // namespace orcraft::raft
