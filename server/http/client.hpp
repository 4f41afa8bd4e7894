#pragma once
// A small blocking HTTP/1.1 client over plain sockets, for the leader proxy and for tests.
//
// TcpStream is one TCP connection with deadlines on every operation. read_response() reads exactly
// one response from it (Content-Length, chunked, or until the server closes), leaving any bytes
// that follow in the stream for the next call, so pipelined responses can be read one by one.
// HttpClient sends one request at a time over a kept connection and reconnects when the server
// has closed it; it resends a request only when its method is idempotent (GET, HEAD, OPTIONS), so
// a POST is never run twice (the leader proxy uses TcpStream and read_response_streaming()
// directly and never resends). All failures throw ClientError with a message naming the address and
// the step
// ("connect 127.0.0.1:3000: Connection refused", "127.0.0.1:3000: no response within 30000 ms").
// Nothing here is thread-safe: use one object per thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "server/http/headers.hpp"

namespace orcraft::server::http {

class ClientError : public std::runtime_error {
  public:
    // Timeout: a deadline passed. Closed: the peer closed or reset the connection. Other: connect
    // failures, malformed responses.
    enum class Kind { Timeout, Closed, Other };
    ClientError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    Kind kind() const { return kind_; }

  private:
    Kind kind_;
};

struct ClientResponse {
    int status = 0;
    Headers headers;
    std::string body;
    int version_minor = 1;
    // Whether the server left the connection open for another request.
    bool keep_alive = false;
};

class TcpStream {
  public:
    // Connects to host:port (an IP literal or a name), giving up after `timeout`.
    static TcpStream connect(const std::string& host, std::uint16_t port,
                             std::chrono::milliseconds timeout);

    TcpStream() = default;
    ~TcpStream();
    TcpStream(TcpStream&& other) noexcept;
    TcpStream& operator=(TcpStream&& other) noexcept;
    TcpStream(const TcpStream&) = delete;
    TcpStream& operator=(const TcpStream&) = delete;

    bool is_open() const { return fd_ >= 0; }
    // "127.0.0.1:3000", for messages.
    const std::string& peer() const { return peer_; }
    std::uint16_t local_port() const;

    // Sends every byte or throws (timeout, reset).
    void send_all(std::string_view data, std::chrono::milliseconds timeout);
    // Reads what is available, waiting at most `timeout`; returns 0 at end of stream. Bytes left
    // over by read_response() are returned first.
    std::size_t read_some(char* out, std::size_t size, std::chrono::milliseconds timeout);
    // Reads until the peer closes (or `timeout` passes) and returns everything read.
    std::string read_to_end(std::chrono::milliseconds timeout);
    // Half-closes: the peer sees end of stream, reading still works.
    void shutdown_write();
    void close();
    // Closes with a TCP reset instead of an orderly close (tests of abrupt clients).
    void reset();

    // True when the peer has closed the connection or sent something unasked (a kept connection
    // that must not be reused). Does not block.
    bool stale();

    // Puts bytes back in front of the stream (used by read_response()).
    void unread(std::string_view bytes) { pending_.insert(0, bytes); }

  private:
    int fd_ = -1;
    std::string peer_;
    std::string pending_;
};

// Reads one response from `stream`. `head_request` tells that the request was HEAD, so the
// response has no body whatever its Content-Length says. Throws ClientError on timeout, on a
// malformed response, or when the stream ends before a whole response arrived.
ClientResponse read_response(TcpStream& stream, std::chrono::milliseconds timeout,
                             bool head_request = false);

// The status line and header fields of a response, for read_response_streaming().
struct ResponseHead {
    int status = 0;
    Headers headers;
    int version_minor = 1;
};

// Reads one response like read_response(), but hands the body over in pieces as it arrives
// instead of collecting it: `on_head` once the status and headers are complete (interim 1xx
// answers are skipped), then `on_body` for each piece of the decoded (de-chunked) body. `timeout`
// bounds the wait for the head, and then every wait for more body bytes, so a long body that
// keeps flowing is never cut. Either callback may return false to give up: the function then
// returns nullopt at once and the stream must be closed, since the rest of the response is still
// in it. Otherwise it returns whether the server keeps the connection open. Throws ClientError
// like read_response().
std::optional<bool> read_response_streaming(TcpStream& stream, std::chrono::milliseconds timeout,
                                            bool head_request,
                                            const std::function<bool(const ResponseHead&)>& on_head,
                                            const std::function<bool(std::string_view)>& on_body);

struct ClientOptions {
    std::chrono::milliseconds connect_timeout{2'000};
    std::chrono::milliseconds response_timeout{30'000};
};

class HttpClient {
  public:
    HttpClient(std::string host, std::uint16_t port, ClientOptions options = {});

    // Sends one request and returns the response. Adds Host and, when there is a body or the method
    // is POST/PUT/PATCH, Content-Length; other headers are sent as given. The connection is reused
    // for the next request when the server keeps it; a reused connection that turns out to be
    // closed before any response byte arrives is reopened and a GET, HEAD or OPTIONS request sent
    // once more (any other method throws: the server may have run it).
    ClientResponse request(std::string_view method, std::string_view target,
                           const Headers& headers = {}, std::string_view body = {});
    ClientResponse get(std::string_view target) { return request("GET", target); }
    ClientResponse post(std::string_view target, std::string_view body,
                        std::string_view content_type = "application/json");

    // Whether a connection is currently open, and its local port (tests use it to see reuse).
    bool connected() const { return stream_.is_open(); }
    std::uint16_t local_port() const { return stream_.local_port(); }
    void close() { stream_.close(); }

  private:
    std::string host_;
    std::uint16_t port_;
    ClientOptions options_;
    TcpStream stream_;
};

}  // namespace orcraft::server::http
