#include "bench/orcraft_bench/load_thread.hpp"

#include <http_parser.h>
#include <netdb.h>
#include <uv.h>

#include <cstring>
#include <stdexcept>

namespace orcraft::bench {
namespace {

// Pauses before retrying, so that a node that refuses work is not hammered.
constexpr std::uint64_t kReconnectPauseMs = 100;
constexpr std::uint64_t kErrorPauseMs = 10;

}  // namespace

struct LoadThread::Loop {
    uv_loop_t loop{};
    uv_async_t stop_signal{};
    bool stopping = false;
    std::vector<std::unique_ptr<Connection>> connections;
};

struct LoadThread::Connection {
    // Idle: nothing scheduled (only while stopping). PauseThenConnect / PauseThenSend: the timer
    // runs a pause. Connecting / InFlight: the timer runs the request timeout. Closing: waiting for
    // the socket's close callback.
    enum class State { Idle, PauseThenConnect, PauseThenSend, Connecting, InFlight, Closing };

    LoadThread* owner = nullptr;
    ClientCursor cursor;
    std::size_t target = 0;
    State state = State::Idle;
    uv_tcp_t tcp{};
    uv_connect_t connect_req{};
    uv_write_t write_req{};
    uv_timer_t timer{};
    http_parser parser{};
    bool complete = false;
    std::string out;
    std::vector<std::uint64_t> ids;
    std::uint64_t started_ns = 0;
    char buffer[64 * 1024];

    uv_loop_t* loop() { return &owner->loop_->loop; }
    bool stopping() const { return owner->loop_->stopping; }
    std::uint64_t timeout_ms() const {
        return static_cast<std::uint64_t>(owner->options_.timeout_s * 1000);
    }

    void connect() {
        uv_tcp_init(loop(), &tcp);
        tcp.data = this;
        uv_tcp_nodelay(&tcp, 1);
        state = State::Connecting;
        const auto* address = reinterpret_cast<const sockaddr*>(&owner->targets_[target].address);
        int rc = uv_tcp_connect(&connect_req, &tcp, address, &Connection::on_connect);
        uv_timer_start(&timer, &Connection::on_timer, timeout_ms(), 0);
        if (rc < 0) fail(FailureKind::Connect, kReconnectPauseMs, true);
    }

    void send() {
        out.clear();
        ids.clear();
        owner->factory_.next(cursor, owner->targets_[target].url, out, ids);
        http_parser_init(&parser, HTTP_RESPONSE);
        parser.data = this;
        complete = false;
        state = State::InFlight;
        started_ns = uv_hrtime();
        uv_buf_t buf = uv_buf_init(out.data(), static_cast<unsigned>(out.size()));
        uv_timer_start(&timer, &Connection::on_timer, timeout_ms(), 0);
        int rc = uv_write(&write_req, reinterpret_cast<uv_stream_t*>(&tcp), &buf, 1,
                          &Connection::on_write);
        if (rc < 0) fail(FailureKind::Closed, kReconnectPauseMs, true);
    }

    // Closes the socket; once closed, the client reconnects after `pause_ms`.
    void fail(FailureKind kind, std::uint64_t pause_ms, bool next_target) {
        owner->stats_.record_failure(kind);
        close_then_reconnect(pause_ms, next_target);
    }

    void close_then_reconnect(std::uint64_t pause_ms, bool next_target) {
        if (state == State::Closing) return;
        if (next_target) target = (target + 1) % owner->targets_.size();
        uv_timer_stop(&timer);
        state = State::Closing;
        pause_after_close_ms = pause_ms;
        uv_close(reinterpret_cast<uv_handle_t*>(&tcp), &Connection::on_closed);
    }
    std::uint64_t pause_after_close_ms = 0;

    void pause(State then, std::uint64_t ms) {
        state = then;
        uv_timer_start(&timer, &Connection::on_timer, ms, 0);
    }

    void finish() {
        uv_timer_stop(&timer);
        const auto elapsed = uv_hrtime() - started_ns;
        const int status = parser.status_code;
        const bool keep_alive = http_should_keep_alive(&parser) != 0;
        auto& stats = owner->stats_;
        if (status == 200) {
            stats.record_ok(elapsed, ids.size());
            owner->acknowledged_.insert(owner->acknowledged_.end(), ids.begin(), ids.end());
            if (keep_alive) return send();
            return close_then_reconnect(0, false);
        }
        stats.record_status(status);
        const bool move_on = status >= 500 && owner->targets_.size() > 1;
        if (keep_alive && !move_on) return pause(State::PauseThenSend, kErrorPauseMs);
        close_then_reconnect(kErrorPauseMs, move_on);
    }

    static Connection* of(void* data) { return static_cast<Connection*>(data); }

    static void on_connect(uv_connect_t* req, int status) {
        auto* c = of(req->handle->data);
        if (c->state != State::Connecting || c->stopping()) return;
        if (status < 0) return c->fail(FailureKind::Connect, kReconnectPauseMs, true);
        uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), &Connection::on_alloc,
                      &Connection::on_read);
        c->send();
    }

    static void on_write(uv_write_t* req, int status) {
        auto* c = of(req->handle->data);
        if (status < 0 && c->state == State::InFlight && !c->stopping())
            c->fail(FailureKind::Closed, kReconnectPauseMs, true);
    }

    static void on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
        auto* c = of(handle->data);
        *buf = uv_buf_init(c->buffer, sizeof(c->buffer));
    }

    static int on_message_complete(http_parser* parser) {
        of(parser->data)->complete = true;
        return 0;
    }

    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        auto* c = of(stream->data);
        if (c->state == State::Closing || c->stopping() || nread == 0) return;
        if (nread < 0) {
            if (c->state == State::InFlight) {
                // An answer delimited by the end of the stream completes here.
                http_parser_execute(&c->parser, &kSettings, nullptr, 0);
                if (c->complete) return c->finish();
                return c->fail(FailureKind::Closed, kReconnectPauseMs, true);
            }
            return c->close_then_reconnect(0, false);  // the server closed an idle connection
        }
        if (c->state != State::InFlight) {
            return c->fail(FailureKind::Protocol, kReconnectPauseMs, false);  // bytes unasked
        }
        const auto n = static_cast<std::size_t>(nread);
        const auto parsed = http_parser_execute(&c->parser, &kSettings, buf->base, n);
        if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || parsed != n) {
            return c->fail(FailureKind::Protocol, kReconnectPauseMs, false);
        }
        if (c->complete) c->finish();
    }

    static void on_timer(uv_timer_t* timer) {
        auto* c = of(timer->data);
        if (c->stopping()) return;
        switch (c->state) {
            case State::PauseThenConnect:
                return c->connect();
            case State::PauseThenSend:
                return c->send();
            case State::Connecting:
            case State::InFlight:
                return c->fail(FailureKind::Timeout, kErrorPauseMs, true);
            default:
                return;
        }
    }

    static void on_closed(uv_handle_t* handle) {
        auto* c = of(handle->data);
        if (c->stopping()) {
            c->state = State::Idle;
            return;
        }
        c->pause(State::PauseThenConnect, c->pause_after_close_ms);
    }

    static inline http_parser_settings kSettings = [] {
        http_parser_settings s;
        http_parser_settings_init(&s);
        s.on_message_complete = &Connection::on_message_complete;
        return s;
    }();
};

LoadThread::LoadThread(const Options& options, const RequestFactory& factory,
                       const std::vector<ResolvedTarget>& targets,
                       std::vector<std::uint32_t> clients)
    : options_(options), factory_(factory), targets_(targets), clients_(std::move(clients)) {}

LoadThread::~LoadThread() {
    stop();
}

void LoadThread::start() {
    loop_ = std::make_unique<Loop>();
    uv_loop_init(&loop_->loop);
    loop_->stop_signal.data = this;
    uv_async_init(&loop_->loop, &loop_->stop_signal, [](uv_async_t* async) {
        auto* self = static_cast<LoadThread*>(async->data);
        self->loop_->stopping = true;
        for (auto& c : self->loop_->connections) {
            uv_close(reinterpret_cast<uv_handle_t*>(&c->timer), nullptr);
            if (c->state != Connection::State::Closing && c->state != Connection::State::Idle &&
                c->state != Connection::State::PauseThenConnect) {
                uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), nullptr);
            }
        }
        uv_close(reinterpret_cast<uv_handle_t*>(async), nullptr);
    });
    for (auto client : clients_) {
        auto c = std::make_unique<Connection>();
        c->owner = this;
        c->cursor = factory_.cursor(client);
        c->target = client % targets_.size();
        uv_timer_init(&loop_->loop, &c->timer);
        c->timer.data = c.get();
        loop_->connections.push_back(std::move(c));
    }
    thread_ = std::thread([this] { run(); });
}

void LoadThread::run() {
    for (auto& c : loop_->connections)
        c->connect();
    uv_run(&loop_->loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop_->loop);
}

void LoadThread::stop() {
    if (!thread_.joinable()) return;
    uv_async_send(&loop_->stop_signal);
    thread_.join();
}

std::vector<ResolvedTarget> resolve(const std::vector<TargetUrl>& urls) {
    std::vector<ResolvedTarget> out;
    for (const auto& url : urls) {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* result = nullptr;
        const auto port = std::to_string(url.port);
        int rc = getaddrinfo(url.host.c_str(), port.c_str(), &hints, &result);
        if (rc != 0 || !result)
            throw std::runtime_error("cannot resolve " + url.text + ": " + gai_strerror(rc));
        ResolvedTarget t;
        t.url = url;
        std::memcpy(&t.address, result->ai_addr, result->ai_addrlen);
        freeaddrinfo(result);
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace orcraft::bench
