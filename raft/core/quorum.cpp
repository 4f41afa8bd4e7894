#include "raft/core/quorum.hpp"

#include <algorithm>

namespace orcraft::raft {

std::uint64_t quorum_value(const std::vector<NodeId>& voters,
                           const std::function<std::uint64_t(NodeId)>& value) {
    if (voters.empty()) return 0;
    std::uint64_t small[8];
    std::vector<std::uint64_t> large;
    std::uint64_t* vals = small;
    if (voters.size() > 8) {
        large.resize(voters.size());
        vals = large.data();
    }
    for (std::size_t i = 0; i < voters.size(); ++i)
        vals[i] = value(voters[i]);
    std::sort(vals, vals + voters.size(), std::greater<>());
    return vals[majority(voters.size()) - 1];
}

VoteResult tally(const std::vector<NodeId>& voters, std::size_t granted, std::size_t rejected) {
    std::size_t q = majority(voters.size());
    if (granted >= q) return VoteResult::kWon;
    if (rejected > voters.size() - q) return VoteResult::kLost;
    return VoteResult::kPending;
}

}  // namespace orcraft::raft
