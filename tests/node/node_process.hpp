#pragma once
// Runs the real orcraft binary as a child process for tests, and talks to it over TCP.
//
// Each NodeProcess gets a fresh directory holding its configuration, its log and its data. The
// node listens on 127.0.0.1 port 0 (a free port chosen by the kernel) unless the configuration
// says otherwise; start() reads the bound port back from the node's log line
// "http: listening on <addr>", polling with a deadline.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/http/client.hpp"

namespace orcraft::tests {

// A fresh directory under the system temp dir, removed by the destructor.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

class NodeProcess {
  public:
    // `config` is written to <dir>/orcraft.conf.json; ListenAddress defaults to 127.0.0.1:0 and
    // SQLite3DataFile to <dir>/data.db.
    NodeProcess(const std::filesystem::path& dir, nlohmann::json config);
    ~NodeProcess();  // SIGKILLs a node still running
    NodeProcess(const NodeProcess&) = delete;
    NodeProcess& operator=(const NodeProcess&) = delete;

    // Arguments added after `--config FILE` when the node starts.
    std::vector<std::string> extra_args;

    // Starts the node and waits until it listens. Throws with the log's tail when it exits or
    // does not listen within the deadline.
    void start(std::chrono::milliseconds deadline = std::chrono::seconds(20));

    // Polls /api/health until it answers 200 (a shared-backend node opens its database in the
    // background after it listens). Throws with the last answer and the log at the deadline.
    void wait_healthy(std::chrono::milliseconds deadline = std::chrono::seconds(20)) const;

    // Runs the binary with these arguments to completion (for --help, bad configs); returns the
    // exit status and fills `output` with what it printed.
    static int run_to_exit(const std::vector<std::string>& args, std::string& output,
                           std::chrono::milliseconds deadline = std::chrono::seconds(20));

    // Sends a signal; wait_exit() then returns the exit status (or 128+signal when killed).
    void signal(int signal_number);
    int wait_exit(std::chrono::milliseconds deadline = std::chrono::seconds(20));
    bool running() const { return pid_ > 0; }

    std::uint16_t port() const { return port_; }
    // The IP the node listens on (from its log line; 127.0.0.1 when it listens on every one).
    const std::string& host() const { return host_; }
    std::string log() const;
    const std::filesystem::path& dir() const { return dir_; }

    // A fresh client to this node.
    server::http::HttpClient client() const;

    // POSTs a JSON body and returns the response; the body is parsed into `json` when valid.
    server::http::ClientResponse post(const std::string& target, const nlohmann::json& body) const;

  private:
    std::filesystem::path dir_;
    std::filesystem::path config_path_;
    std::filesystem::path log_path_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string host_ = "127.0.0.1";
};

// A TCP port that is free on `ip` now, chosen at random below the kernel's ephemeral range
// (32768 and up), so that no connection is given it meanwhile. For addresses that must be
// written in a configuration before the node starts (RaftBind).
std::uint16_t pick_free_port(const std::string& ip = "127.0.0.1");

// The path of the orcraft binary under test.
std::string orcraft_binary();

// Connection settings of the throwaway MariaDB started by the test script, or nullopt when the
// environment does not name one (ORCRAFT_TEST_MYSQL_HOST unset).
struct MysqlTarget {
    std::string host;
    int port = 3306;
    std::string user;
    std::string password;
};
std::optional<MysqlTarget> mysql_target();

}  // namespace orcraft::tests
