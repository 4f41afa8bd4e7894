// The embedding library in raft mode: three nodes in this process on 127.0.0.1, 127.0.0.2 and
// 127.0.0.3, each with its own SQLite database and raft data directory, over real TCP.

#include <catch2/catch.hpp>

#include <chrono>

#include "../polling.hpp"
#include "commands.hpp"
#include "embed_fixture.hpp"
#include "server/http/client.hpp"

using namespace orcraft::tests::embed;
using orcraft::embed::ErrorCode;
using orcraft::embed::Node;
using orcraft::embed::ReadLevel;
using orcraft::tests::eventually;
using namespace std::chrono_literals;

namespace {

struct Cluster {
    TempDir dir;
    // The logs outlive the nodes, whose stop() delivers a last event.
    std::vector<std::unique_ptr<EventLog>> logs;
    std::vector<std::unique_ptr<Node>> nodes;

    explicit Cluster(int n, orcraft::embed::NodeOptions options = {}) {
        for (const auto& config : cluster_configs(dir.path(), n)) {
            nodes.push_back(std::make_unique<Node>(config, options));
            logs.push_back(std::make_unique<EventLog>());
            register_counter_commands(*nodes.back());
            nodes.back()->on_leadership_change(logs.back()->observer());
        }
        for (auto& node : nodes)
            node->start();
    }

    // The leader every running node follows (fails the test when none is agreed in time).
    Node& leader() {
        Node* leader = nullptr;
        REQUIRE(eventually(15s, [&] { return (leader = agreed_leader(nodes)) != nullptr; }));
        return *leader;
    }

    std::size_t index_of(const Node& node) const {
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (nodes[i].get() == &node) return i;
        return nodes.size();
    }

    // Waits until every running node applied at least `index`.
    void wait_applied(std::uint64_t index) {
        REQUIRE(eventually(15s, [&] {
            for (auto& node : nodes) {
                const auto s = node->status();
                if (s.running && s.applied_index < index) return false;
            }
            return true;
        }));
    }
};

}  // namespace

TEST_CASE("embed: a typed command applies exactly once on every node of a 3-node cluster",
          "[embed][raft]") {
    Cluster cluster(3);
    Node& leader = cluster.leader();
    CHECK(leader.status().mode == "raft");
    CHECK(leader.status().members.size() == 3);
    leader.execute(counter_schema());
    leader.execute({{"INSERT INTO counters (name, value) VALUES ('a', 0)", {}}});

    constexpr int kCommands = 25;
    std::uint64_t last = 0;
    for (int i = 1; i <= kCommands; ++i) {
        const auto done = leader.run("add", "a:1");
        CHECK(done.result == std::to_string(i));
        CHECK(done.index > last);
        last = done.index;
    }
    // A rejected command is applied as a no-op everywhere.
    CHECK(error_code([&] { leader.run("add", "a:-1000"); }) == ErrorCode::kRejected);
    last = leader.status().applied_index;
    cluster.wait_applied(last);

    const auto reference =
        leader.query({{"SELECT id, name, at FROM events ORDER BY id", {}}}, ReadLevel::None)[0]
            .rows;
    CHECK(reference.size() == kCommands);
    for (auto& node : cluster.nodes) {
        INFO("node " << node->status().self);
        CHECK(read_int(*node, "SELECT value FROM counters WHERE name = 'a'") == kCommands);
        // Same rows, same NOW() values (the leader's stamps), on every node.
        CHECK(node->query({{"SELECT id, name, at FROM events ORDER BY id", {}}}, ReadLevel::None)[0]
                  .rows == reference);
    }
    // The result checksum chains agree once every node is at the same index.
    REQUIRE(eventually(10s, [&] {
        const auto first = cluster.nodes[0]->status();
        for (auto& node : cluster.nodes) {
            const auto s = node->status();
            if (s.applied_index != first.applied_index || !s.checksum_known ||
                s.result_checksum != first.result_checksum)
                return false;
        }
        return true;
    }));
}

TEST_CASE("embed: followers refuse writes and commands, naming the leader", "[embed][raft]") {
    Cluster cluster(3);
    Node& leader = cluster.leader();
    const auto leader_status = leader.status();
    leader.execute(counter_schema());
    leader.execute({{"INSERT INTO counters (name, value) VALUES ('a', 0)", {}}});

    Node& follower = *cluster.nodes[(cluster.index_of(leader) + 1) % cluster.nodes.size()];
    CHECK_FALSE(follower.status().is_leader);
    CHECK(follower.status().leader == leader_status.self);
    try {
        follower.run("add", "a:1");
        FAIL("a follower ran a command");
    } catch (const orcraft::embed::Error& e) {
        CHECK(e.code() == ErrorCode::kNotLeader);
        CHECK(e.leader() == leader_status.self);
        CHECK(e.leader_url().rfind("http://127.0.0.", 0) == 0);
    }
    CHECK(error_code([&] {
              follower.execute({{"DELETE FROM counters", {}}});
          }) == ErrorCode::kNotLeader);
    CHECK(error_code([&] {
              follower.query({{"SELECT 1", {}}}, ReadLevel::Weak);
          }) == ErrorCode::kNotLeader);

    // A linearizable read on a follower sees every write acknowledged before it.
    leader.run("add", "a:7");
    CHECK(read_int(follower, "SELECT value FROM counters WHERE name = 'a'",
                   ReadLevel::Linearizable) == 7);
    CHECK(read_int(leader, "SELECT COUNT(*) FROM events") == 1);
}

TEST_CASE("embed: leadership observers follow the cluster, and a stopping leader hands over",
          "[embed][raft]") {
    Cluster cluster(3);
    Node& leader = cluster.leader();
    const auto old = leader.status();
    // Every observer hears of the leader it follows.
    REQUIRE(eventually(5s, [&] {
        for (auto& log : cluster.logs)
            if (log->last().leader != old.self) return false;
        return true;
    }));
    const std::size_t old_index = cluster.index_of(leader);
    CHECK(cluster.logs[old_index]->last().is_leader);
    for (auto& log : cluster.logs) {
        for (const auto& e : log->events())
            CHECK(e.term <= old.term);
    }

    const auto stop_started = std::chrono::steady_clock::now();
    leader.stop();
    CHECK_FALSE(cluster.logs[old_index]->last().is_leader);
    CHECK_FALSE(leader.status().running);

    // Another node leads in a later term, found by the hand-over rather than by an election
    // timeout of every follower.
    Node& next = cluster.leader();
    const auto handed_over = std::chrono::steady_clock::now() - stop_started;
    CHECK(&next != &leader);
    const auto now = next.status();
    CHECK(now.term > old.term);
    CHECK(handed_over < 5s);
    const auto next_index = cluster.index_of(next);
    REQUIRE(eventually(5s, [&] {
        const auto l = cluster.logs[next_index]->last();
        return l.is_leader && l.term == now.term;
    }));
    // The new leader takes typed commands.
    next.execute(counter_schema());
    next.execute({{"INSERT INTO counters (name, value) VALUES ('a', 0)", {}}});
    CHECK(next.run("add", "a:2").result == "2");
}

TEST_CASE("embed: embedded raft nodes serve the HTTP API, followers forwarding to the leader",
          "[embed][raft]") {
    orcraft::embed::NodeOptions options;
    options.serve_http = true;
    Cluster cluster(3, options);
    Node& leader = cluster.leader();
    leader.execute(counter_schema());
    leader.execute({{"INSERT INTO counters (name, value) VALUES ('a', 0)", {}}});
    leader.run("add", "a:5");

    Node& follower = *cluster.nodes[(cluster.index_of(leader) + 1) % cluster.nodes.size()];
    const std::string url = follower.http_url();
    const auto colon = url.rfind(':');
    orcraft::server::http::HttpClient client(
        url.substr(7, colon - 7), static_cast<std::uint16_t>(std::stoi(url.substr(colon + 1))));
    const auto write = client.post("/api/db/execute",
                                   R"({"statements": ["UPDATE counters SET value = value + 1"]})");
    CHECK(write.status == 200);
    const auto read = client.post(
        "/api/db/query", R"({"statements": ["SELECT value FROM counters"], "level": "weak"})");
    CHECK(read.status == 200);
    CHECK(read.body.find("[[6]]") != std::string::npos);
    CHECK(client.get("/api/leader-check").status == 404);
}

TEST_CASE("embed: a handler that throws stops every node of the cluster", "[embed][raft]") {
    TempDir dir;
    std::vector<std::unique_ptr<Node>> nodes;
    for (const auto& config : cluster_configs(dir.path(), 3)) {
        nodes.push_back(std::make_unique<Node>(config));
        nodes.back()->register_command(
            "boom", [](orcraft::embed::CommandContext&, const std::string&) -> std::string {
                throw std::runtime_error("handler bug");
            });
        nodes.back()->start();
    }
    Node* leader = nullptr;
    REQUIRE(eventually(15s, [&] { return (leader = agreed_leader(nodes)) != nullptr; }));
    CHECK(error_code([&] { leader->run("boom", ""); }) == ErrorCode::kStopped);
    // The entry is committed; every node stops (the program must restart it).
    REQUIRE(eventually(10s, [&] {
        for (auto& node : nodes)
            if (node->status().running) return false;
        return true;
    }));
    // The leader applied the entry (run() saw it fail). A follower applies it only if it learned
    // the commit before the leader stopped, so only the leader is sure to name the handler's error.
    CHECK(leader->status().error.find("handler bug") != std::string::npos);
}

TEST_CASE("embed: the inventory example runs as a 3-node cluster in one process",
          "[example][raft]") {
    std::string output;
    {
        FILE* pipe = ::popen((std::string(INVENTORY_BINARY) + " --cluster 2>&1").c_str(), "r");
        REQUIRE(pipe != nullptr);
        char buffer[4096];
        std::size_t n;
        while ((n = ::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
            output.append(buffer, n);
        CHECK(::pclose(pipe) == 0);
    }
    INFO(output);
    CHECK(output.find("leader: 127.0.0.") != std::string::npos);
    CHECK(output.find("order A-3 refused: only 6 widget left, 7 requested") != std::string::npos);
    for (const char* node : {"127.0.0.1", "127.0.0.2", "127.0.0.3"}) {
        CHECK(output.find(std::string("stock on ") + node + ":10108: gadget 0, widget 0") !=
              std::string::npos);
    }
}
