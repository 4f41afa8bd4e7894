#include "raft/transport/transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "raft/transport/address.hpp"
#include "raft/transport/transport_impl.hpp"

namespace orcraft::raft {

using transport_detail::TransportImpl;

std::unique_ptr<Transport> Transport::create(uv_loop_t* loop, const TransportOptions& options,
                                             MessageHandler on_message, PeerHandler on_peer) {
    auto t =
        std::make_unique<TransportImpl>(loop, options, std::move(on_message), std::move(on_peer));
    t->listen();
    return t;
}

}  // namespace orcraft::raft

namespace orcraft::raft::transport_detail {

namespace {

constexpr int kListenBacklog = 128;

bool same_address(const PeerAddress& a, const PeerAddress& b) {
    return a.id == b.id && a.identity == b.identity && a.host == b.host && a.port == b.port;
}

bool is_any_address(const sockaddr_storage& ss) {
    if (ss.ss_family == AF_INET) {
        return reinterpret_cast<const sockaddr_in&>(ss).sin_addr.s_addr == htonl(INADDR_ANY);
    }
    const auto& a6 = reinterpret_cast<const sockaddr_in6&>(ss);
    return IN6_IS_ADDR_UNSPECIFIED(&a6.sin6_addr);
}

void set_port(sockaddr_storage& ss, std::uint16_t port) {
    if (ss.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in&>(ss).sin_port = htons(port);
    } else {
        reinterpret_cast<sockaddr_in6&>(ss).sin6_port = htons(port);
    }
}

}  // namespace

void tune_socket(uv_tcp_t* tcp, int stall_timeout_ms) {
    uv_tcp_nodelay(tcp, 1);
    const int stall_s = std::max(1, stall_timeout_ms / 1000);
    uv_tcp_keepalive(tcp, 1, static_cast<unsigned>(stall_s));
    uv_os_fd_t fd;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(tcp), &fd) == 0) {
        const unsigned timeout = static_cast<unsigned>(std::max(1, stall_timeout_ms));
        setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout, sizeof(timeout));
        const int interval = std::max(1, stall_s / 3);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
    }
}

TransportImpl::TransportImpl(uv_loop_t* loop, const TransportOptions& options,
                             MessageHandler on_message, PeerHandler on_peer)
    : loop_(loop),
      opts_(options),
      on_message_(std::move(on_message)),
      on_peer_(std::move(on_peer)),
      log_name_("raft transport " + options.identity) {}

TransportImpl::~TransportImpl() {
    if (open_handles_ > 0 && !closing_) {
        spdlog::error("{}: destroyed with {} open handles and without close()", log_name_,
                      open_handles_);
    }
}

void TransportImpl::listen() {
    const std::string host = opts_.listen_host.empty() ? std::string("0.0.0.0") : opts_.listen_host;
    const std::string where = host + ":" + std::to_string(opts_.listen_port);
    sockaddr_storage addr{};
    if (auto ip = parse_ip(host, opts_.listen_port)) {
        addr = *ip;
    } else {
        // A name: resolved once, synchronously, before the loop runs.
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        uv_getaddrinfo_t req;
        const int r = uv_getaddrinfo(loop_, &req, nullptr, host.c_str(), nullptr, &hints);
        if (r < 0 || req.addrinfo == nullptr) {
            throw std::runtime_error("cannot listen on " + where + ": cannot resolve " + host +
                                     ": " + uv_strerror(r));
        }
        std::memcpy(&addr, req.addrinfo->ai_addr, req.addrinfo->ai_addrlen);
        uv_freeaddrinfo(req.addrinfo);
        set_port(addr, opts_.listen_port);
    }

    listener_ = new uv_tcp_t;
    uv_tcp_init(loop_, listener_);
    listener_->data = this;
    int r = uv_tcp_bind(listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (r == 0) {
        r = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), kListenBacklog,
                      [](uv_stream_t* server, int status) {
                          static_cast<TransportImpl*>(server->data)->on_connection(status);
                      });
    }
    if (r < 0) {
        // The handle is already registered with the loop: it frees itself once closed.
        listener_->data = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(listener_),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
        listener_ = nullptr;
        throw std::runtime_error("cannot listen on " + where + ": " + uv_strerror(r));
    }
    handle_opened();
    sockaddr_storage bound{};
    int len = sizeof(bound);
    uv_tcp_getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(bound).sin_port
                                             : reinterpret_cast<sockaddr_in6&>(bound).sin6_port);
    // Outgoing connections leave from the listening IP, so that peers checking the source IP
    // of a member see the address they know even on a host with several addresses.
    if (!is_any_address(addr)) {
        source_ = addr;
        set_port(*source_, 0);
    }

    uv_prepare_init(loop_, &turn_prepare_);
    uv_check_init(loop_, &turn_check_);
    turn_prepare_.data = this;
    turn_check_.data = this;
    handle_opened();
    handle_opened();
    spdlog::info("{}: listening on {}:{} (cluster '{}', node {}, wire version {})", log_name_,
                 ip_text(reinterpret_cast<const sockaddr*>(&addr)), port_, opts_.cluster,
                 opts_.self, wire::kWireVersion);
}

void TransportImpl::on_connection(int status) {
    if (closing_) return;
    if (status < 0) {
        spdlog::warn("{}: accepting a connection failed: {}", log_name_, uv_strerror(status));
        return;
    }
    auto* in = new Inbound(*this);
    inbound_.push_back(in);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_),
                  reinterpret_cast<uv_stream_t*>(in->tcp())) != 0) {
        in->close("accept failed");
        return;
    }
    in->start();
}

void TransportImpl::set_peers(const std::vector<PeerAddress>& peers) {
    if (closing_) return;
    peers_.clear();
    for (const PeerAddress& p : peers) {
        if (p.id == opts_.self || p.id == kNoNode) continue;
        peers_[p.id] = p;
    }
    for (auto it = dialers_.begin(); it != dialers_.end();) {
        const auto where = route(it->first);
        Dialer* any = it->second[0] ? it->second[0] : it->second[1];
        if (any != nullptr && where && same_address(*where, any->peer())) {
            ++it;
            continue;
        }
        for (Dialer*& d : it->second) {
            if (d != nullptr) d->retire();
            d = nullptr;
        }
        it = dialers_.erase(it);
    }
    if (peers_.empty()) return;  // waiting to join: every connection of the cluster is welcome
    const std::vector<Inbound*> current = inbound_;
    for (Inbound* in : current) {
        if (!in->open()) continue;
        auto it = peers_.find(in->peer_id());
        if (it == peers_.end() || it->second.identity != in->peer_identity()) {
            in->close("node is no longer a member");
        }
    }
}

std::optional<PeerAddress> TransportImpl::route(NodeId to) const {
    if (auto it = peers_.find(to); it != peers_.end()) return it->second;
    if (!peers_.empty()) return std::nullopt;
    // Waiting to join: answer a node that reached us at the address it announced.
    auto info = infos_.find(to);
    if (info == infos_.end()) return std::nullopt;
    PeerAddress p;
    p.id = to;
    p.identity = info->second.identity;
    if (!split_host_port(p.identity, p.host, p.port)) return std::nullopt;
    return p;
}

void TransportImpl::send(Message m) {
    if (closing_) return;
    if (m.to == opts_.self || m.to == kNoNode) {
        ++stats_.messages_dropped;
        return;
    }
    auto it = dialers_.find(m.to);
    if (it == dialers_.end()) {
        if (!route(m.to)) {
            ++stats_.messages_dropped;
            spdlog::debug("{}: dropped {} for node {}: not a member", log_name_, to_string(m.type),
                          m.to);
            return;
        }
        it = dialers_.emplace(m.to, std::array<Dialer*, 2>{nullptr, nullptr}).first;
    }
    const auto channel =
        m.type == MessageType::kSnapshot ? wire::Channel::kSnapshot : wire::Channel::kMain;
    Dialer*& d = it->second[static_cast<std::size_t>(channel)];
    if (d == nullptr) {
        const auto where = route(m.to);
        if (!where) return;
        d = new Dialer(*this, *where, channel);
    }
    if (!d->enqueue(m)) ++stats_.messages_dropped;
}

const PeerInfo* TransportImpl::peer_info(NodeId id) const {
    auto it = infos_.find(id);
    return it == infos_.end() ? nullptr : &it->second;
}

wire::Hello TransportImpl::hello(wire::Channel channel) const {
    wire::Hello h;
    h.cluster = opts_.cluster;
    h.id = opts_.self;
    h.identity = opts_.identity;
    h.http_url = opts_.http_url;
    h.channel = channel;
    return h;
}

std::optional<std::string> TransportImpl::check_hello(const wire::Hello& h,
                                                      const std::string& remote_ip) const {
    if (h.cluster != opts_.cluster) {
        return "cluster '" + h.cluster + "' is not this node's cluster '" + opts_.cluster + "'";
    }
    if (h.id == kNoNode) return std::string("node id 0 is invalid");
    if (h.id == opts_.self || h.identity == opts_.identity) {
        return std::string("the caller claims to be this node");
    }
    if (peers_.empty()) return std::nullopt;  // waiting to be added to the cluster
    auto it = peers_.find(h.id);
    if (it == peers_.end()) {
        return "node " + std::to_string(h.id) + " (" + h.identity + ") is not a member";
    }
    const PeerAddress& member = it->second;
    if (member.identity != h.identity) {
        return "identity " + h.identity + " differs from the member's " + member.identity;
    }
    if (const auto ip = parse_ip(member.host, 0)) {
        const std::string want = ip_text(reinterpret_cast<const sockaddr*>(&*ip));
        if (want != remote_ip) {
            return "the connection comes from " + remote_ip + ", the member's host is " + want;
        }
    }
    return std::nullopt;
}

bool TransportImpl::first_in_a_while(const std::string& key) {
    const std::uint64_t now = uv_now(loop_);
    if (warned_at_.size() > 1000) warned_at_.clear();  // bounded, whatever callers do
    auto [it, fresh] = warned_at_.emplace(key, now);
    if (fresh) return true;
    if (now - it->second < kRepeatWarningMs) return false;
    it->second = now;
    return true;
}

void TransportImpl::peer_seen(const PeerInfo& info) {
    infos_[info.id] = info;
    if (on_peer_) on_peer_(info);
}

void TransportImpl::inbound_opened(Inbound* in) {
    const std::vector<Inbound*> current = inbound_;
    for (Inbound* other : current) {
        if (other != in && other->open() && other->peer_id() == in->peer_id() &&
            other->channel() == in->channel()) {
            other->close("replaced by a newer connection from the same node");
        }
    }
}

void TransportImpl::deliver(Message m) {
    ++stats_.frames_received;
    if (on_message_) on_message_(std::move(m));
}

void TransportImpl::mark_dirty(Dialer* d) {
    if (std::find(dirty_.begin(), dirty_.end(), d) == dirty_.end()) dirty_.push_back(d);
    arm_turn();
}

void TransportImpl::forget_dirty(Dialer* d) {
    dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), d), dirty_.end());
}

void TransportImpl::resume_later(Inbound* in) {
    if (std::find(paused_.begin(), paused_.end(), in) == paused_.end()) paused_.push_back(in);
    arm_turn();
}

void TransportImpl::forget_paused(Inbound* in) {
    paused_.erase(std::remove(paused_.begin(), paused_.end(), in), paused_.end());
}

void TransportImpl::arm_turn() {
    if (turn_armed_ || closing_) return;
    turn_armed_ = true;
    // Runs before the loop blocks (prepare) and after the I/O callbacks of an iteration
    // (check), so that sends made anywhere in one iteration go out together.
    uv_prepare_start(&turn_prepare_,
                     [](uv_prepare_t* h) { static_cast<TransportImpl*>(h->data)->on_turn(); });
    uv_check_start(&turn_check_,
                   [](uv_check_t* h) { static_cast<TransportImpl*>(h->data)->on_turn(); });
}

void TransportImpl::on_turn() {
    std::vector<Dialer*> batch;
    batch.swap(dirty_);
    for (Dialer* d : batch)
        d->flush();
    if (dirty_.empty()) {
        // Reuse the vector's storage next time.
        batch.clear();
        dirty_.swap(batch);
    }
    std::vector<Inbound*> paused;
    paused.swap(paused_);
    for (Inbound* in : paused)
        in->resume_reading();
    if (dirty_.empty() && paused_.empty() && turn_armed_) {
        uv_prepare_stop(&turn_prepare_);
        uv_check_stop(&turn_check_);
        turn_armed_ = false;
    }
}

void TransportImpl::forget_inbound(Inbound* in) {
    inbound_.erase(std::remove(inbound_.begin(), inbound_.end(), in), inbound_.end());
}

void TransportImpl::close(std::function<void()> done) {
    if (closing_) return;
    closing_ = true;
    done_ = std::move(done);
    spdlog::info("{}: closing", log_name_);
    for (auto& [id, pair] : dialers_) {
        for (Dialer* d : pair) {
            if (d != nullptr) d->retire();
        }
    }
    dialers_.clear();
    dirty_.clear();
    paused_.clear();
    const std::vector<Inbound*> current = inbound_;
    for (Inbound* in : current)
        in->close("");
    auto closed = [](uv_handle_t* h) { static_cast<TransportImpl*>(h->data)->handle_closed(); };
    if (listener_ != nullptr) {
        uv_close(reinterpret_cast<uv_handle_t*>(listener_), [](uv_handle_t* h) {
            auto* t = static_cast<TransportImpl*>(h->data);
            delete reinterpret_cast<uv_tcp_t*>(h);
            t->handle_closed();
        });
        listener_ = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(&turn_prepare_), closed);
        uv_close(reinterpret_cast<uv_handle_t*>(&turn_check_), closed);
    }
    if (open_handles_ == 0 && done_) {
        auto d = std::move(done_);
        done_ = nullptr;
        d();
    }
}

void TransportImpl::handle_closed() {
    --open_handles_;
    if (closing_ && open_handles_ == 0 && done_) {
        auto d = std::move(done_);
        done_ = nullptr;
        d();  // may destroy this transport: nothing may follow
    }
}

}  // namespace orcraft::raft::transport_detail
