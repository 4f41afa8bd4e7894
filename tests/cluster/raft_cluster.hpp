#pragma once
// A raft cluster of real orcraft processes for tests (RaftEnabled true).
//
// Node i listens on 127.0.0.(i+1): HTTP on one port and raft on the next, the same ports on every
// node's IP, chosen at random below the kernel's ephemeral range and checked free. Each node has
// its own directory (configuration, log, RaftDataDir, SQLite file) and, when its backend is
// MySQL, its own database on the test MariaDB (dropped by the destructor).
//
// Every answer read through get()/post() is checked to be valid JSON; the ones that are not are
// collected in invalid_answers(), which tests check at the end. Every helper that waits polls
// with a deadline.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/node/node_process.hpp"
#include "tests/shared_backend/shared_cluster.hpp"

namespace orcraft::tests {

enum class Backend { Sqlite, Mysql };

struct Reply {
    int status = -1;  // -1: no answer (connection failed, timeout)
    std::string body;
    nlohmann::json json;
    bool valid_json = false;
    server::http::Headers headers;
    std::string error;  // why there was no answer
};

class RaftCluster {
  public:
    // One node per entry of `backends`. `db` is needed when any backend is MySQL and must outlive
    // the cluster. `extra` is merged into every node's configuration. The first `initial` nodes
    // (all by default) form the cluster (their RaftNodes); the others list every node in
    // RaftNodes and start with RaftJoin, waiting for raft-add-peer.
    RaftCluster(std::vector<Backend> backends, const TestMariadb* db,
                nlohmann::json extra = nlohmann::json::object(), std::size_t initial = 0);
    ~RaftCluster();
    RaftCluster(const RaftCluster&) = delete;
    RaftCluster& operator=(const RaftCluster&) = delete;

    std::size_t size() const { return nodes_.size(); }
    NodeProcess& node(std::size_t i) { return *nodes_[i]; }
    bool running(std::size_t i) const { return nodes_[i]->running(); }
    Backend backend(std::size_t i) const { return backends_[i]; }
    // "127.0.0.(i+1):<raft port>", the node's raft identity.
    std::string identity(std::size_t i) const;
    std::string ip(std::size_t i) const;
    std::uint16_t http_port() const { return http_port_; }

    void start_all();
    void start(std::size_t i);
    // kill -9, waiting for the process to be gone.
    void kill9(std::size_t i);
    // SIGTERM; returns the exit status.
    int terminate(std::size_t i);
    // Removes a stopped node's whole state: its RaftDataDir and its backend (SQLite file, or the
    // MySQL database).
    void wipe(std::size_t i);

    Reply get(std::size_t i, const std::string& path,
              std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    Reply post(std::size_t i, const std::string& path, const nlohmann::json& body,
               std::chrono::milliseconds timeout = std::chrono::seconds(15)) const;

    // Polls until exactly one running node answers leader-check with 200 and every running node
    // names it in raft-leader and is healthy. Returns it, or nullopt at the deadline.
    std::optional<std::size_t> wait_leader(
        std::chrono::milliseconds deadline = std::chrono::seconds(20));

    // Polls until every running node has applied the same index as the others and holds the
    // same rows in each of `tables` (read at level none). Returns false at the deadline.
    bool wait_converged(const std::vector<std::string>& tables,
                        std::chrono::milliseconds deadline = std::chrono::seconds(30));

    // Every row of `table`, ordered by its first column, as node i holds it (level none).
    nlohmann::json rows(std::size_t i, const std::string& table) const;

    // raft-status AppliedIndex of node i (0 when it does not answer).
    std::uint64_t applied(std::size_t i) const;

    // Stops every running node with SIGTERM and returns what went wrong: a node that did not
    // exit with status 0 (a sanitizer report, a crash at shutdown), with its log's tail.
    std::vector<std::string> stop_all();

    // Answers that were not valid JSON: "node N GET path -> status: body".
    std::vector<std::string> invalid_answers() const { return *invalid_; }

  private:
    Reply record(std::size_t i, const std::string& what, Reply r) const;

    std::vector<Backend> backends_;
    const TestMariadb* db_;
    std::vector<std::string> databases_;
    std::vector<std::unique_ptr<TempDir>> dirs_;
    std::vector<std::unique_ptr<NodeProcess>> nodes_;
    std::uint16_t http_port_ = 0;
    std::uint16_t raft_port_ = 0;
    std::shared_ptr<std::vector<std::string>> invalid_ =
        std::make_shared<std::vector<std::string>>();
};

// The end of every scenario: every answer was valid JSON, and every node still running stops
// cleanly on SIGTERM (exit status 0: no sanitizer report, no crash at shutdown). Catch checks.
void finish_cleanly(RaftCluster& cluster);

// The backends of a three-node cluster by name: "sqlite", "mysql" or "mixed" (SQLite, MySQL,
// SQLite).
std::vector<Backend> three(const std::string& kind);

// The test MariaDB when one is configured; nullptr when MySQL tests are skipped
// (ORCRAFT_TEST_SKIP_MYSQL). Fails the test with instructions otherwise.
const TestMariadb* test_mariadb();

}  // namespace orcraft::tests
