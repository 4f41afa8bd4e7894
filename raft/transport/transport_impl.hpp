// Internals of the TCP transport, shared by its three parts: the Transport itself (members,
// listening, routing), Dialer (one outgoing connection to a peer, with handshake, write
// batching and reconnection) and Inbound (one accepted connection: handshake check, frame
// decoding, delivery). Not part of the public interface.
#pragma once

#include <uv.h>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "raft/transport/transport.hpp"
#include "raft/transport/wire.hpp"

namespace orcraft::raft::transport_detail {

class TransportImpl;

inline constexpr std::uint64_t kRepeatWarningMs = 60'000;

// TCP_NODELAY, keepalive and TCP_USER_TIMEOUT for a connected socket (see
// TransportOptions::stall_timeout_ms).
void tune_socket(uv_tcp_t* tcp, int stall_timeout_ms);

// One outgoing connection to one peer on one channel. Lives while the peer is a member; its
// socket is replaced on every reconnect. Frames are encoded straight into `pending_`; a flush
// hands all of them to the kernel in one write, and whatever is queued while that write is in
// flight goes in the next one.
class Dialer {
  public:
    Dialer(TransportImpl& t, PeerAddress peer, wire::Channel channel);
    Dialer(const Dialer&) = delete;
    Dialer& operator=(const Dialer&) = delete;

    const PeerAddress& peer() const { return peer_; }
    wire::Channel channel() const { return channel_; }

    // Queues `m` (dialling first if idle). False when dropped: backing off after a failure,
    // queue full, or the frame is too large.
    bool enqueue(const Message& m);
    // Writes the queued frames if the connection is ready and no write is in flight.
    void flush();
    // Closes the connection and the timer; the object deletes itself once they are closed.
    void retire();

  private:
    enum class State : std::uint8_t {
        kIdle,
        kResolving,
        kConnecting,
        kHandshaking,
        kReady,
        kBackoff
    };
    struct Socket;
    struct Resolve;

    void dial();
    void connect_to(const sockaddr* addr);
    void on_resolved(int status, addrinfo* res);
    void on_connected(int status);
    void on_read(ssize_t nread);
    void on_written(int status);
    void on_frame(const wire::Frame& frame);
    void on_timer();
    void fail(const std::string& why);
    void drop_socket();
    void drop_pending();
    std::string name() const;

    TransportImpl& t_;
    const PeerAddress peer_;
    const wire::Channel channel_;
    State state_ = State::kIdle;
    uv_timer_t timer_;  // connect/handshake timeout, then the backoff delay
    Socket* socket_ = nullptr;
    Resolve* resolve_ = nullptr;
    std::string pending_;             // encoded frames not yet handed to the kernel
    std::size_t pending_frames_ = 0;  // messages in pending_ (dropped on failure)
    int backoff_ms_;
    std::uint64_t failures_ = 0;  // consecutive failed attempts (only the first is a warning)
    bool retired_ = false;
};

// One accepted connection: waits for a Hello, checks it, answers, then decodes message frames
// and delivers them. Deletes itself once closed.
class Inbound {
  public:
    explicit Inbound(TransportImpl& t);
    Inbound(const Inbound&) = delete;
    Inbound& operator=(const Inbound&) = delete;

    uv_tcp_t* tcp() { return &tcp_; }
    // Starts reading after uv_accept succeeded.
    void start();
    // Starts reading again after a pause (see TransportImpl::resume_later).
    void resume_reading();
    // Closes the connection (if not closing already), logging `why` when not empty.
    void close(const std::string& why);

    bool open() const { return state_ == State::kOpen; }
    NodeId peer_id() const { return hello_.id; }
    const std::string& peer_identity() const { return hello_.identity; }
    wire::Channel channel() const { return hello_.channel; }
    std::uint64_t serial() const { return serial_; }

  private:
    enum class State : std::uint8_t { kAwaitHello, kOpen, kRefusing, kClosing };

    void start_reading();
    void alloc(uv_buf_t* buf);
    void on_read(ssize_t nread);
    // False when the connection was closed while handling the frame.
    bool on_frame(const wire::Frame& frame);
    void on_hello(wire::Hello hello);
    void refuse(const std::string& why);
    void reject_stream(const std::string& why);
    void on_handle_closed();
    std::string name() const;

    TransportImpl& t_;
    uv_tcp_t tcp_;
    uv_timer_t hello_timer_;
    uv_write_t write_req_;
    std::string out_;  // the Welcome or Refusal being written
    wire::FrameDecoder decoder_;
    State state_ = State::kAwaitHello;
    std::string remote_ip_;
    wire::Hello hello_;
    std::uint64_t serial_ = 0;
    int open_handles_ = 2;
    bool writing_ = false;
};

class TransportImpl final : public Transport {
  public:
    TransportImpl(uv_loop_t* loop, const TransportOptions& options, MessageHandler on_message,
                  PeerHandler on_peer);
    ~TransportImpl() override;

    // Binds and listens; throws std::runtime_error naming the address.
    void listen();

    void set_peers(const std::vector<PeerAddress>& peers) override;
    void send(Message m) override;
    const PeerInfo* peer_info(NodeId id) const override;
    std::uint16_t port() const override { return port_; }
    TransportStats stats() const override { return stats_; }
    void close(std::function<void()> done) override;

    // ---- for Dialer and Inbound ----
    uv_loop_t* loop() const { return loop_; }
    const TransportOptions& options() const { return opts_; }
    TransportStats& mutable_stats() { return stats_; }
    const std::optional<sockaddr_storage>& source_address() const { return source_; }
    // The contents of this node's Hello.
    wire::Hello hello(wire::Channel channel) const;
    // Why a Hello received from `remote_ip` must be refused, or nothing if it is accepted.
    std::optional<std::string> check_hello(const wire::Hello& hello,
                                           const std::string& remote_ip) const;
    // A peer's handshake (Hello or Welcome) was accepted.
    void peer_seen(const PeerInfo& info);
    // An Inbound completed its handshake: older connections of the same peer and channel go.
    void inbound_opened(Inbound* in);
    void deliver(Message m);
    void mark_dirty(Dialer* d);
    void forget_dirty(Dialer* d);
    // `in` stopped reading for the rest of this loop iteration; it reads again in the next.
    void resume_later(Inbound* in);
    void forget_paused(Inbound* in);
    void forget_inbound(Inbound* in);
    std::uint64_t next_serial() { return ++serial_; }
    // Every libuv handle and request the transport starts is counted, so that close() can tell
    // when the last one finished.
    void handle_opened() { ++open_handles_; }
    void handle_closed();
    const std::string& log_name() const { return log_name_; }
    // True when `key` was not seen in the last kRepeatWarningMs (by the loop's clock); used to
    // keep a node that keeps redialling from repeating the same warning every second.
    bool first_in_a_while(const std::string& key);

  private:
    void on_connection(int status);
    void arm_turn();
    // Once per loop iteration while armed: flushes the dirty dialers, resumes paused reads.
    void on_turn();
    std::optional<PeerAddress> route(NodeId to) const;

    uv_loop_t* loop_;
    TransportOptions opts_;
    MessageHandler on_message_;
    PeerHandler on_peer_;
    std::string log_name_;
    uv_tcp_t* listener_ = nullptr;  // heap: it may outlive a constructor that throws
    uv_prepare_t turn_prepare_;
    uv_check_t turn_check_;
    bool turn_armed_ = false;
    std::uint16_t port_ = 0;
    std::optional<sockaddr_storage> source_;  // local IP that outgoing connections bind to
    std::unordered_map<NodeId, PeerAddress> peers_;
    std::unordered_map<NodeId, PeerInfo> infos_;
    // Dialers by peer: [0] main channel, [1] snapshot channel.
    std::unordered_map<NodeId, std::array<Dialer*, 2>> dialers_;
    std::vector<Inbound*> inbound_;
    std::vector<Dialer*> dirty_;    // dialers with frames to flush
    std::vector<Inbound*> paused_;  // snapshot connections yielding to the others
    TransportStats stats_;
    std::uint64_t serial_ = 0;
    std::unordered_map<std::string, std::uint64_t> warned_at_;  // key -> uv_now()
    int open_handles_ = 0;
    bool closing_ = false;
    std::function<void()> done_;
};

}  // namespace orcraft::raft::transport_detail
