#include <spdlog/spdlog.h>

#include <algorithm>

#include "raft/transport/address.hpp"
#include "raft/transport/transport_impl.hpp"

namespace orcraft::raft::transport_detail {

namespace {
// Bytes asked of the kernel per read; a frame announced larger gets its whole size at once.
constexpr std::size_t kReadBytes = 64 * 1024;
}  // namespace

Inbound::Inbound(TransportImpl& t) : t_(t), decoder_(wire::kMaxHandshakeFrameBytes) {
    uv_tcp_init(t_.loop(), &tcp_);
    uv_timer_init(t_.loop(), &hello_timer_);
    tcp_.data = this;
    hello_timer_.data = this;
    write_req_.data = this;
    t_.handle_opened();
    t_.handle_opened();
    serial_ = t_.next_serial();
}

std::string Inbound::name() const {
    if (state_ == State::kAwaitHello) {
        return fmt::format("{}: connection from {}", t_.log_name(), remote_ip_);
    }
    return fmt::format("{}: {} connection from node {} ({}, {})", t_.log_name(),
                       wire::to_string(hello_.channel), hello_.id, hello_.identity, remote_ip_);
}

void Inbound::start() {
    sockaddr_storage peer{};
    int len = sizeof(peer);
    if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&peer), &len) != 0) {
        peer.ss_family = AF_UNSPEC;  // reads as "?"
    }
    remote_ip_ = ip_text(reinterpret_cast<const sockaddr*>(&peer));
    tune_socket(&tcp_, t_.options().stall_timeout_ms);
    uv_timer_start(
        &hello_timer_,
        [](uv_timer_t* h) {
            auto* in = static_cast<Inbound*>(h->data);
            in->close(
                fmt::format("no handshake within {} ms", in->t_.options().connect_timeout_ms));
        },
        static_cast<std::uint64_t>(std::max(1, t_.options().connect_timeout_ms)), 0);
    start_reading();
}

void Inbound::on_read(ssize_t nread) {
    if (state_ == State::kClosing || state_ == State::kRefusing) return;
    if (nread < 0) {
        close(nread == UV_EOF ? std::string("closed by the peer")
                              : fmt::format("read: {}", uv_strerror(static_cast<int>(nread))));
        return;
    }
    decoder_.commit(static_cast<std::size_t>(nread));
    t_.mutable_stats().bytes_received += static_cast<std::uint64_t>(nread);
    wire::Frame frame;
    bool delivered = false;
    for (;;) {
        const auto status = decoder_.next(frame);
        if (status == wire::FrameDecoder::Status::kNeedMore) break;
        if (status == wire::FrameDecoder::Status::kError) {
            if (state_ == State::kAwaitHello &&
                decoder_.error_code() == wire::DecodeError::kBadVersion) {
                // Tell the caller why, in the frame every version must understand.
                ++t_.mutable_stats().connections_refused;
                refuse(decoder_.error());
                return;
            }
            reject_stream(decoder_.error());
            return;
        }
        if (!on_frame(frame)) return;
        delivered = state_ == State::kOpen;
    }
    // libuv keeps reading a busy socket up to 32 times before it looks at the others: after
    // each snapshot chunk, let the main connections (heartbeats) have their turn first.
    if (delivered && hello_.channel == wire::Channel::kSnapshot) {
        uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
        t_.resume_later(this);
    }
}

void Inbound::resume_reading() {
    if (state_ == State::kOpen) start_reading();
}

void Inbound::start_reading() {
    const int r = uv_read_start(
        reinterpret_cast<uv_stream_t*>(&tcp_),
        [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
            static_cast<Inbound*>(h->data)->alloc(buf);
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
            static_cast<Inbound*>(s->data)->on_read(nread);
        });
    if (r < 0) close(fmt::format("read: {}", uv_strerror(r)));
}

void Inbound::alloc(uv_buf_t* buf) {
    std::size_t available = 0;
    char* p = decoder_.prepare(kReadBytes, available);
    *buf = uv_buf_init(p, static_cast<unsigned>(std::min<std::size_t>(available, 1u << 30)));
}

bool Inbound::on_frame(const wire::Frame& frame) {
    std::string error;
    if (state_ == State::kAwaitHello) {
        if (frame.type != wire::FrameType::kHello) {
            reject_stream(
                fmt::format("expected a hello frame, got type {}", static_cast<int>(frame.type)));
            return false;
        }
        wire::Hello hello;
        if (!wire::decode_hello(frame.payload, hello, error)) {
            reject_stream("bad hello: " + error);
            return false;
        }
        on_hello(std::move(hello));
        return state_ == State::kOpen;
    }
    if (frame.type != wire::FrameType::kMessage) {
        reject_stream(fmt::format("unexpected frame of type {}", static_cast<int>(frame.type)));
        return false;
    }
    Message m;
    if (!wire::decode_message(frame.payload, m, error)) {
        reject_stream("bad message: " + error);
        return false;
    }
    if (m.from != hello_.id || m.to != t_.options().self) {
        reject_stream(
            fmt::format("message from node {} to node {} on this connection", m.from, m.to));
        return false;
    }
    t_.deliver(std::move(m));  // may call back into the transport and close this connection
    return state_ == State::kOpen;
}

void Inbound::on_hello(wire::Hello hello) {
    hello_ = std::move(hello);
    if (const auto why = t_.check_hello(hello_, remote_ip_)) {
        ++t_.mutable_stats().connections_refused;
        refuse(*why);
        return;
    }
    state_ = State::kOpen;
    uv_timer_stop(&hello_timer_);
    decoder_.set_max_payload_bytes(t_.options().max_frame_bytes);
    const auto& opts = t_.options();
    wire::Welcome welcome;
    welcome.id = opts.self;
    welcome.identity = opts.identity;
    welcome.http_url = opts.http_url;
    out_.clear();
    wire::append_welcome_frame(out_, welcome);
    uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
    const int r = uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
                           [](uv_write_t* req, int status) {
                               auto* in = static_cast<Inbound*>(req->data);
                               in->writing_ = false;
                               if (in->state_ == State::kClosing) return;
                               if (status < 0) {
                                   in->close(fmt::format("write: {}", uv_strerror(status)));
                               }
                           });
    if (r < 0) {
        close(fmt::format("write: {}", uv_strerror(r)));
        return;
    }
    writing_ = true;
    spdlog::info("{}: accepted", name());
    t_.inbound_opened(this);
    PeerInfo info;
    info.id = hello_.id;
    info.identity = hello_.identity;
    info.http_url = hello_.http_url;
    t_.peer_seen(info);  // may call back into the transport
}

void Inbound::refuse(const std::string& why) {
    // A refused node usually keeps redialling: one warning per caller and reason every
    // kRepeatWarningMs, the repeats at debug level.
    const auto level = t_.first_in_a_while(remote_ip_ + "|" + hello_.identity + "|" + why)
                           ? spdlog::level::warn
                           : spdlog::level::debug;
    if (hello_.id == kNoNode) {
        spdlog::log(level, "{}: refused connection from {}: {}", t_.log_name(), remote_ip_, why);
    } else {
        spdlog::log(level,
                    "{}: refused connection from {} claiming node {} ({}) of cluster '{}': {}",
                    t_.log_name(), remote_ip_, hello_.id, hello_.identity, hello_.cluster, why);
    }
    state_ = State::kRefusing;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    out_.clear();
    wire::append_refusal_frame(out_, wire::Refusal{why});
    uv_buf_t buf = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
    // The hello timer keeps running: a caller that does not read the refusal is cut off.
    const int r = uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
                           [](uv_write_t* req, int) {
                               auto* in = static_cast<Inbound*>(req->data);
                               in->writing_ = false;
                               in->close("");
                           });
    if (r < 0) {
        close("");
        return;
    }
    writing_ = true;
}

void Inbound::reject_stream(const std::string& why) {
    ++t_.mutable_stats().frames_rejected;
    spdlog::warn("{}: closing: {}", name(), why);
    close("");
}

void Inbound::close(const std::string& why) {
    if (state_ == State::kClosing) return;
    if (!why.empty()) spdlog::info("{}: closed: {}", name(), why);
    state_ = State::kClosing;
    t_.forget_paused(this);
    auto closed = [](uv_handle_t* h) { static_cast<Inbound*>(h->data)->on_handle_closed(); };
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&hello_timer_), closed);
}

void Inbound::on_handle_closed() {
    TransportImpl& t = t_;
    if (--open_handles_ == 0) {
        t.forget_inbound(this);
        delete this;
    }
    t.handle_closed();  // may run close()'s done callback: nothing may follow
}

}  // namespace orcraft::raft::transport_detail
