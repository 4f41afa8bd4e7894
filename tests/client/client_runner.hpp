#pragma once
// Test helpers for orcraft-client: running the real binary, and tiny fake orcraft nodes.
//
// run_client() starts the binary with the given arguments, environment additions and standard
// input, collects stdout and stderr separately and returns them with the exit status. The
// child's environment is the test's own without any ORCRAFT_API, ORCRAFT_USER, ORCRAFT_PASSWORD,
// ORCHESTRATOR_API, ORCHESTRATOR_AUTH_USER or ORCHESTRATOR_AUTH_PASSWORD, plus `env`.
//
// FakeNode is an HTTP server on 127.0.0.1 (a free port) that answers each path from a table
// and records every request, for the behaviours a standalone node cannot show (several nodes,
// followers, raft answers, failures). DeadPort is a port nothing listens on; SilentPort one that
// accepts connections and never answers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/http/message.hpp"
#include "server/http/server.hpp"

namespace orcraft::tests {

struct ClientRun {
    int status = -1;
    std::string out;
    std::string err;
    std::chrono::milliseconds took{0};
};

ClientRun run_client(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {},
                     const std::optional<std::string>& input = std::nullopt,
                     std::chrono::milliseconds deadline = std::chrono::seconds(30));

struct SeenRequest {
    std::string method;
    std::string target;
    std::string body;
    std::string authorization;
};

class FakeNode {
  public:
    // Computes the answer to a request; called on the server's loop thread.
    using Answer = std::function<server::http::Response(const server::http::Request&)>;

    FakeNode();
    ~FakeNode();

    // Answers requests whose path (without the query) equals `path` with `answer`; others get 404
    // {"error": "not found"}.
    void on(const std::string& path, Answer answer);
    // Shorthand: always this status and JSON body.
    void on(const std::string& path, int status, const std::string& json_body);

    std::string url() const;  // "http://127.0.0.1:PORT"
    std::uint16_t port() const { return port_; }
    std::vector<SeenRequest> requests() const;
    // Paths (targets) of the requests seen, in order.
    std::vector<std::string> targets() const;

  private:
    mutable std::mutex mutex_;
    std::map<std::string, Answer> answers_;
    std::vector<SeenRequest> seen_;
    std::unique_ptr<server::http::HttpServer> server_;
    std::uint16_t port_ = 0;
};

// A port on 127.0.0.1 that refuses connections (bound once to find it, then released).
std::uint16_t dead_port();

// A listening socket that never accepts: connections complete in the kernel and then hang.
class SilentPort {
  public:
    SilentPort();
    ~SilentPort();
    SilentPort(const SilentPort&) = delete;
    SilentPort& operator=(const SilentPort&) = delete;
    std::uint16_t port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// The path of the orcraft-client binary under test.
std::string client_binary();

}  // namespace orcraft::tests
