// A small synchronous test cluster for scenario tests: cores connected by an in-memory
// network that the test controls message by message. Persistence is instant (a Ready is
// durable as soon as it is taken); crashes keep exactly the durable state.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "raft/core/core.hpp"

namespace orcraft::raft::testing {

struct TestNode {
    std::unique_ptr<Core> core;
    Config config;
    // Durable state.
    HardState hs;
    Snapshot snap;
    std::vector<Entry> log;
    // State machine: the applied entries and the last installed snapshot.
    std::vector<Entry> applied;
    Index applied_index = 0;
    std::string installed_snapshot;
    std::vector<ReadState> reads;
};

class Cluster {
  public:
    // A cluster of nodes 1..n of which 1..voters (all by default) form the initial
    // configuration; the others start empty, waiting to be added. `tweak` may change each
    // node's configuration.
    explicit Cluster(int n, const std::function<void(Config&)>& tweak = {}, int voters = 0);
    // A node restored from the given durable state instead of a fresh one.
    void restore(NodeId id, HardState hs, std::vector<Entry> log);

    Core& core(NodeId id) { return *nodes_.at(id).core; }
    TestNode& node(NodeId id) { return nodes_.at(id); }
    std::vector<NodeId> ids() const;
    bool up(NodeId id) const { return nodes_.at(id).core != nullptr; }

    // Takes and processes every Ready of a node: persists, queues messages, applies.
    void process(NodeId id);
    void process_all();

    // Delivers queued messages (and the messages they cause) until the network is quiet.
    // Returns the number of messages delivered. `filter` may drop messages (return false).
    int stabilize(const std::function<bool(const Message&)>& filter = {});
    // Delivers only the messages currently queued (one round).
    int deliver_round(const std::function<bool(const Message&)>& filter = {});
    std::vector<Message>& in_flight() { return in_flight_; }

    void tick(NodeId id, int ticks = 1);
    // Ticks every node that is up `ticks` times (processing after each tick, no delivery).
    void tick_all(int ticks);
    // Makes `id` campaign (after ticking the others past their vote lease) and settles,
    // delivering only what `filter` lets through.
    void elect(NodeId id, const std::function<bool(const Message&)>& filter = {});
    NodeId leader() const;

    void isolate(NodeId id) { isolated_.insert(id); }
    void cut(NodeId from, NodeId to) { cut_.insert({from, to}); }
    void heal() {
        isolated_.clear();
        cut_.clear();
    }
    void crash(NodeId id);
    void restart(NodeId id);

    // Proposes `data` at the leader and settles; returns the entry's index.
    Index propose(const std::string& data);

    std::vector<Message> sent;  // every message ever sent, for assertions

  private:
    bool reachable(const Message& m) const;
    Config base_config(NodeId id) const;

    std::map<NodeId, TestNode> nodes_;
    std::vector<Message> in_flight_;
    std::set<NodeId> isolated_;
    std::set<std::pair<NodeId, NodeId>> cut_;
    std::function<void(Config&)> tweak_;
    int n_;
};

}  // namespace orcraft::raft::testing
