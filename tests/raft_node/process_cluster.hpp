// A cluster of raft_testnode processes for crash, restart, wipe and partition tests and for the
// failover benchmark. Each node runs in its own process (optionally inside a network namespace)
// with its own directory; tests talk to it through its control socket (see testnode/main.cpp).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace orcraft::raft::testing {

// One request/answer line at a time over a Unix socket; reconnects after any failure.
class ControlClient {
  public:
    explicit ControlClient(std::string socket_path) : path_(std::move(socket_path)) {}
    ~ControlClient();
    ControlClient(const ControlClient&) = delete;
    ControlClient& operator=(const ControlClient&) = delete;

    // The answer line (without the newline), or nullopt if the node could not be reached or did
    // not answer within `timeout` (the connection is then dropped).
    std::optional<std::string> request(const std::string& line, std::chrono::milliseconds timeout);

  private:
    void close();
    std::string path_;
    int fd_ = -1;
    std::string buffer_;
};

struct ProcessClusterOptions {
    int nodes = 3;
    // Per node: the IP it listens on (default 127.0.0.<i+1>) and the network namespace it runs
    // in ("" for none). With namespaces every node listens on the same port.
    std::vector<std::string> hosts;
    std::vector<std::string> namespaces;
    std::uint16_t namespace_port = 7000;
    std::vector<std::string> extra_args;  // given to every node
    std::string testnode_path;            // default: the path CMake compiled in
};

class ProcessCluster {
  public:
    explicit ProcessCluster(ProcessClusterOptions options);
    // Kills (SIGKILL) whatever still runs and deletes the directories.
    ~ProcessCluster();

    int size() const { return static_cast<int>(nodes_.size()); }
    const std::string& identity(int i) const { return node(i).identity; }
    const std::string& dir(int i) const { return node(i).dir; }

    void start(int i, const std::vector<std::string>& extra = {});
    void start_all();
    void signal(int i, int sig);
    // Polls until process i exited (true) or the deadline passed.
    bool wait_exit(int i, std::chrono::milliseconds deadline);
    bool running(int i);
    // Deletes node i's directory (raft log and state machine); it must not run.
    void wipe(int i);

    std::optional<std::string> request(int i, const std::string& line,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // The fields of "state" (role, term, leader, ...); empty when the node does not answer.
    std::map<std::string, std::string> state(int i);
    // The running member every running member agrees is the leader, or -1.
    int agreed_leader();
    // Any running member that says it is leader, or -1.
    int some_leader();
    int index_of(const std::string& identity) const;
    // The local list of values of node i (nullopt if it does not answer).
    std::optional<std::vector<std::string>> list(int i);

    // The last lines of node i's log file, for failure messages.
    std::string log_tail(int i, int lines = 30) const;

  private:
    struct Node {
        std::string host;
        std::string ns;
        std::uint16_t port = 0;
        std::string identity;
        std::string dir;
        std::mutex proc_mu;  // guards pid (the writer thread and the test both look)
        pid_t pid = -1;
        std::unique_ptr<ControlClient> control;
        std::mutex control_mu;
    };
    Node& node(int i) { return *nodes_.at(static_cast<std::size_t>(i)); }
    const Node& node(int i) const { return *nodes_.at(static_cast<std::size_t>(i)); }

    ProcessClusterOptions options_;
    std::string root_;
    std::vector<std::unique_ptr<Node>> nodes_;
};

// A writer thread that proposes unique values ("<prefix>-<n>") as fast as answers come,
// following the leader, and records which were acknowledged. Values whose outcome is unknown
// (timeouts, lost connections, errors after the entry may have been appended) are never
// proposed again, so an acknowledged value must appear exactly once on every node.
class UniqueWriter {
  public:
    UniqueWriter(ProcessCluster& cluster, std::string prefix);
    ~UniqueWriter();
    void stop();
    std::vector<std::string> acknowledged();
    std::size_t acknowledged_count();

  private:
    void run();
    ProcessCluster& cluster_;
    std::string prefix_;
    // Connections of its own, so that a proposal waiting on a cut-off node never holds up the
    // test's own requests.
    std::vector<std::unique_ptr<ControlClient>> clients_;
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::vector<std::string> acked_;
    std::thread thread_;
};

// Proposes probe values round-robin on every running node until one is accepted; returns the
// time that took, or nullopt after `deadline`.
std::optional<std::chrono::milliseconds> time_to_first_write(ProcessCluster& cluster,
                                                             const std::string& prefix,
                                                             std::chrono::milliseconds deadline);

// Checks the end state: every running node holds the same values, no value twice, and every
// acknowledged value. Returns an empty string, or what is wrong.
std::string check_no_loss(ProcessCluster& cluster, const std::vector<std::string>& acknowledged);

}  // namespace orcraft::raft::testing
