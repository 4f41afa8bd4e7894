#pragma once
// Internal to the server: one accepted client connection, driven by the loop thread.
//
// The connection parses requests with http-parser into a queue, hands them to the handler one at a
// time, writes each answer in order and decides after each answer whether to keep the connection.
// A single timer enforces whichever limit applies in the current state (first byte, header, body,
// idle, write or linger). The object deletes itself once both of its libuv handles are closed;
// the core's connection table forgets it when close() starts, so late responses find nothing.

#include <http_parser.h>
#include <uv.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "server/http/body_stream.hpp"
#include "server/http/server_core.hpp"

namespace orcraft::server::http {

class Connection {
  public:
    Connection(HttpServer::Core& core, std::uint64_t id);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Accepts from `listener`; returns false when that failed (the connection then closes itself
    // and must not be registered).
    bool start(uv_stream_t* listener);

    // The handler's answer to the request with sequence number `seq`.
    void deliver(std::uint64_t seq, Response response);

    // The body stream of the answer to request `seq` has something to send.
    void on_stream_ready(std::uint64_t seq);

    // The server is stopping: close now when nothing is in progress.
    void on_drain();

    // Closes at once, dropping whatever is in progress.
    void close();

  private:
    enum class Phase { Idle, Headers, Body };
    enum class TimerKind { None, FirstByte, Header, Body, Idle, Write, Linger };

    // What is needed to answer a request, with the request itself until it is dispatched.
    struct Pending {
        std::uint64_t seq = 0;
        std::optional<Request> request;
        std::optional<Response> refusal;  // the server answers this one itself, then closes
        bool head = false;
        bool keep_alive = false;
        int version_minor = 1;
    };

    struct WriteRequest {
        uv_write_t req;
        std::string data;
        Connection* connection;
    };

    static const http_parser_settings kSettings;
    static int on_message_begin(http_parser* p);
    static int on_url(http_parser* p, const char* at, std::size_t len);
    static int on_header_field(http_parser* p, const char* at, std::size_t len);
    static int on_header_value(http_parser* p, const char* at, std::size_t len);
    static int on_headers_complete(http_parser* p);
    static int on_body(http_parser* p, const char* at, std::size_t len);
    static int on_message_complete(http_parser* p);

    int count_header_bytes(std::size_t len);
    void commit_header_field();
    int refuse(int status, std::string message);

    void on_read(ssize_t nread, const uv_buf_t* buf);
    void feed(const char* data, std::size_t len);
    void pump();
    void maybe_send_continue();
    // Writes the answer; returns true when it started streaming a body (the request then stays in
    // flight until the stream ends).
    bool send(const Pending& meta, const Response& response, bool force_close);
    void pull_stream();
    void end_stream();
    void write(std::string data);
    void on_write_done(int status);
    void begin_linger();
    void update_reading();
    void arm_timer();
    void on_timer();
    void handle_closed();

    HttpServer::Core& core_;
    const std::uint64_t id_;
    uv_tcp_t tcp_{};
    uv_timer_t timer_{};
    uv_shutdown_t shutdown_req_{};
    int open_handles_ = 0;
    std::string remote_ip_;
    std::uint16_t remote_port_ = 0;

    http_parser parser_{};
    Phase phase_ = Phase::Idle;
    Request current_;
    std::string field_;
    std::string value_;
    bool in_value_ = false;
    std::size_t header_bytes_ = 0;
    std::uint64_t started_ms_ = 0;
    std::uint64_t headers_done_ms_ = 0;
    bool expect_continue_ = false;
    std::optional<Response> parse_refusal_;
    std::uint64_t requests_seen_ = 0;
    bool parse_dead_ = false;  // no further request will be read from this connection

    std::deque<Pending> queue_;
    bool in_flight_ = false;
    Pending in_flight_meta_;
    std::uint64_t next_seq_ = 1;

    std::size_t writes_pending_ = 0;
    bool close_after_write_ = false;
    bool lingering_ = false;
    std::size_t lingered_bytes_ = 0;
    bool read_eof_ = false;
    bool reading_ = false;
    bool closing_ = false;
    TimerKind timer_kind_ = TimerKind::None;

    std::shared_ptr<BodyStream> stream_;  // the body being streamed, if any
    bool stream_chunked_ = false;
    bool stream_close_ = false;  // close once the stream has ended
};

}  // namespace orcraft::server::http
