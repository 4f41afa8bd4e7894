// The Raft transport: core messages between nodes over TCP, driven by a libuv loop.
//
// Every node listens on one port (RaftBind at DefaultRaftPort) and dials its peers at their
// advertised addresses. A connection starts with a handshake in which the dialling node names
// its cluster, its node id, its raft address and its HTTP URL; the listening side refuses (and
// logs) a handshake from another cluster or from an address that is not a current member, and
// answers with its own handshake. After that, frames flow one way (dialler -> listener): each
// node sends on the connections it dialled and receives on the ones it accepted.
//
// Frames (docs/raft-wire.md, versioned): a fixed header with magic, format version, frame type,
// payload length and a checksum of the payload, then the payload. Frames above
// TransportOptions::max_frame_bytes, a bad checksum, an unknown version or type, or a payload
// that does not decode close that connection (and log why); the process and other connections
// are unaffected.
//
// Snapshot chunks (kSnapshot messages) travel on a second connection per peer, so heartbeats
// and appends are never queued behind megabytes of snapshot. Lost connections are redialled
// with exponential backoff (from reconnect_min_ms up to reconnect_max_ms); messages for a peer
// that is not connected are dropped (Raft retransmits), and a per-peer queue bound drops the
// oldest appends when a peer cannot keep up.
//
// Threading: every method must be called on the loop thread, and callbacks run on it.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "raft/core/message.hpp"
#include "raft/core/types.hpp"

namespace orcraft::raft {

// One member of the cluster as the transport sees it.
struct PeerAddress {
    NodeId id = kNoNode;
    // The identity "ip:port" (what handshakes carry and what membership checks compare).
    std::string identity;
    // Where to dial: host (IP or name, resolved again on every dial) and port.
    std::string host;
    std::uint16_t port = 0;
};

struct TransportOptions {
    std::string cluster;        // cluster name; handshakes from other clusters are refused
    NodeId self = kNoNode;      // this node's id
    std::string identity;       // this node's identity "ip:port"
    std::string http_url;       // this node's HTTP base URL, told to peers in the handshake
    std::string listen_host;    // RaftBind host ("" or "0.0.0.0": every IPv4 interface)
    std::uint16_t listen_port = 0;  // 0 picks a free port (tests); see Transport::port()
    std::size_t max_frame_bytes = 64 * 1024 * 1024;
    std::size_t max_queue_bytes = 32 * 1024 * 1024;  // per peer and connection
    int reconnect_min_ms = 20;
    int reconnect_max_ms = 1000;
    int connect_timeout_ms = 1000;
};

// What a handshake told us about a peer (kept for the peer's lifetime in the process).
struct PeerInfo {
    NodeId id = kNoNode;
    std::string identity;
    std::string http_url;
};

struct TransportStats {
    std::uint64_t frames_sent = 0;
    std::uint64_t frames_received = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    std::uint64_t connections_refused = 0;  // handshakes refused (cluster or membership)
    std::uint64_t frames_rejected = 0;      // malformed frames (connection closed)
    std::uint64_t messages_dropped = 0;     // not connected or queue full
};

class Transport {
  public:
    using MessageHandler = std::function<void(Message)>;
    // Called when a handshake from `info` was accepted (a peer told us its HTTP URL).
    using PeerHandler = std::function<void(const PeerInfo&)>;

    // Starts listening at once; throws std::runtime_error naming the address if it cannot bind.
    static std::unique_ptr<Transport> create(uv_loop_t* loop, const TransportOptions& options,
                                             MessageHandler on_message, PeerHandler on_peer);
    virtual ~Transport() = default;

    // Replaces the member list (self may be included and is ignored). Connections to removed
    // members are closed; new members are dialled lazily on the first send.
    virtual void set_peers(const std::vector<PeerAddress>& peers) = 0;
    // Queues `m` for m.to. Never blocks.
    virtual void send(Message m) = 0;
    // What the peer's latest handshake said, if it ever connected to us.
    virtual const PeerInfo* peer_info(NodeId id) const = 0;
    // The port actually listened on.
    virtual std::uint16_t port() const = 0;
    virtual TransportStats stats() const = 0;
    // Closes every handle; `done` runs on the loop once they are all closed.
    virtual void close(std::function<void()> done) = 0;
};

// The frame codec, separate from the sockets so that it can be fuzzed and unit-tested.
// encode_message() returns one complete frame. FrameDecoder accepts bytes in arbitrary pieces.
std::string encode_message(const Message& m);

class FrameDecoder {
  public:
    explicit FrameDecoder(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}
    // Appends bytes. Returns false (with error() set) once the stream is malformed; the caller
    // closes the connection then.
    bool feed(const char* data, std::size_t n);
    // The next complete frame's decoded message, if any.
    bool next(Message& out);
    const std::string& error() const { return error_; }

  private:
    std::size_t max_frame_bytes_;
    std::string buffer_;
    std::size_t consumed_ = 0;
    std::vector<Message> ready_;
    std::string error_;
};

}  // namespace orcraft::raft
