#include "raft/core/conf_change.hpp"

#include <algorithm>

namespace orcraft::raft {

bool ConfState::is_voter(NodeId id) const {
    return std::binary_search(voters.begin(), voters.end(), id);
}

bool ConfState::is_learner(NodeId id) const {
    return std::binary_search(learners.begin(), learners.end(), id);
}

namespace {

void insert_sorted(std::vector<NodeId>& v, NodeId id) {
    v.insert(std::lower_bound(v.begin(), v.end(), id), id);
}

void erase_id(std::vector<NodeId>& v, NodeId id) {
    v.erase(std::remove(v.begin(), v.end(), id), v.end());
}

void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool get_u64(const std::string& in, std::size_t& pos, std::uint64_t& v) {
    if (pos > in.size() || in.size() - pos < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i)
        v |= std::uint64_t(static_cast<unsigned char>(in[pos + i])) << (8 * i);
    pos += 8;
    return true;
}

}  // namespace

std::optional<ConfState> apply_conf_change(const ConfState& conf, const ConfChange& change) {
    if (change.node == kNoNode) return std::nullopt;
    ConfState next = conf;
    switch (change.type) {
        case ConfChangeType::kAddLearner:
            if (conf.is_member(change.node)) return std::nullopt;
            insert_sorted(next.learners, change.node);
            break;
        case ConfChangeType::kAddVoter:
            if (conf.is_member(change.node)) return std::nullopt;
            insert_sorted(next.voters, change.node);
            break;
        case ConfChangeType::kPromoteLearner:
            if (!conf.is_learner(change.node)) return std::nullopt;
            erase_id(next.learners, change.node);
            insert_sorted(next.voters, change.node);
            break;
        case ConfChangeType::kRemoveNode:
            if (!conf.is_member(change.node)) return std::nullopt;
            erase_id(next.voters, change.node);
            erase_id(next.learners, change.node);
            if (next.voters.empty()) return std::nullopt;
            break;
    }
    return next;
}

std::string encode_conf_state(const ConfState& conf) {
    std::string out;
    out.reserve(16 + 8 * (conf.voters.size() + conf.learners.size()));
    put_u64(out, conf.voters.size());
    for (NodeId id : conf.voters)
        put_u64(out, id);
    put_u64(out, conf.learners.size());
    for (NodeId id : conf.learners)
        put_u64(out, id);
    return out;
}

std::optional<ConfState> decode_conf_state(const std::string& bytes) {
    ConfState conf;
    std::size_t pos = 0;
    for (auto* list : {&conf.voters, &conf.learners}) {
        std::uint64_t n = 0;
        if (!get_u64(bytes, pos, n) || n > (bytes.size() - pos) / 8) return std::nullopt;
        list->resize(n);
        for (auto& id : *list)
            get_u64(bytes, pos, id);
        if (!std::is_sorted(list->begin(), list->end())) return std::nullopt;
    }
    if (pos != bytes.size()) return std::nullopt;
    return conf;
}

}  // namespace orcraft::raft
