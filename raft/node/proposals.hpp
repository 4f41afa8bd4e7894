// Proposals waiting for their outcome. The loop thread registers an entry once the core
// appended it (index and term known); whoever learns the outcome first completes it, exactly
// once:
//  - the apply thread, after applying the entry at that index: success if the applied entry has
//    the proposal's term, kLeadershipLost if another leader's entry took its place;
//  - the loop thread, when a new leader's entries overwrite the index (kLeadershipLost), when
//    the deadline passes (kTimeout), or when the node stops (kStopped).
// Callbacks run outside the lock, on the thread that completed them.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "raft/core/types.hpp"
#include "raft/node/node.hpp"

namespace orcraft::raft {

class ProposalTracker {
  public:
    using Clock = std::chrono::steady_clock;
    using Callback = std::function<void(ProposeOutcome)>;

    void add(Index index, Term term, Callback done, Clock::time_point deadline);

    // The entries were applied (in order, consecutive); results[i] belongs to entries[i].
    void applied(const std::vector<Entry>& entries, std::vector<std::string>& results);
    // The log was rewritten from entries.front().index: proposals at those indexes with another
    // term, and proposals beyond entries.back().index, can no longer commit.
    void overwritten(const std::vector<Entry>& entries);
    // A received snapshot replaced the log up to `index`: whether the proposals at or below it
    // committed is unknown here.
    void replaced_by_snapshot(Index index);
    // Fails the proposals whose deadline passed.
    void expire(Clock::time_point now);
    void fail_all(ProposeError error, const std::string& message);
    std::size_t size() const;

  private:
    struct Pending {
        Term term;
        Callback done;
        Clock::time_point deadline;
    };
    using Completion = std::pair<Callback, ProposeOutcome>;
    static void run(std::vector<Completion>& completions);

    mutable std::mutex mu_;
    std::map<Index, Pending> pending_;
};

}  // namespace orcraft::raft
