#include <spdlog/spdlog.h>

#include <algorithm>

#include "raft/transport/address.hpp"
#include "raft/transport/transport_impl.hpp"

namespace orcraft::raft::transport_detail {

namespace {
// Write buffers above this size are released after use instead of being kept for reuse.
constexpr std::size_t kKeepBufferBytes = 4 * 1024 * 1024;
// Read size for the (tiny) handshake answers a dialler receives.
constexpr std::size_t kDialReadBytes = 1024;

void release_if_large(std::string& s) {
    if (s.capacity() > kKeepBufferBytes) std::string().swap(s);
}
}  // namespace

// One TCP connection attempt. It outlives the Dialer when closed late (libuv calls back after
// uv_close), so it carries everything its callbacks need; `owner` is null once abandoned.
struct Dialer::Socket {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    std::string inflight;  // the bytes of the write in flight
    wire::FrameDecoder decoder{wire::kMaxHandshakeFrameBytes};
    Dialer* owner = nullptr;
    TransportImpl* transport = nullptr;
    bool writing = false;
};

// A name resolution on the libuv thread pool; `owner` is null once abandoned.
struct Dialer::Resolve {
    uv_getaddrinfo_t req;
    Dialer* owner = nullptr;
    TransportImpl* transport = nullptr;
};

Dialer::Dialer(TransportImpl& t, PeerAddress peer, wire::Channel channel)
    : t_(t), peer_(std::move(peer)), channel_(channel), backoff_ms_(t.options().reconnect_min_ms) {
    uv_timer_init(t_.loop(), &timer_);
    timer_.data = this;
    t_.handle_opened();
}

std::string Dialer::name() const {
    return fmt::format("{}: {} connection to node {} ({})", t_.log_name(),
                       wire::to_string(channel_), peer_.id, peer_.identity);
}

bool Dialer::enqueue(const Message& m) {
    if (retired_ || state_ == State::kBackoff) return false;
    const auto& opts = t_.options();
    const std::size_t queued =
        pending_.size() + (socket_ != nullptr ? socket_->inflight.size() : 0);
    // Appends and snapshot chunks are what can pile up; Raft sends them again. The small control
    // messages (heartbeats, votes, responses) get extra room so that they still pass.
    const bool bulk = m.type == MessageType::kAppend || m.type == MessageType::kSnapshot;
    if (queued >= (bulk ? opts.max_queue_bytes : 2 * opts.max_queue_bytes)) {
        spdlog::debug("{}: queue full ({} bytes), dropped {}", name(), queued, to_string(m.type));
        return false;
    }
    const std::size_t before = pending_.size();
    const std::size_t n = wire::append_message_frame(pending_, m);
    if (n - wire::kHeaderBytes > opts.max_frame_bytes) {
        pending_.resize(before);
        spdlog::error("{}: dropped {} of {} bytes: above the frame limit of {} bytes", name(),
                      to_string(m.type), n, opts.max_frame_bytes);
        return false;
    }
    ++pending_frames_;
    if (state_ == State::kIdle) {
        dial();
    } else if (state_ == State::kReady) {
        t_.mark_dirty(this);
    }
    return true;
}

void Dialer::dial() {
    state_ = State::kResolving;
    uv_timer_start(
        &timer_, [](uv_timer_t* h) { static_cast<Dialer*>(h->data)->on_timer(); },
        static_cast<std::uint64_t>(std::max(1, t_.options().connect_timeout_ms)), 0);
    // The host is resolved again on every dial, so that a peer that moved is still reached.
    if (const auto ip = parse_ip(peer_.host, peer_.port)) {
        connect_to(reinterpret_cast<const sockaddr*>(&*ip));
        return;
    }
    resolve_ = new Resolve;
    resolve_->owner = this;
    resolve_->transport = &t_;
    resolve_->req.data = resolve_;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    const std::string port = std::to_string(peer_.port);
    t_.handle_opened();
    const int r = uv_getaddrinfo(
        t_.loop(), &resolve_->req,
        [](uv_getaddrinfo_t* req, int status, addrinfo* res) {
            auto* rs = static_cast<Resolve*>(req->data);
            TransportImpl* t = rs->transport;
            if (rs->owner != nullptr) {
                rs->owner->resolve_ = nullptr;
                rs->owner->on_resolved(status, res);
            }
            uv_freeaddrinfo(res);
            delete rs;
            t->handle_closed();
        },
        peer_.host.c_str(), port.c_str(), &hints);
    if (r < 0) {
        delete resolve_;
        resolve_ = nullptr;
        t_.handle_closed();
        fail(fmt::format("cannot resolve {}: {}", peer_.host, uv_strerror(r)));
    }
}

void Dialer::on_resolved(int status, addrinfo* res) {
    if (status < 0 || res == nullptr) {
        fail(fmt::format("cannot resolve {}: {}", peer_.host, uv_strerror(status)));
        return;
    }
    // A name may resolve to both families ("localhost": 127.0.0.1 and ::1): prefer the family
    // this node listens on, else IPv4.
    const auto& source = t_.source_address();
    const int family = source ? source->ss_family : AF_INET;
    const addrinfo* pick = res;
    for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family == family) {
            pick = ai;
            break;
        }
    }
    connect_to(pick->ai_addr);
}

void Dialer::connect_to(const sockaddr* addr) {
    state_ = State::kConnecting;
    ++t_.mutable_stats().dials;
    socket_ = new Socket;
    socket_->owner = this;
    socket_->transport = &t_;
    uv_tcp_init(t_.loop(), &socket_->tcp);
    socket_->tcp.data = socket_;
    socket_->connect_req.data = socket_;
    socket_->write_req.data = socket_;
    t_.handle_opened();
    int r = 0;
    const auto& source = t_.source_address();
    if (source && source->ss_family == addr->sa_family) {
        r = uv_tcp_bind(&socket_->tcp, reinterpret_cast<const sockaddr*>(&*source), 0);
    }
    if (r == 0) {
        r = uv_tcp_connect(&socket_->connect_req, &socket_->tcp, addr,
                           [](uv_connect_t* req, int status) {
                               auto* s = static_cast<Socket*>(req->data);
                               if (s->owner != nullptr) s->owner->on_connected(status);
                           });
    }
    if (r < 0) fail(fmt::format("connect to {}: {}", ip_text(addr), uv_strerror(r)));
}

void Dialer::on_connected(int status) {
    if (status < 0) {
        fail(fmt::format("connect: {}", uv_strerror(status)));
        return;
    }
    state_ = State::kHandshaking;
    tune_socket(&socket_->tcp, t_.options().stall_timeout_ms);
    int r = uv_read_start(
        reinterpret_cast<uv_stream_t*>(&socket_->tcp),
        [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
            auto* s = static_cast<Socket*>(h->data);
            std::size_t available = 0;
            char* p = s->decoder.prepare(kDialReadBytes, available);
            *buf = uv_buf_init(p, static_cast<unsigned>(std::min<std::size_t>(available, 1 << 20)));
        },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
            auto* s = static_cast<Socket*>(stream->data);
            if (s->owner != nullptr) s->owner->on_read(nread);
        });
    if (r == 0) {
        socket_->inflight.clear();
        wire::append_hello_frame(socket_->inflight, t_.hello(channel_));
        uv_buf_t buf =
            uv_buf_init(socket_->inflight.data(), static_cast<unsigned>(socket_->inflight.size()));
        r = uv_write(&socket_->write_req, reinterpret_cast<uv_stream_t*>(&socket_->tcp), &buf, 1,
                     [](uv_write_t* req, int st) {
                         auto* s = static_cast<Socket*>(req->data);
                         s->writing = false;
                         if (s->owner != nullptr) s->owner->on_written(st);
                     });
        if (r == 0) socket_->writing = true;
    }
    if (r < 0) fail(fmt::format("starting the handshake: {}", uv_strerror(r)));
}

void Dialer::on_read(ssize_t nread) {
    if (nread < 0) {
        fail(nread == UV_EOF ? std::string("closed by the peer")
                             : fmt::format("read: {}", uv_strerror(static_cast<int>(nread))));
        return;
    }
    Socket* s = socket_;
    s->decoder.commit(static_cast<std::size_t>(nread));
    wire::Frame frame;
    for (;;) {
        const auto status = s->decoder.next(frame);
        if (status == wire::FrameDecoder::Status::kNeedMore) return;
        if (status == wire::FrameDecoder::Status::kError) {
            fail("bad frame from the peer: " + s->decoder.error());
            return;
        }
        on_frame(frame);
        if (retired_ || socket_ != s) return;
    }
}

void Dialer::on_frame(const wire::Frame& frame) {
    std::string error;
    if (state_ == State::kHandshaking && frame.type == wire::FrameType::kWelcome) {
        wire::Welcome w;
        if (!wire::decode_welcome(frame.payload, w, error)) {
            fail("bad welcome: " + error);
            return;
        }
        if (w.id != peer_.id) {
            fail(fmt::format("answered by node {} ({}) instead", w.id, w.identity));
            return;
        }
        state_ = State::kReady;
        uv_timer_stop(&timer_);
        backoff_ms_ = t_.options().reconnect_min_ms;
        if (failures_ > 0) {
            spdlog::info("{}: connected after {} failed attempts", name(), failures_);
        } else {
            spdlog::info("{}: connected", name());
        }
        failures_ = 0;
        flush();
        if (retired_ || state_ != State::kReady) return;
        PeerInfo info;
        info.id = w.id;
        info.identity = std::move(w.identity);
        info.http_url = std::move(w.http_url);
        t_.peer_seen(info);  // may call back into the transport
        return;
    }
    if (state_ == State::kHandshaking && frame.type == wire::FrameType::kRefusal) {
        wire::Refusal refusal;
        if (!wire::decode_refusal(frame.payload, refusal, error)) {
            fail("bad refusal: " + error);
            return;
        }
        fail("refused by the peer: " + refusal.reason);
        return;
    }
    fail(fmt::format("unexpected frame of type {} from the peer", static_cast<int>(frame.type)));
}

void Dialer::flush() {
    if (state_ != State::kReady || socket_ == nullptr || socket_->writing || pending_.empty()) {
        return;
    }
    auto* stream = reinterpret_cast<uv_stream_t*>(&socket_->tcp);
    uv_buf_t buf = uv_buf_init(pending_.data(), static_cast<unsigned>(pending_.size()));
    // Most flushes fit into the socket buffer at once: no write request, no callback.
    int r = uv_try_write(stream, &buf, 1);
    if (r == UV_EAGAIN) r = 0;
    if (r < 0) {
        fail(fmt::format("write: {}", uv_strerror(r)));
        return;
    }
    auto& stats = t_.mutable_stats();
    stats.frames_sent += pending_frames_;
    stats.bytes_sent += static_cast<std::uint64_t>(r);
    pending_frames_ = 0;
    if (static_cast<std::size_t>(r) == pending_.size()) {
        pending_.clear();
        release_if_large(pending_);
        return;
    }
    socket_->inflight.swap(pending_);
    socket_->inflight.erase(0, static_cast<std::size_t>(r));
    pending_.clear();
    buf = uv_buf_init(socket_->inflight.data(), static_cast<unsigned>(socket_->inflight.size()));
    r = uv_write(&socket_->write_req, stream, &buf, 1, [](uv_write_t* req, int status) {
        auto* s = static_cast<Socket*>(req->data);
        s->writing = false;
        if (s->owner != nullptr) s->owner->on_written(status);
    });
    if (r < 0) {
        fail(fmt::format("write: {}", uv_strerror(r)));
        return;
    }
    socket_->writing = true;
}

void Dialer::on_written(int status) {
    if (status < 0) {
        fail(fmt::format("write: {}", uv_strerror(status)));
        return;
    }
    if (state_ == State::kReady) t_.mutable_stats().bytes_sent += socket_->inflight.size();
    socket_->inflight.clear();
    release_if_large(socket_->inflight);
    flush();
}

void Dialer::on_timer() {
    if (state_ == State::kBackoff) {
        // The next send dials again.
        state_ = State::kIdle;
        return;
    }
    if (state_ != State::kIdle && state_ != State::kReady) {
        fail(fmt::format("no connection and handshake within {} ms",
                         t_.options().connect_timeout_ms));
    }
}

void Dialer::fail(const std::string& why) {
    if (retired_) return;
    ++failures_;
    ++t_.mutable_stats().dial_failures;
    if (failures_ == 1) {
        spdlog::warn("{}: {}; redialling with backoff", name(), why);
    } else {
        spdlog::debug("{}: {} (attempt {})", name(), why, failures_);
    }
    drop_socket();
    drop_pending();
    state_ = State::kBackoff;
    uv_timer_start(
        &timer_, [](uv_timer_t* h) { static_cast<Dialer*>(h->data)->on_timer(); },
        static_cast<std::uint64_t>(std::max(1, backoff_ms_)), 0);
    backoff_ms_ = std::min(backoff_ms_ * 2, std::max(t_.options().reconnect_max_ms, 1));
}

void Dialer::drop_socket() {
    t_.forget_dirty(this);
    if (resolve_ != nullptr) {
        resolve_->owner = nullptr;
        uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_->req));
        resolve_ = nullptr;
    }
    if (socket_ == nullptr) return;
    socket_->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&socket_->tcp), [](uv_handle_t* h) {
        auto* s = static_cast<Socket*>(h->data);
        TransportImpl* t = s->transport;
        delete s;
        t->handle_closed();
    });
    socket_ = nullptr;
}

void Dialer::drop_pending() {
    t_.mutable_stats().messages_dropped += pending_frames_;
    pending_frames_ = 0;
    pending_.clear();
    release_if_large(pending_);
}

void Dialer::retire() {
    if (retired_) return;
    retired_ = true;
    drop_socket();
    drop_pending();
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) {
        auto* d = static_cast<Dialer*>(h->data);
        TransportImpl& t = d->t_;
        delete d;
        t.handle_closed();
    });
}

}  // namespace orcraft::raft::transport_detail
