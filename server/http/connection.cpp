#include "server/http/connection.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <cstdio>

namespace orcraft::server::http {

namespace {

// Bytes read and thrown away while lingering before a close; beyond this the client is not
// reading our answer anyway.
constexpr std::size_t kMaxLingerBytes = 4u << 20;

// Answers waiting for the client to read them, beyond which no further pipelined request is
// dispatched: a client that sends without reading is pushed back through TCP instead of making
// the server buffer answers without bound.
constexpr std::size_t kMaxBufferedOutput = 1u << 20;

Connection* self(http_parser* p) {
    return static_cast<Connection*>(p->data);
}

std::string ip_of(const sockaddr_storage& ss, std::uint16_t& port) {
    char buf[INET6_ADDRSTRLEN] = {0};
    if (ss.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
        uv_ip6_name(a, buf, sizeof buf);
        port = ntohs(a->sin6_port);
    } else if (ss.ss_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
        uv_ip4_name(a, buf, sizeof buf);
        port = ntohs(a->sin_port);
    }
    return buf;
}

bool bodiless_status(int status) {
    return (status >= 100 && status < 200) || status == 204 || status == 304;
}

}  // namespace

const http_parser_settings Connection::kSettings = [] {
    http_parser_settings s{};
    s.on_message_begin = &Connection::on_message_begin;
    s.on_url = &Connection::on_url;
    s.on_header_field = &Connection::on_header_field;
    s.on_header_value = &Connection::on_header_value;
    s.on_headers_complete = &Connection::on_headers_complete;
    s.on_body = &Connection::on_body;
    s.on_message_complete = &Connection::on_message_complete;
    return s;
}();

Connection::Connection(HttpServer::Core& core, std::uint64_t id) : core_(core), id_(id) {}

bool Connection::start(uv_stream_t* listener) {
    uv_tcp_init(&core_.loop, &tcp_);
    uv_timer_init(&core_.loop, &timer_);
    tcp_.data = this;
    timer_.data = this;
    open_handles_ = 2;
    if (int rc = uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)); rc != 0) {
        spdlog::warn("http: accept failed: {}", uv_strerror(rc));
        closing_ = true;
        auto on_close = [](uv_handle_t* h) { static_cast<Connection*>(h->data)->handle_closed(); };
        uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_close);
        uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_close);
        return false;
    }
    uv_tcp_nodelay(&tcp_, 1);
    sockaddr_storage peer{};
    int len = sizeof peer;
    if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&peer), &len) == 0) {
        remote_ip_ = ip_of(peer, remote_port_);
    }
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
    update_reading();
    arm_timer();
    return true;
}

// ---- parsing ------------------------------------------------------------------------------

int Connection::on_message_begin(http_parser* p) {
    Connection* c = self(p);
    c->phase_ = Phase::Headers;
    c->current_ = Request{};
    c->field_.clear();
    c->value_.clear();
    c->in_value_ = false;
    c->header_bytes_ = 0;
    c->expect_continue_ = false;
    c->started_ms_ = uv_now(&c->core_.loop);
    if (!c->in_flight_ && c->queue_.empty()) c->arm_timer();
    return 0;
}

int Connection::count_header_bytes(std::size_t len) {
    header_bytes_ += len;
    if (header_bytes_ > core_.options.max_header_bytes) {
        return refuse(431, "request header is larger than " +
                               std::to_string(core_.options.max_header_bytes) + " bytes");
    }
    return 0;
}

int Connection::on_url(http_parser* p, const char* at, std::size_t len) {
    Connection* c = self(p);
    if (int rc = c->count_header_bytes(len)) return rc;
    c->current_.target.append(at, len);
    return 0;
}

void Connection::commit_header_field() {
    if (!in_value_ && field_.empty()) return;
    current_.headers.add(std::move(field_), std::move(value_));
    field_.clear();
    value_.clear();
    in_value_ = false;
}

int Connection::on_header_field(http_parser* p, const char* at, std::size_t len) {
    Connection* c = self(p);
    if (int rc = c->count_header_bytes(len)) return rc;
    if (c->in_value_) c->commit_header_field();
    c->field_.append(at, len);
    return 0;
}

int Connection::on_header_value(http_parser* p, const char* at, std::size_t len) {
    Connection* c = self(p);
    if (int rc = c->count_header_bytes(len)) return rc;
    c->in_value_ = true;
    c->value_.append(at, len);
    return 0;
}

int Connection::on_headers_complete(http_parser* p) {
    Connection* c = self(p);
    c->commit_header_field();
    Request& r = c->current_;
    r.method = http_method_str(static_cast<http_method>(p->method));
    r.version_major = p->http_major;
    r.version_minor = p->http_minor;
    r.keep_alive = http_should_keep_alive(p) != 0;
    r.remote_ip = c->remote_ip_;
    r.remote_port = c->remote_port_;

    if (r.version_major != 1) return c->refuse(505, "only HTTP/1.0 and HTTP/1.1 are supported");
    if (r.target == "*") {
        r.path = "*";
    } else {
        http_parser_url url;
        http_parser_url_init(&url);
        if (http_parser_parse_url(r.target.data(), r.target.size(), p->method == HTTP_CONNECT,
                                  &url) != 0) {
            return c->refuse(400, "malformed request target");
        }
        std::string_view raw_path = "/";
        if (url.field_set & (1 << UF_PATH)) {
            raw_path = std::string_view(r.target).substr(url.field_data[UF_PATH].off,
                                                         url.field_data[UF_PATH].len);
        }
        auto path = percent_decode(raw_path, false);
        if (!path) return c->refuse(400, "malformed escape in request path");
        r.path = std::move(*path);
        if (url.field_set & (1 << UF_QUERY)) {
            r.raw_query =
                r.target.substr(url.field_data[UF_QUERY].off, url.field_data[UF_QUERY].len);
            auto query = parse_query(r.raw_query);
            if (!query) return c->refuse(400, "malformed escape in query string");
            r.query = std::move(*query);
        }
    }

    const std::size_t limit = c->core_.options.max_body_bytes;
    if (!(p->flags & F_CHUNKED) && p->content_length != ULLONG_MAX && p->content_length > limit) {
        return c->refuse(413, "request body is larger than " + std::to_string(limit) + " bytes");
    }
    if (r.version_minor >= 1 && r.headers.has_token("Expect", "100-continue")) {
        c->expect_continue_ = true;
    }
    c->phase_ = Phase::Body;
    c->headers_done_ms_ = uv_now(&c->core_.loop);
    if (!c->in_flight_ && c->queue_.empty()) c->arm_timer();
    return 0;
}

int Connection::on_body(http_parser* p, const char* at, std::size_t len) {
    Connection* c = self(p);
    const std::size_t limit = c->core_.options.max_body_bytes;
    if (c->current_.body.size() + len > limit) {
        return c->refuse(413, "request body is larger than " + std::to_string(limit) + " bytes");
    }
    c->current_.body.append(at, len);
    return 0;
}

int Connection::on_message_complete(http_parser* p) {
    Connection* c = self(p);
    Pending item;
    item.seq = c->next_seq_++;
    item.head = p->method == HTTP_HEAD;
    item.keep_alive = c->current_.keep_alive;
    item.version_minor = c->current_.version_minor;
    item.request = std::move(c->current_);
    c->current_ = Request{};
    c->queue_.push_back(std::move(item));
    c->phase_ = Phase::Idle;
    c->expect_continue_ = false;
    ++c->requests_seen_;
    c->core_.total_requests.fetch_add(1, std::memory_order_relaxed);
    // A request that does not keep the connection is the last one read from it; http-parser
    // itself refuses further bytes after it.
    if (!c->queue_.back().keep_alive) c->parse_dead_ = true;
    return 0;
}

int Connection::refuse(int status, std::string message) {
    parse_refusal_ = Response::error(status, message);
    return -1;
}

void Connection::on_read(ssize_t nread, const uv_buf_t* buf) {
    if (closing_) return;
    if (nread == 0) return;
    if (nread < 0) {
        if (nread != UV_EOF) {
            spdlog::debug("http: connection {} from {}:{}: {}", id_, remote_ip_, remote_port_,
                          uv_strerror(static_cast<int>(nread)));
            close();
            return;
        }
        read_eof_ = true;
        if (lingering_) {
            close();
            return;
        }
        if (phase_ != Phase::Idle && !parse_dead_) {
            spdlog::debug("http: connection {} closed by the client in the middle of a request",
                          id_);
        }
        parse_dead_ = true;
        phase_ = Phase::Idle;
        // A client that stops sending is taken as gone, even with requests in flight (their
        // answers are dropped): clients that half-close and still read are rare, and keeping the
        // connection for them would keep every abandoned request's connection. An answer already
        // being written is still finished.
        if (in_flight_ || !queue_.empty() || writes_pending_ == 0) {
            close();
            return;
        }
        update_reading();
        arm_timer();
        return;
    }
    if (lingering_) {
        lingered_bytes_ += static_cast<std::size_t>(nread);
        if (lingered_bytes_ > kMaxLingerBytes) close();
        return;
    }
    if (parse_dead_) return;
    feed(buf->base, static_cast<std::size_t>(nread));
    pump();
}

void Connection::feed(const char* data, std::size_t len) {
    http_parser_execute(&parser_, &kSettings, data, len);
    const auto err = HTTP_PARSER_ERRNO(&parser_);
    if (parse_dead_ && !parse_refusal_) {
        // After the last request of a non-kept connection any further bytes are ignored.
        return;
    }
    if (parse_refusal_ || err != HPE_OK) {
        Pending item;
        item.seq = next_seq_++;
        item.keep_alive = false;
        item.version_minor = 1;
        if (parse_refusal_) {
            item.refusal = std::move(*parse_refusal_);
            parse_refusal_.reset();
        } else if (err == HPE_HEADER_OVERFLOW) {
            item.refusal = Response::error(431, "request header is too large");
        } else {
            item.refusal = Response::error(
                400, std::string("malformed request: ") + http_errno_description(err));
        }
        spdlog::debug("http: connection {} from {}:{}: refusing with {}", id_, remote_ip_,
                      remote_port_, item.refusal->status);
        core_.total_requests.fetch_add(1, std::memory_order_relaxed);
        queue_.push_back(std::move(item));
        parse_dead_ = true;
        phase_ = Phase::Idle;
        return;
    }
    if (parser_.upgrade) {
        // Protocol upgrades (and CONNECT) are not supported: answer the request as plain HTTP,
        // then close, since the bytes after it belong to another protocol.
        if (!queue_.empty()) queue_.back().keep_alive = false;
        parse_dead_ = true;
    }
}

// ---- dispatching and answering ------------------------------------------------------------

void Connection::pump() {
    if (stream_ && !closing_) pull_stream();
    auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
    while (!closing_ && !in_flight_ && !close_after_write_ && !queue_.empty() &&
           uv_stream_get_write_queue_size(stream) < kMaxBufferedOutput) {
        Pending item = std::move(queue_.front());
        queue_.pop_front();
        if (item.refusal) {
            send(item, *item.refusal, true);
            break;
        }
        in_flight_ = true;
        Request request = std::move(*item.request);
        item.request.reset();
        in_flight_meta_ = std::move(item);
        Responder responder = core_.make_responder(id_, in_flight_meta_.seq);
        try {
            core_.handler(std::move(request), responder);
        } catch (const std::exception& e) {
            spdlog::error("http: handler threw: {}", e.what());
            responder.respond(Response::error(500, std::string("internal error: ") + e.what()));
        } catch (...) {
            spdlog::error("http: handler threw a non-standard exception");
            responder.respond(Response::error(500, "internal error"));
        }
    }
    if (closing_) return;
    maybe_send_continue();
    update_reading();
    arm_timer();
}

void Connection::maybe_send_continue() {
    if (!expect_continue_ || phase_ != Phase::Body || in_flight_ || !queue_.empty() ||
        parse_dead_ || close_after_write_) {
        return;
    }
    expect_continue_ = false;
    write("HTTP/1.1 100 Continue\r\n\r\n");
}

void Connection::deliver(std::uint64_t seq, Response response) {
    if (closing_ || !in_flight_ || stream_ || seq != in_flight_meta_.seq) return;
    in_flight_ = false;
    if (send(in_flight_meta_, response, false)) {
        in_flight_ = true;
        std::weak_ptr<HttpServer::Core> weak = core_.weak_from_this();
        const std::uint64_t id = id_;
        stream_->attach([weak, id, seq] {
            auto core = weak.lock();
            if (!core) return;
            HttpServer::Core* raw = core.get();
            core->post([raw, id, seq] { raw->stream_ready(id, seq); });
        });
        arm_timer();
        return;
    }
    pump();
}

void Connection::on_stream_ready(std::uint64_t seq) {
    if (closing_ || !stream_ || seq != in_flight_meta_.seq) return;
    pull_stream();
    if (!closing_) arm_timer();
}

void Connection::pull_stream() {
    auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
    while (stream_ && !closing_ && uv_stream_get_write_queue_size(stream) < kMaxBufferedOutput) {
        BodyStream::Taken t = stream_->take(256u << 10);
        if (!t.data.empty()) {
            if (stream_chunked_) {
                char size[32];
                std::snprintf(size, sizeof size, "%zx\r\n", t.data.size());
                t.data.insert(0, size);
                t.data += "\r\n";
            }
            write(std::move(t.data));
            if (closing_) return;
        }
        if (t.aborted) {
            spdlog::debug("http: connection {}: streamed body aborted by its producer", id_);
            close();
            return;
        }
        if (t.finished) {
            if (stream_chunked_) write("0\r\n\r\n");
            end_stream();
            return;
        }
        if (t.data.empty()) return;  // the producer will signal again
    }
}

void Connection::end_stream() {
    stream_.reset();
    in_flight_ = false;
    if (closing_) return;
    if (stream_close_) {
        close_after_write_ = true;
        parse_dead_ = true;
        queue_.clear();
        if (writes_pending_ == 0) begin_linger();
        return;
    }
    pump();
}

bool Connection::send(const Pending& meta, const Response& response, bool force_close) {
    const bool no_body = bodiless_status(response.status);
    const bool streaming = response.stream && !no_body;
    const bool chunked = streaming && meta.version_minor >= 1;
    // HTTP/1.0 has no chunked coding: the end of a streamed body is the end of the connection.
    const bool close = force_close || !meta.keep_alive || core_.draining ||
                       response.headers.has_token("Connection", "close") ||
                       (read_eof_ && queue_.empty()) || (streaming && !chunked);
    const int status = response.status;
    std::string out;
    out.reserve(256 + (meta.head ? 0 : response.body.size()));
    out += "HTTP/1.1 ";
    out += std::to_string(status);
    out += ' ';
    out += reason_phrase(status);
    out += "\r\n";
    bool has_type = false;
    for (const auto& [name, value] : response.headers) {
        if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
            iequals(name, "Connection")) {
            continue;
        }
        if (iequals(name, "Content-Type")) has_type = true;
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    if (!has_type && !no_body) out += "Content-Type: application/json\r\n";
    if (chunked) {
        out += "Transfer-Encoding: chunked\r\n";
    } else if (streaming) {
        // Close-delimited: no length.
    } else if (status != 204 && !(status >= 100 && status < 200)) {
        out += "Content-Length: ";
        out += std::to_string(no_body ? 0 : response.body.size());
        out += "\r\n";
    }
    if (close) {
        out += "Connection: close\r\n";
    } else if (meta.version_minor == 0) {
        out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
    if (!meta.head && !no_body && !streaming) out += response.body;
    if (streaming && !meta.head) {
        stream_ = response.stream;
        stream_chunked_ = chunked;
        stream_close_ = close;
        write(std::move(out));
        return !closing_;
    }
    // Nobody will read the stream (HEAD, or a status without a body): let its producer stop.
    if (response.stream) response.stream->cancel();
    if (close) {
        close_after_write_ = true;
        parse_dead_ = true;
        queue_.clear();
    }
    write(std::move(out));
    return false;
}

void Connection::write(std::string data) {
    auto* w = new WriteRequest{uv_write_t{}, std::move(data), this};
    uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
                      [](uv_write_t* req, int status) {
                          auto* w = reinterpret_cast<WriteRequest*>(req);
                          Connection* c = w->connection;
                          delete w;
                          c->on_write_done(status);
                      });
    if (rc != 0) {
        delete w;
        close();
        return;
    }
    ++writes_pending_;
    arm_timer();
}

void Connection::on_write_done(int status) {
    --writes_pending_;
    if (closing_) return;
    if (status < 0) {
        spdlog::debug("http: connection {}: write failed: {}", id_, uv_strerror(status));
        close();
        return;
    }
    if (writes_pending_ == 0 && close_after_write_) {
        begin_linger();
        return;
    }
    pump();  // dispatching may have waited for the output to drain
}

void Connection::begin_linger() {
    if (read_eof_) {
        close();
        return;
    }
    // Send FIN, then read and discard until the client closes too: closing with unread input
    // would make the kernel send a reset, which can destroy our answer before the client reads it.
    int rc = uv_shutdown(&shutdown_req_, reinterpret_cast<uv_stream_t*>(&tcp_),
                         [](uv_shutdown_t* req, int status) {
                             auto* c = static_cast<Connection*>(req->handle->data);
                             if (status < 0 && !c->closing_) c->close();
                         });
    if (rc != 0) {
        close();
        return;
    }
    lingering_ = true;
    update_reading();
    arm_timer();
}

void Connection::on_drain() {
    if (!in_flight_ && queue_.empty() && writes_pending_ == 0 && phase_ == Phase::Idle &&
        !lingering_) {
        close();
    }
}

// ---- reading, timers, closing -------------------------------------------------------------

void Connection::update_reading() {
    if (closing_) return;
    const bool want =
        lingering_ || (!parse_dead_ && !read_eof_ && queue_.size() < core_.options.max_pipelined);
    auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
    if (want && !reading_) {
        int rc = uv_read_start(
            stream,
            [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
                auto* c = static_cast<Connection*>(h->data);
                *buf = uv_buf_init(c->core_.read_buffer.data(),
                                   static_cast<unsigned>(c->core_.read_buffer.size()));
            },
            [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
                static_cast<Connection*>(s->data)->on_read(nread, buf);
            });
        if (rc != 0) {
            close();
            return;
        }
        reading_ = true;
    } else if (!want && reading_) {
        uv_read_stop(stream);
        reading_ = false;
    }
}

void Connection::arm_timer() {
    if (closing_) return;
    uv_timer_stop(&timer_);
    timer_kind_ = TimerKind::None;
    const auto& o = core_.options;
    const std::uint64_t now = uv_now(&core_.loop);
    auto remaining = [now](std::uint64_t since, std::chrono::milliseconds limit) -> std::uint64_t {
        const std::uint64_t end = since + static_cast<std::uint64_t>(limit.count());
        return end > now ? end - now : 0;
    };
    std::uint64_t timeout = 0;
    if (lingering_) {
        timer_kind_ = TimerKind::Linger;
        timeout = static_cast<std::uint64_t>(o.linger_timeout.count());
    } else if (writes_pending_ > 0) {
        timer_kind_ = TimerKind::Write;
        timeout = static_cast<std::uint64_t>(o.write_timeout.count());
    } else if (in_flight_ || !queue_.empty() || parse_dead_) {
        // The handler has the time it needs; the server's drain timeout bounds it on stop.
        return;
    } else if (phase_ == Phase::Headers) {
        timer_kind_ = TimerKind::Header;
        timeout = remaining(started_ms_, o.header_timeout);
    } else if (phase_ == Phase::Body) {
        timer_kind_ = TimerKind::Body;
        timeout = remaining(headers_done_ms_, o.body_timeout);
    } else if (core_.draining) {
        close();
        return;
    } else if (requests_seen_ == 0) {
        timer_kind_ = TimerKind::FirstByte;
        timeout = static_cast<std::uint64_t>(o.header_timeout.count());
    } else {
        timer_kind_ = TimerKind::Idle;
        timeout = static_cast<std::uint64_t>(o.idle_timeout.count());
    }
    uv_timer_start(
        &timer_, [](uv_timer_t* t) { static_cast<Connection*>(t->data)->on_timer(); }, timeout, 0);
}

void Connection::on_timer() {
    if (closing_) return;
    switch (timer_kind_) {
        case TimerKind::Header:
        case TimerKind::Body: {
            const bool header = timer_kind_ == TimerKind::Header;
            spdlog::debug("http: connection {} from {}:{}: {} timeout", id_, remote_ip_,
                          remote_port_, header ? "header" : "body");
            Pending meta;
            meta.keep_alive = false;
            parse_dead_ = true;
            phase_ = Phase::Idle;
            core_.total_requests.fetch_add(1, std::memory_order_relaxed);
            send(meta,
                 Response::error(408, header ? "request header not received in time"
                                             : "request body not received in time"),
                 true);
            update_reading();
            return;
        }
        case TimerKind::None:
            return;
        default:
            close();
            return;
    }
}

void Connection::close() {
    if (closing_) return;
    closing_ = true;
    if (stream_) {
        stream_->cancel();
        stream_.reset();
    }
    auto on_close = [](uv_handle_t* h) { static_cast<Connection*>(h->data)->handle_closed(); };
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_close);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_close);
    core_.connection_closed(id_);
}

void Connection::handle_closed() {
    if (--open_handles_ == 0) delete this;
}

}  // namespace orcraft::server::http
