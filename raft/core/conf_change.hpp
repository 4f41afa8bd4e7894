// Single-server membership changes. A change is turned into the complete resulting ConfState,
// which is what a kConfChange log entry carries. A configuration takes effect on every node as
// soon as its entry is appended to that node's log (thesis 4.1), and is undone if the entry is
// truncated away; the leader allows at most one uncommitted configuration entry at a time, and
// only after it has committed an entry of its own term.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "raft/core/types.hpp"

namespace orcraft::raft {

enum class ConfChangeType : std::uint8_t {
    kAddLearner,      // a new non-voting member (starts receiving the log)
    kPromoteLearner,  // a learner that has caught up becomes a voter
    kAddVoter,        // a new voter directly (prefer kAddLearner then kPromoteLearner)
    kRemoveNode       // removes a voter or a learner
};

struct ConfChange {
    ConfChangeType type = ConfChangeType::kAddLearner;
    NodeId node = kNoNode;
};

// Returns the configuration after `change`, or nullopt if the change does not apply (adding a
// present member, promoting a non-learner, removing an absent node, removing the last voter).
std::optional<ConfState> apply_conf_change(const ConfState& conf, const ConfChange& change);

// Stable binary encoding of a ConfState (little-endian counts and identifiers).
std::string encode_conf_state(const ConfState& conf);
// Decodes what encode_conf_state produced; nullopt if the bytes are malformed.
std::optional<ConfState> decode_conf_state(const std::string& bytes);

}  // namespace orcraft::raft
