#include "harness.hpp"

#include <algorithm>
#include <stdexcept>

namespace orcraft::raft::testing {

Cluster::Cluster(int n, const std::function<void(Config&)>& tweak, int voters)
    : tweak_(tweak), n_(n) {
    if (voters == 0) voters = n;
    ConfState conf;
    for (int i = 1; i <= voters; ++i)
        conf.voters.push_back(static_cast<NodeId>(i));
    for (int i = 1; i <= n; ++i) {
        TestNode& t = nodes_[static_cast<NodeId>(i)];
        t.config = base_config(static_cast<NodeId>(i));
        if (i <= voters) t.snap.meta.conf = conf;
        Restored r;
        r.snapshot = t.snap;
        t.core = std::make_unique<Core>(t.config, r);
    }
}

Config Cluster::base_config(NodeId id) const {
    Config c;
    c.id = id;
    c.seed = id * 1000 + 7;
    if (tweak_) tweak_(c);
    return c;
}

void Cluster::restore(NodeId id, HardState hs, std::vector<Entry> log) {
    TestNode& t = nodes_.at(id);
    t.hs = hs;
    t.log = std::move(log);
    restart(id);
}

std::vector<NodeId> Cluster::ids() const {
    std::vector<NodeId> out;
    for (const auto& [id, t] : nodes_)
        out.push_back(id);
    return out;
}

void Cluster::process(NodeId id) {
    TestNode& t = nodes_.at(id);
    if (!t.core) return;
    while (t.core->has_ready()) {
        Ready rd = t.core->ready();
        for (auto& m : rd.early_messages)
            in_flight_.push_back(m);
        if (rd.snapshot) {
            t.snap = *rd.snapshot;
            t.log.clear();
        }
        if (!rd.entries.empty()) {
            const Index first = rd.entries.front().index;
            t.log.resize(first - t.snap.meta.index - 1);
            for (auto& e : rd.entries)
                t.log.push_back(e);
        }
        if (rd.hard_state) t.hs = *rd.hard_state;
        for (auto& m : rd.messages)
            in_flight_.push_back(m);
        if (rd.snapshot) {
            t.installed_snapshot = *rd.snapshot->data;
            t.applied_index = rd.snapshot->meta.index;
        }
        for (auto& e : rd.committed_entries) {
            if (e.index <= t.applied_index) continue;
            if (e.index != t.applied_index + 1) throw std::logic_error("apply gap");
            t.applied.push_back(e);
            t.applied_index = e.index;
        }
        for (auto& r : rd.read_states)
            t.reads.push_back(r);
        t.core->advance();
    }
}

void Cluster::process_all() {
    for (auto& [id, t] : nodes_)
        process(id);
}

bool Cluster::reachable(const Message& m) const {
    if (isolated_.count(m.from) || isolated_.count(m.to)) return false;
    return !cut_.count({m.from, m.to});
}

int Cluster::deliver_round(const std::function<bool(const Message&)>& filter) {
    process_all();
    std::vector<Message> batch;
    batch.swap(in_flight_);
    int delivered = 0;
    for (auto& m : batch) {
        sent.push_back(m);
        if (!reachable(m) || (filter && !filter(m))) continue;
        auto it = nodes_.find(m.to);
        if (it == nodes_.end() || !it->second.core) continue;
        it->second.core->step(m);
        process(m.to);
        ++delivered;
    }
    return delivered;
}

int Cluster::stabilize(const std::function<bool(const Message&)>& filter) {
    int total = 0;
    for (int round = 0; round < 10000; ++round) {
        process_all();
        if (in_flight_.empty()) return total;
        total += deliver_round(filter);
    }
    throw std::logic_error("network did not settle");
}

void Cluster::tick(NodeId id, int ticks) {
    for (int i = 0; i < ticks; ++i) {
        if (!up(id)) return;
        core(id).tick();
        process(id);
    }
}

void Cluster::tick_all(int ticks) {
    for (int i = 0; i < ticks; ++i) {
        for (auto& [id, t] : nodes_)
            tick(id);
    }
}

void Cluster::elect(NodeId id, const std::function<bool(const Message&)>& filter) {
    // Let every other node's vote lease run out without any of them campaigning.
    for (auto& [other, t] : nodes_) {
        if (other != id && t.core && t.core->role() != Role::kLeader) {
            for (int i = 0; i < t.config.election_ticks; ++i) {
                t.core->tick();
                if (t.core->role() != Role::kFollower) break;
            }
        }
    }
    in_flight_.clear();
    for (auto& [other, t] : nodes_) {
        if (other != id && t.core && t.core->role() != Role::kLeader) {
            // Throw away any campaign the ticks above started: only `id` runs.
            process(other);
        }
    }
    in_flight_.erase(std::remove_if(in_flight_.begin(), in_flight_.end(),
                                    [&](const Message& m) { return m.from != id; }),
                     in_flight_.end());
    const int limit = 2 * nodes_.at(id).config.election_ticks + 1;
    for (int i = 0; i < limit && core(id).role() == Role::kFollower; ++i) {
        core(id).tick();
    }
    stabilize(filter);
}

NodeId Cluster::leader() const {
    NodeId best = kNoNode;
    Term term = 0;
    for (const auto& [id, t] : nodes_) {
        if (t.core && t.core->role() == Role::kLeader && t.core->term() >= term) {
            best = id;
            term = t.core->term();
        }
    }
    return best;
}

void Cluster::crash(NodeId id) {
    process(id);
    nodes_.at(id).core.reset();
}

void Cluster::restart(NodeId id) {
    TestNode& t = nodes_.at(id);
    Restored r;
    r.hard_state = t.hs;
    r.snapshot = t.snap;
    r.entries = t.log;
    r.applied = t.snap.meta.index;
    t.applied.clear();
    t.applied_index = t.snap.meta.index;
    t.core = std::make_unique<Core>(t.config, r);
}

Index Cluster::propose(const std::string& data) {
    const NodeId l = leader();
    if (l == kNoNode) throw std::logic_error("no leader");
    auto r = core(l).propose(data);
    if (r.status != Status::kOk) throw std::logic_error(to_string(r.status));
    stabilize();
    return r.index;
}

}  // namespace orcraft::raft::testing
