// The Raft transport: core messages between nodes over TCP, driven by a libuv loop.
//
// Every node listens on one port (RaftBind at DefaultRaftPort) and dials its peers at their
// advertised addresses. A connection starts with a handshake in which the dialling node names
// its cluster, its node id, its raft address and its HTTP URL; the listening side refuses (and
// logs) a handshake from another cluster or from an address that is not a current member, and
// answers with its own handshake. After that, frames flow one way (dialler -> listener): each
// node sends on the connections it dialled and receives on the ones it accepted.
//
// Frames (docs/raft-wire.md, versioned; the codec is raft/transport/wire.hpp): a fixed header
// with magic, format version, frame type, payload length and a checksum, then the payload. Frames
// above TransportOptions::max_frame_bytes, a bad checksum, an unknown version or type, or a payload
// that does not decode close that connection (and log why); the process and other connections
// are unaffected.
//
// Snapshot chunks (kSnapshot messages) travel on a second connection per peer, so heartbeats
// and appends are never queued behind megabytes of snapshot. Lost connections are redialled
// with exponential backoff (from reconnect_min_ms up to reconnect_max_ms); messages for a peer
// whose connection failed are dropped until the backoff delay has passed (Raft retransmits),
// messages sent while a connection is being set up wait for it, and once max_queue_bytes are
// queued for a connection new kAppend/kSnapshot messages are dropped (the others are small and
// are still queued, up to twice the bound).
//
// A node whose peer list holds no other member (one waiting to be added to a cluster) accepts
// handshakes from any node of its cluster and answers them at the address they announced.
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
    std::string cluster;            // cluster name; handshakes from other clusters are refused
    NodeId self = kNoNode;          // this node's id
    std::string identity;           // this node's identity "ip:port"
    std::string http_url;           // this node's HTTP base URL, told to peers in the handshake
    std::string listen_host;        // RaftBind host ("" or "0.0.0.0": every IPv4 interface)
    std::uint16_t listen_port = 0;  // 0 picks a free port (tests); see Transport::port()
    std::size_t max_frame_bytes = 64 * 1024 * 1024;  // largest frame payload sent or accepted
    std::size_t max_queue_bytes = 32 * 1024 * 1024;  // per peer and connection
    int reconnect_min_ms = 20;
    int reconnect_max_ms = 1000;
    int connect_timeout_ms = 1000;
    // A connection whose sent bytes stay unacknowledged this long, or whose keepalive probes go
    // unanswered, is closed by the kernel (TCP_USER_TIMEOUT), so that a peer behind a healed
    // partition is redialled instead of waiting for TCP's own retransmission timeout.
    int stall_timeout_ms = 5000;
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
    std::uint64_t dials = 0;                // outgoing connection attempts
    std::uint64_t dial_failures = 0;        // outgoing connections failed or lost
};

class Transport {
  public:
    using MessageHandler = std::function<void(Message)>;
    // Called when a handshake from `info` was accepted (a peer told us its HTTP URL), and when a
    // peer we dialled answered with its own handshake.
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
    // Also filled from the Welcome a peer answers our own connection with. The pointer stays
    // valid for the transport's lifetime; later handshakes update what it points to.
    virtual const PeerInfo* peer_info(NodeId id) const = 0;
    // The port actually listened on.
    virtual std::uint16_t port() const = 0;
    virtual TransportStats stats() const = 0;
    // Closes every handle; `done` runs on the loop once they are all closed. The transport may
    // be destroyed only after `done` ran (or if the loop never ran after create()).
    virtual void close(std::function<void()> done) = 0;
};

}  // namespace orcraft::raft
