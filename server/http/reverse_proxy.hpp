#pragma once
// A reverse proxy: relays a request received by this server to another HTTP server (the raft
// leader) and relays its answer back, status, headers and body.
//
// What is sent upstream: the same method, target (path and query, undecoded) and body; every
// header field except the hop-by-hop ones (Connection and the fields it names, Keep-Alive,
// Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade) and those the proxy sets itself (Host,
// Content-Length, Expect); the client's address appended to X-Forwarded-For; and
// `ProxyOptions::marker_header` naming this node, so that the receiving node can tell a forwarded
// request from a client's. Authorization is kept. The request body has already been read whole
// by the server (it is bounded by the server's body limit), so it is sent in one piece.
//
// What comes back: the upstream's status and header fields (hop-by-hop ones and Content-Length
// removed). An answer whose body fits in `buffer_limit` bytes is relayed whole, with a
// Content-Length; a longer one is streamed (BodyStream, sent chunked) as it arrives, with
// back-pressure from the client to the upstream, so memory stays bounded whatever the size. If
// the upstream connection breaks in the middle of a streamed body, the client's response is
// aborted (its connection closes without the final chunk), so it cannot mistake it for whole.
//
// A request is never sent twice: if anything fails after the first byte of a request went out,
// the outcome is reported as `Lost` or `Timeout` (the upstream may have run it) and nothing is
// retried. Failures before any byte was sent are `Unreachable` (it did not run). Connections are
// kept for reuse, but only while they have been idle for less than `max_idle_reuse` (well below
// any server's idle timeout), and never when the peer has already closed them; that leaves only
// a dying upstream as a source of `Lost`.
//
// Threads: forward() returns at once; the exchange runs on the proxy's own pool of blocking
// workers (`threads` of them), so the caller's loop thread never waits on the network.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/worker_pool.hpp"
#include "server/http/client.hpp"
#include "server/http/message.hpp"
#include "server/http/responder.hpp"

namespace orcraft::server::http {

struct ProxyOptions {
    std::chrono::milliseconds connect_timeout{1'000};
    // How long to wait for the upstream's answer to begin, and then for each further piece of it.
    std::chrono::milliseconds response_timeout{60'000};
    std::size_t threads = 16;
    std::size_t max_queued = 1024;  // requests waiting for a worker; beyond it: Overloaded
    std::chrono::milliseconds max_idle_reuse{2'000};
    std::size_t max_idle_connections = 32;
    std::size_t buffer_limit = 1u << 20;
    // Added to every forwarded request: `marker_header: marker_value`.
    std::string marker_header = "X-Orcraft-Forwarded-By";
    std::string marker_value;
};

// Where to forward to: an "http://host:port" base URL (no path).
struct Upstream {
    std::string host;
    std::uint16_t port = 0;
    std::string label;  // "host:port", for messages
};

// Parses "http://host:port" or "http://[v6]:port" (a trailing '/' is accepted). Returns nullopt
// for anything else, https included (the proxy speaks plain HTTP only); `why` says what is wrong.
std::optional<Upstream> parse_upstream(const std::string& base_url, std::string& why);

enum class ProxyFailure {
    Unreachable,  // nothing was sent (connect failed): the request did not run upstream
    Lost,         // the connection broke after the request was sent: it may have run
    Timeout,      // no answer within response_timeout: it may have run or still run
    Overloaded,   // too many requests waiting for a worker (or stopping): not sent
};
const char* to_string(ProxyFailure failure);

// Builds the answer the client gets when an exchange fails before any of the upstream's answer
// was relayed. Called on a worker thread (or the caller's, for Overloaded).
using FailureResponder =
    std::function<Response(ProxyFailure, const Upstream&, const std::string& detail)>;

class ReverseProxy {
  public:
    explicit ReverseProxy(ProxyOptions options);
    // Calls stop().
    ~ReverseProxy();
    ReverseProxy(const ReverseProxy&) = delete;
    ReverseProxy& operator=(const ReverseProxy&) = delete;

    // Relays `request` to `upstream` and answers through `responder` (with `on_failure`'s answer
    // when the exchange fails). Never blocks.
    void forward(Request request, Responder responder, Upstream upstream,
                 FailureResponder on_failure);

    // Requests still waiting for a worker are answered Overloaded; exchanges in progress finish
    // (bounded by the timeouts); the workers are joined. Idempotent.
    void stop();

    // Exchanges started since the start, and those that failed (any ProxyFailure).
    std::uint64_t forwarded() const;
    std::uint64_t failed() const;

  private:
    struct Idle {
        std::string label;
        TcpStream stream;
        std::chrono::steady_clock::time_point since;
    };

    void exchange(const Request& request, const Responder& responder, const Upstream& upstream,
                  const FailureResponder& on_failure);
    // A kept connection to `upstream` fit for reuse, or a closed stream.
    TcpStream take_idle(const Upstream& upstream);
    void keep_idle(const Upstream& upstream, TcpStream stream);
    void fail(const Responder& responder, const FailureResponder& on_failure, ProxyFailure failure,
              const Upstream& upstream, const std::string& detail);

    ProxyOptions options_;
    std::mutex idle_mutex_;
    std::vector<Idle> idle_;  // guarded by idle_mutex_
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> forwarded_{0};
    std::atomic<std::uint64_t> failed_{0};
    backend::WorkerPool workers_;
};

// The request text forward() sends for `request` (exposed for tests): request line, filtered and
// added header fields, Content-Length and the body.
std::string proxied_request_text(const Request& request, const Upstream& upstream,
                                 const ProxyOptions& options);

// True for header fields a proxy must not pass on (see the file comment); `connection_tokens`
// are the field names listed in the message's Connection header, lower case.
bool is_hop_by_hop(std::string_view name, const std::vector<std::string>& connection_tokens);

}  // namespace orcraft::server::http
