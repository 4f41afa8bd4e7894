#pragma once
// Helpers for the transport tests: a libuv loop on its own thread, a Transport on it that
// records what it receives, a raw blocking TCP client for speaking (and mangling) the wire
// format by hand, and message builders.

#include <uv.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "raft/transport/transport.hpp"
#include "raft/transport/wire.hpp"

namespace orcraft::raft::test {

using namespace std::chrono_literals;

// A libuv loop running on a thread of its own until destroyed.
class LoopThread {
  public:
    LoopThread();
    ~LoopThread();
    LoopThread(const LoopThread&) = delete;
    LoopThread& operator=(const LoopThread&) = delete;

    uv_loop_t* loop() { return &loop_; }
    // Runs `fn` on the loop thread.
    void post(std::function<void()> fn);
    // Runs `fn` on the loop thread and waits for it.
    template <typename Fn>
    auto call(Fn fn) -> decltype(fn()) {
        std::packaged_task<decltype(fn())()> task(std::move(fn));
        auto result = task.get_future();
        post([&task] { task(); });
        return result.get();
    }

  private:
    uv_loop_t loop_;
    uv_async_t wake_;
    std::mutex mu_;
    std::vector<std::function<void()>> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

// The options of test node `id` listening on `host` (port chosen by the kernel unless given).
// Its identity is "<host>:<10000 + id>": the transport compares identities but never dials them
// (except for a node waiting to join), so it need not be the real port.
TransportOptions node_options(NodeId id, const std::string& host = "127.0.0.1",
                              std::uint16_t port = 0, const std::string& cluster = "test");

// Like node_options, on a port picked in advance so that the identity is the real address.
TransportOptions dialable_options(NodeId id, const std::string& host = "127.0.0.1");

// A port that was free a moment ago on `host`.
std::uint16_t free_port(const std::string& host = "127.0.0.1");

// A Transport on its own loop thread, recording the messages and peer handshakes it receives.
class TestNode {
  public:
    explicit TestNode(TransportOptions options);
    ~TestNode();

    const TransportOptions& options() const { return options_; }
    NodeId id() const { return options_.self; }
    std::uint16_t port() const { return port_; }
    // This node as a member, reachable at its real port.
    PeerAddress address() const;

    void set_peers(const std::vector<PeerAddress>& peers);
    void send(Message m);
    // Sends several messages in one loop callback (they are flushed together).
    void send_all(std::vector<Message> ms);
    TransportStats stats();
    std::optional<PeerInfo> peer_info(NodeId id);

    std::vector<Message> received();
    std::size_t received_count();
    std::vector<PeerInfo> peers_seen();
    // Called on the loop thread for every message before it is recorded.
    void on_message(std::function<void(const Message&)> hook);

    // Closes the transport (waiting for its handles) and stops the loop thread.
    void stop();
    LoopThread& loop() { return *loop_; }

  private:
    TransportOptions options_;
    std::unique_ptr<LoopThread> loop_;
    std::unique_ptr<Transport> transport_;
    std::uint16_t port_ = 0;
    std::mutex mu_;
    std::vector<Message> inbox_;
    std::vector<PeerInfo> peers_seen_;
    std::function<void(const Message&)> hook_;
};

// A blocking TCP client for hand-made byte streams.
class RawClient {
  public:
    // Connects to 127.0.0.1:`port`, from `source_ip` when given.
    explicit RawClient(std::uint16_t port, const std::string& source_ip = "");
    ~RawClient();
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    void write(const std::string& bytes);
    // Reads one frame within `timeout`; false on EOF, error or timeout.
    bool read_frame(wire::Frame& frame, std::string& storage,
                    std::chrono::milliseconds timeout = 5000ms);
    // True once the peer closed the connection (EOF or reset) within `timeout`; bytes that
    // arrive before that are discarded.
    bool closed_by_peer(std::chrono::milliseconds timeout = 5000ms);
    int fd() const { return fd_; }

  private:
    int fd_ = -1;
};

// A listening socket for tests that play a peer by hand.
class RawListener {
  public:
    explicit RawListener(const std::string& ip = "127.0.0.1");
    ~RawListener();
    std::uint16_t port() const { return port_; }
    // Accepts one connection within `timeout` (-1 on timeout).
    int accept(std::chrono::milliseconds timeout = 5000ms);

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// Reads exactly `n` bytes from `fd` within `timeout`.
bool read_exact(int fd, char* out, std::size_t n, std::chrono::milliseconds timeout);
// Reads one verified frame from `fd` within `timeout`; its payload is kept in `storage`.
bool read_frame(int fd, wire::Frame& frame, std::string& storage,
                std::chrono::milliseconds timeout = 5000ms);
// Reads one message frame from `fd`.
bool read_message(int fd, Message& m, std::chrono::milliseconds timeout = 5000ms);
void write_all(int fd, const std::string& bytes);

// A connection a Transport dialled to a RawListener playing node `id`, handshake answered.
struct RawPeerConnection {
    RawPeerConnection() = default;
    RawPeerConnection(RawPeerConnection&& other) noexcept;
    RawPeerConnection& operator=(RawPeerConnection&&) = delete;
    ~RawPeerConnection();
    int fd = -1;
    wire::Hello hello;
};
RawPeerConnection accept_peer(RawListener& listener, NodeId id,
                              std::chrono::milliseconds timeout = 5000ms);

// A hello frame from test node `id` (identity as node_options gives it).
std::string hello_frame(NodeId id, const std::string& host = "127.0.0.1",
                        const std::string& cluster = "test",
                        wire::Channel channel = wire::Channel::kMain);

// A message of `type` from `from` to `to` with every field set to a distinct value.
Message full_message(MessageType type, NodeId from, NodeId to, std::uint64_t salt = 0);
Message heartbeat(NodeId from, NodeId to, std::uint64_t read_seq);

// Field-by-field equality, with a description of the first difference.
bool same_message(const Message& a, const Message& b, std::string* difference = nullptr);

}  // namespace orcraft::raft::test
