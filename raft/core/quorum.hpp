// Majority arithmetic over a set of voters, kept apart from the protocol so it can be tested
// on its own.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "raft/core/types.hpp"

namespace orcraft::raft {

// The number of voters that forms a majority of `n` voters.
inline std::size_t majority(std::size_t n) {
    return n / 2 + 1;
}

// The largest value that a majority of `voters` has reached, where `value(id)` gives each
// voter's value (e.g. its match index). 0 if there are no voters.
std::uint64_t quorum_value(const std::vector<NodeId>& voters,
                           const std::function<std::uint64_t(NodeId)>& value);

enum class VoteResult { kPending, kWon, kLost };

// Outcome of an election given the granted and rejected voters so far.
VoteResult tally(const std::vector<NodeId>& voters, std::size_t granted, std::size_t rejected);

}  // namespace orcraft::raft
