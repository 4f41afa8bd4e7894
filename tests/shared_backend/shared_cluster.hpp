#pragma once
// Test fixtures for the shared-backend mode: a MariaDB server to share, and several real orcraft
// processes (RaftEnabled false, BackendDB mysql) on one database of it.
//
// TestMariadb is either the server the test script started (ORCRAFT_TEST_MYSQL_* in the
// environment; never stopped by a test) or a private server of the test's own, started with
// scripts/mariadb.sh in a temporary directory on a free port; only a private server may be
// stopped, restarted (same data, same port) or paused (SIGSTOP, a hung server), so tests that do
// so never disturb other tests running in parallel.
//
// SharedCluster gives each node a directory of its own and a configuration naming the same
// database; nodes listen on 127.0.0.1 port 0. Every helper that waits polls with a deadline.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/node/node_process.hpp"

namespace orcraft::tests {

class TestMariadb {
  public:
    // A new server of the test's own; throws with the script's output when it does not start.
    static std::unique_ptr<TestMariadb> start_private();
    // The test script's server when the environment names one, else a private one.
    static std::unique_ptr<TestMariadb> shared_or_private();

    ~TestMariadb();  // a private server is stopped and its directory removed
    TestMariadb(const TestMariadb&) = delete;
    TestMariadb& operator=(const TestMariadb&) = delete;

    std::string host = "127.0.0.1";
    int port = 0;
    std::string user = "orcraft";
    std::string password = "orcraft";

    bool is_private() const { return dir_ != nullptr; }
    // Private servers only: shut down (waits for the process to exit) and start again on the same
    // data directory and port.
    void stop();
    void start();
    // Private servers only: SIGSTOP / SIGCONT the server process (a hung database).
    void pause();
    void resume();

    // A database name no other test uses.
    static std::string unique_database(const std::string& prefix);
    // Drops a database (best effort, for cleanup).
    void drop_database(const std::string& name) const;

  private:
    TestMariadb() = default;
    void run_script(const std::string& command) const;
    int server_pid() const;

    std::unique_ptr<TempDir> dir_;
    bool paused_ = false;
};

// A node's answer to one GET: status -1 when the node could not be reached.
struct Answer {
    int status = -1;
    std::string body;
    nlohmann::json json;  // discarded (null) when the body is not valid JSON
    bool valid_json = false;
};

class SharedCluster {
  public:
    // `extra` is merged into every node's configuration (e.g. SharedBackendLeaseSeconds).
    SharedCluster(const TestMariadb& db, std::string database, std::size_t nodes,
                  nlohmann::json extra = nlohmann::json::object());
    ~SharedCluster();

    void start_all();
    std::size_t size() const { return nodes_.size(); }
    NodeProcess& node(std::size_t i) { return *nodes_[i]; }
    const std::string& database() const { return database_; }

    // kill -9, waiting for the process to be gone.
    void kill9(std::size_t i);
    // Starts a stopped or killed node again (a new process: a new token, a new port).
    void restart(std::size_t i);

    // GET <path> on node i with short timeouts (3 s for the answer).
    Answer get(std::size_t i, const std::string& path) const;
    // POST on node i; the answer may take up to 15 s (a write waits for the database).
    Answer post(std::size_t i, const std::string& path, const nlohmann::json& body) const;

    // The leader-check status of every running node (-1: unreachable or not running).
    std::vector<int> leader_checks() const;
    // The running nodes answering leader-check with 200.
    std::vector<std::size_t> leaders() const;
    // Every node's log, each under a header naming the node; for failure messages.
    std::string logs() const;

    // Polls until exactly one running node answers leader-check with 200 and every running node
    // is healthy; returns it, or nullopt at the deadline.
    std::optional<std::size_t> wait_single_leader(std::chrono::milliseconds deadline);

  private:
    const TestMariadb& db_;
    std::string database_;
    std::vector<std::unique_ptr<TempDir>> dirs_;
    std::vector<std::unique_ptr<NodeProcess>> nodes_;
};

// The median of a non-empty list.
double median(std::vector<double> values);

}  // namespace orcraft::tests
