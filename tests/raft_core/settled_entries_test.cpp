// Entries leave the core's memory once settled (durable and applied) when the runtime can read
// them back (Config::load_entries), and come back from the log only when they provably are the
// entries the core knows.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>

#include "harness.hpp"

using namespace orcraft::raft;
using orcraft::raft::testing::Cluster;

namespace {

// Reads node `id`'s durable log the way a runtime reads its segment files.
std::vector<Entry> read_durable(Cluster& c, NodeId id, Index lo, Index hi, std::size_t max_bytes) {
    std::vector<Entry> out;
    std::size_t bytes = 0;
    for (const Entry& e : c.node(id).log) {
        if (e.index < lo + out.size() || e.index > hi) continue;
        if (e.index != lo + out.size()) break;
        bytes += entry_size(e);
        if (!out.empty() && bytes > max_bytes) break;
        out.push_back(e);
    }
    return out;
}

// Sees every read back (and may change what it returns).
using ReadHook = std::function<std::vector<Entry>(std::vector<Entry> read)>;

// Three nodes whose cores let settled entries go beyond `cache_bytes` and read them back from
// their own durable logs, through `hook` when given. `more` changes the rest of the config.
std::unique_ptr<Cluster> read_back_cluster(std::size_t cache_bytes, ReadHook hook = {},
                                           const std::function<void(Config&)>& more = {}) {
    auto self = std::make_shared<Cluster*>(nullptr);
    auto cluster = std::make_unique<Cluster>(3, [=](Config& cfg) {
        cfg.settled_cache_bytes = cache_bytes;
        if (more) more(cfg);
        cfg.load_entries = [self, hook, id = cfg.id](Index lo, Index hi, std::size_t max) {
            std::vector<Entry> read = read_durable(**self, id, lo, hi, max);
            return hook ? hook(std::move(read)) : read;
        };
    });
    *self = cluster.get();
    return cluster;
}

bool carries_entries_to(const Message& m, NodeId to) {
    return m.type == MessageType::kAppend && m.to == to && !m.entries.empty();
}

}  // namespace

TEST_CASE("settled entries leave memory and reach a lagging member through load_entries",
          "[raft][log]") {
    int loads = 0;
    auto owned = read_back_cluster(
        100,  // about three of this test's entries
        [&](std::vector<Entry> read) {
            ++loads;
            return read;
        },
        [](Config& cfg) { cfg.max_append_bytes = 200; });
    Cluster& c = *owned;
    c.elect(1);
    c.isolate(3);
    for (int i = 0; i < 40; ++i)
        c.propose("entry-" + std::to_string(i));
    // Everything is settled on the leader; only the cache's worth stays in memory.
    CHECK(c.core(1).last_index() - c.core(1).snapshot_index() > 40);
    CHECK(c.core(1).entries_in_memory() <= 4);
    CHECK(c.core(2).entries_in_memory() <= 4);
    CHECK(loads == 0);

    c.heal();
    c.tick(1, c.node(1).config.heartbeat_ticks);
    c.stabilize();
    CHECK(loads > 0);
    REQUIRE(c.node(3).applied.size() == c.node(1).applied.size());
    for (std::size_t i = 0; i < c.node(1).applied.size(); ++i)
        CHECK(c.node(3).applied[i] == c.node(1).applied[i]);
    // A leader elected later serves the log from its own disk in the same way.
    c.isolate(1);
    c.elect(2);
    c.propose("from the new leader");
    CHECK(c.node(3).applied.back().data == "from the new leader");
}

TEST_CASE("while load_entries cannot read, no entries are sent and the leader asks again",
          "[raft][log]") {
    bool readable = false;
    int loads = 0;
    auto owned = read_back_cluster(0, [&](std::vector<Entry> read) {
        ++loads;
        return readable ? read : std::vector<Entry>{};
    });
    Cluster& c = *owned;
    c.elect(1);
    c.isolate(3);
    for (int i = 0; i < 10; ++i)
        c.propose("e" + std::to_string(i));
    c.heal();
    c.sent.clear();
    for (int i = 0; i < 3; ++i) {
        c.tick(1, c.node(1).config.heartbeat_ticks);
        c.stabilize();
    }
    CHECK(loads >= 2);
    for (const Message& m : c.sent)
        CHECK_FALSE(carries_entries_to(m, 3));
    CHECK(c.node(3).applied.size() < c.node(1).applied.size());

    readable = true;
    c.tick(1, c.node(1).config.heartbeat_ticks);
    c.stabilize();
    CHECK(c.node(3).applied.size() == c.node(1).applied.size());
}

TEST_CASE("entries read back with a term the core does not know are never sent", "[raft][log]") {
    bool forge = true;
    auto owned = read_back_cluster(0, [&](std::vector<Entry> read) {
        // A stale copy: right index, another term, other bytes.
        if (forge && !read.empty()) {
            read.front().term += 1;
            read.front().data = "stale";
        }
        return read;
    });
    Cluster& c = *owned;
    c.elect(1);
    c.isolate(3);
    for (int i = 0; i < 5; ++i)
        c.propose("e" + std::to_string(i));
    c.heal();
    c.sent.clear();
    c.tick(1, c.node(1).config.heartbeat_ticks);
    c.stabilize();
    for (const Message& m : c.sent)
        CHECK_FALSE(carries_entries_to(m, 3));
    for (const Entry& e : c.node(3).applied)
        CHECK(e.data != "stale");

    forge = false;
    c.tick(1, c.node(1).config.heartbeat_ticks);
    c.stabilize();
    REQUIRE(c.node(3).applied.size() == c.node(1).applied.size());
    CHECK(c.node(3).applied.back().data == "e4");
}

TEST_CASE("without load_entries every entry after the snapshot stays in memory", "[raft][log]") {
    Cluster c(3);
    c.elect(1);
    for (int i = 0; i < 20; ++i)
        c.propose("e");
    CHECK(c.core(1).entries_in_memory() == c.core(1).last_index() - c.core(1).snapshot_index());
}

TEST_CASE("a follower still truncates a conflicting suffix after settled entries left memory",
          "[raft][log]") {
    auto owned = read_back_cluster(0);
    Cluster& c = *owned;
    c.elect(1);
    for (int i = 0; i < 5; ++i)
        c.propose("committed-" + std::to_string(i));
    // Node 1 appends entries nobody else sees, then loses leadership.
    c.isolate(1);
    for (int i = 0; i < 3; ++i)
        REQUIRE(c.core(1).propose("lost-" + std::to_string(i)).status == Status::kOk);
    c.process(1);
    c.elect(2);
    c.propose("new-term");
    c.heal();
    c.tick(2, c.node(2).config.heartbeat_ticks);
    c.stabilize();
    REQUIRE(c.core(1).last_index() == c.core(2).last_index());
    REQUIRE(c.node(1).applied.size() == c.node(2).applied.size());
    for (const Entry& e : c.node(1).applied)
        CHECK(e.data.rfind("lost-", 0) == std::string::npos);
    CHECK(c.core(1).entries_in_memory() <= 1);
}
