#pragma once
// An HTTP/1.1 server on one libuv loop thread.
//
// The server owns a libuv loop running on a thread of its own, started by the constructor. All
// socket work happens there. For every complete request it calls the handler on that thread; the
// handler must not block: it answers at once through its Responder or hands the work to another
// thread (see backend/worker_pool.hpp) that answers later.
//
// What the server guarantees, whatever the client sends:
//  - Keep-alive and pipelining: requests on one connection are handed to the handler one at a
//    time, in order, and answered in that order. Pipelined requests wait in the connection; reading
//    pauses when `max_pipelined` of them are waiting.
//  - HTTP/1.0 closes after each answer unless the client asked for keep-alive; HTTP/1.1 keeps the
//    connection unless the client or the handler said "Connection: close".
//  - "Expect: 100-continue" is answered with "100 Continue" when the request becomes the one being
//    read and its announced length is within the limit, and with 413 at once otherwise.
//  - Chunked request bodies are decoded; Request::body is always the plain body.
//  - A body over `max_body_bytes` gets 413, a header block over `max_header_bytes` 431, a
//    malformed request 400, a header block that does not arrive within `header_timeout` or a body
//    that does not arrive within `body_timeout` 408. Each of these answers has a JSON body
//    {"error": ...} and "Connection: close", and the server then closes that connection only
//    (after reading and discarding, for at most `linger_timeout`, what the client still sends, so
//    that the client gets to read the answer instead of a reset).
//  - A client that closes its sending side is taken as gone: the connection closes at once and
//    the answers to its requests still in the handler's hands are dropped.
//  - A new connection that sends nothing within `header_timeout`, or a kept one with nothing to do
//    for `idle_timeout`, is closed without an answer. One whose answer the client does not take
//    within `write_timeout` is closed. While more than 1 MiB of answers wait for the client to
//    read them, no further pipelined request is dispatched (and reading stops once
//    `max_pipelined` requests wait), so a client that sends without reading is pushed back.
//  - Streamed bodies (Response::stream, see body_stream.hpp) are sent chunked, or delimited by the
//    close for HTTP/1.0 clients.
//  - Every response carries Content-Length, Content-Type (application/json unless the handler set
//    another), and "Connection: close" when the server closes afterwards. HEAD responses carry the
//    headers of the corresponding GET without the body.
//
// stop() is graceful: it stops accepting, closes idle connections, lets requests in flight finish
// (each answered with "Connection: close") for at most `drain_timeout`, then closes the rest and
// joins the loop thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "server/http/message.hpp"
#include "server/http/responder.hpp"

namespace orcraft::server::http {

// Called on the loop thread for every complete request; must not block.
using Handler = std::function<void(Request, Responder)>;

struct ServerOptions {
    std::size_t max_body_bytes = 64u << 20;
    std::size_t max_header_bytes = 64u << 10;          // request line and header fields together
    std::chrono::milliseconds header_timeout{10'000};  // from the first byte of a request
    std::chrono::milliseconds body_timeout{60'000};    // whole body, from the end of the headers
    std::chrono::milliseconds idle_timeout{60'000};    // between requests on a kept connection
    std::chrono::milliseconds write_timeout{60'000};   // for the client to take an answer
    std::chrono::milliseconds linger_timeout{2'000};   // reading leftovers before a close
    std::chrono::milliseconds drain_timeout{10'000};   // stop(): longest wait for requests
    std::size_t max_pipelined = 16;                    // complete requests waiting per connection
    int listen_backlog = 511;
};

// A bound address: "127.0.0.1" or "::1", and a port.
struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    // "127.0.0.1:3000" or "[::1]:3000".
    std::string to_string() const;
};

// Thrown by listen(); what() reads "listen 127.0.0.1:3000: address already in use".
class ListenError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class HttpServer {
  public:
    // Starts the loop thread; nothing listens until listen() is called.
    HttpServer(ServerOptions options, Handler handler);
    // Calls stop(). Must not run on the loop thread.
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and listens on host:port and returns the bound address (port 0 picks a free port).
    // `host` is an IPv4 or IPv6 literal or a name resolved to its first address; an empty host,
    // as in ListenAddress ":3000", means every IPv4 address (0.0.0.0). May be called several times
    // for several addresses. Throws ListenError naming the address on failure, or after stop().
    Endpoint listen(const std::string& host, std::uint16_t port);

    // Graceful stop as described above; blocks until the loop thread has ended. Idempotent; may be
    // called from any thread. Called on the loop thread (from a handler) it only starts the stop
    // and returns; the destructor then joins.
    void stop();

    // Addresses listened on so far.
    std::vector<Endpoint> endpoints() const;

    // Connections currently open, and requests received since the start (complete requests
    // handed to the handler plus requests refused by the server itself). Cheap atomic reads.
    std::uint64_t open_connections() const;
    std::uint64_t total_requests() const;

    struct Core;  // loop-thread state, defined in server.cpp

  private:
    std::shared_ptr<Core> core_;
    std::mutex join_mutex_;
    std::thread thread_;
};

}  // namespace orcraft::server::http
