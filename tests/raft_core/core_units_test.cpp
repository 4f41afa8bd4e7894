// Small units of the core: quorum arithmetic and configuration encoding.
#include <catch2/catch.hpp>
#include <map>

#include "raft/core/conf_change.hpp"
#include "raft/core/quorum.hpp"

using namespace orcraft::raft;

TEST_CASE("quorum: the value a majority has reached", "[raft][unit]") {
    std::vector<NodeId> voters{1, 2, 3, 4, 5};
    std::map<NodeId, std::uint64_t> match{{1, 9}, {2, 3}, {3, 7}, {4, 1}, {5, 8}};
    REQUIRE(quorum_value(voters, [&](NodeId id) { return match[id]; }) == 7);
    REQUIRE(tally({1, 2, 3}, 2, 0) == VoteResult::kWon);
    REQUIRE(tally({1, 2, 3}, 1, 1) == VoteResult::kPending);
    REQUIRE(tally({1, 2, 3}, 1, 2) == VoteResult::kLost);
    REQUIRE(tally({1, 2, 3, 4}, 2, 2) == VoteResult::kLost);
}

TEST_CASE("conf change: single-server steps and their encoding", "[raft][unit]") {
    ConfState c{{1, 2, 3}, {}};
    auto l = apply_conf_change(c, {ConfChangeType::kAddLearner, 4});
    REQUIRE(l);
    REQUIRE(l->learners == std::vector<NodeId>{4});
    REQUIRE_FALSE(apply_conf_change(*l, {ConfChangeType::kAddVoter, 4}));  // already a member
    auto p = apply_conf_change(*l, {ConfChangeType::kPromoteLearner, 4});
    REQUIRE(p);
    REQUIRE(p->voters == std::vector<NodeId>{1, 2, 3, 4});
    REQUIRE_FALSE(apply_conf_change(ConfState{{1}, {}}, {ConfChangeType::kRemoveNode, 1}));
    auto decoded = decode_conf_state(encode_conf_state(*l));
    REQUIRE(decoded);
    REQUIRE(*decoded == *l);
    REQUIRE_FALSE(decode_conf_state("garbage"));
}
