#include "raft/node/bootstrap.hpp"

#include <algorithm>

#include "raft/core/conf_change.hpp"
#include "raft/node/address_book.hpp"

namespace orcraft::raft::detail {

bool is_empty_store(const Restored& r) {
    return r.hard_state == HardState{} && r.snapshot.meta.index == 0 &&
           r.snapshot.meta.conf.voters.empty() && r.snapshot.meta.conf.learners.empty() &&
           r.entries.empty();
}

Restored bootstrap_log(LogStore& store, const std::vector<PeerAddress>& voters) {
    std::vector<PeerAddress> sorted = voters;
    std::sort(sorted.begin(), sorted.end(),
              [](const PeerAddress& a, const PeerAddress& b) { return a.id < b.id; });
    sorted.erase(
        std::unique(sorted.begin(), sorted.end(),
                    [](const PeerAddress& a, const PeerAddress& b) { return a.id == b.id; }),
        sorted.end());
    Restored r;
    ConfState conf;
    for (const PeerAddress& p : sorted) {
        PeerAddress canonical = address_from_identity(p.id, p.identity).value_or(p);
        canonical.identity = p.identity;
        Entry e;
        e.index = r.entries.size() + 1;
        e.term = 1;
        e.data = encode_member_record(canonical);
        r.entries.push_back(std::move(e));
        conf.voters.push_back(p.id);
    }
    Entry c;
    c.index = r.entries.size() + 1;
    c.term = 1;
    c.type = EntryType::kConfChange;
    c.data = encode_conf_state(conf);
    r.entries.push_back(std::move(c));
    r.hard_state = HardState{1, kNoNode, r.entries.back().index};
    store.write(std::nullopt, r.entries, r.hard_state);
    return r;
}

}  // namespace orcraft::raft::detail
