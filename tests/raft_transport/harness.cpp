#include "harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace orcraft::raft::test {

// ---- LoopThread ----

LoopThread::LoopThread() {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &wake_, [](uv_async_t* a) {
        auto* self = static_cast<LoopThread*>(a->data);
        std::vector<std::function<void()>> batch;
        bool stop = false;
        {
            std::lock_guard lock(self->mu_);
            batch.swap(self->queue_);
            stop = self->stopping_;
        }
        for (auto& fn : batch)
            fn();
        if (stop) uv_close(reinterpret_cast<uv_handle_t*>(&self->wake_), nullptr);
    });
    wake_.data = this;
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
}

LoopThread::~LoopThread() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    uv_async_send(&wake_);
    thread_.join();
    uv_loop_close(&loop_);
}

void LoopThread::post(std::function<void()> fn) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(fn));
    }
    uv_async_send(&wake_);
}

// ---- TestNode ----

TransportOptions node_options(NodeId id, const std::string& host, std::uint16_t port,
                              const std::string& cluster) {
    TransportOptions o;
    o.cluster = cluster;
    o.self = id;
    o.identity = host + ":" + std::to_string(10000 + id);
    o.http_url = "http://" + host + ":" + std::to_string(3000 + id);
    o.listen_host = host;
    o.listen_port = port;
    o.reconnect_min_ms = 10;
    o.reconnect_max_ms = 100;
    o.connect_timeout_ms = 1000;
    return o;
}

TransportOptions dialable_options(NodeId id, const std::string& host) {
    TransportOptions o = node_options(id, host, free_port(host));
    o.identity = host + ":" + std::to_string(o.listen_port);
    return o;
}

std::uint16_t free_port(const std::string& host) {
    RawListener probe(host);
    return probe.port();
}

TestNode::TestNode(TransportOptions options)
    : options_(std::move(options)), loop_(std::make_unique<LoopThread>()) {
    loop_->call([this] {
        transport_ = Transport::create(
            loop_->loop(), options_,
            [this](Message m) {
                std::function<void(const Message&)> hook;
                {
                    std::lock_guard lock(mu_);
                    hook = hook_;
                }
                if (hook) hook(m);
                std::lock_guard lock(mu_);
                inbox_.push_back(std::move(m));
            },
            [this](const PeerInfo& info) {
                std::lock_guard lock(mu_);
                peers_seen_.push_back(info);
            });
        port_ = transport_->port();
    });
}

TestNode::~TestNode() {
    stop();
}

PeerAddress TestNode::address() const {
    PeerAddress p;
    p.id = options_.self;
    p.identity = options_.identity;
    p.host = options_.listen_host;
    p.port = port_;
    return p;
}

void TestNode::set_peers(const std::vector<PeerAddress>& peers) {
    loop_->call([this, peers] { transport_->set_peers(peers); });
}

void TestNode::send(Message m) {
    loop_->post([this, m = std::move(m)]() mutable { transport_->send(std::move(m)); });
}

void TestNode::send_all(std::vector<Message> ms) {
    loop_->post([this, ms = std::move(ms)]() mutable {
        for (auto& m : ms)
            transport_->send(std::move(m));
    });
}

TransportStats TestNode::stats() {
    return loop_->call([this] { return transport_->stats(); });
}

std::optional<PeerInfo> TestNode::peer_info(NodeId id) {
    return loop_->call([this, id]() -> std::optional<PeerInfo> {
        const PeerInfo* info = transport_->peer_info(id);
        if (info == nullptr) return std::nullopt;
        return *info;
    });
}

std::vector<Message> TestNode::received() {
    std::lock_guard lock(mu_);
    return inbox_;
}

std::size_t TestNode::received_count() {
    std::lock_guard lock(mu_);
    return inbox_.size();
}

std::vector<PeerInfo> TestNode::peers_seen() {
    std::lock_guard lock(mu_);
    return peers_seen_;
}

void TestNode::on_message(std::function<void(const Message&)> hook) {
    std::lock_guard lock(mu_);
    hook_ = std::move(hook);
}

void TestNode::stop() {
    if (!loop_) return;
    std::promise<void> closed;
    loop_->post([this, &closed] { transport_->close([&closed] { closed.set_value(); }); });
    closed.get_future().wait();
    loop_->call([this] { transport_.reset(); });
    loop_.reset();
}

// ---- raw sockets ----

namespace {

sockaddr_in ipv4(const std::string& ip, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) throw std::runtime_error("bad ip " + ip);
    return a;
}

int remaining_ms(std::chrono::steady_clock::time_point until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

}  // namespace

bool read_exact(int fd, char* out, std::size_t n, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    std::size_t got = 0;
    while (got < n) {
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, remaining_ms(until));
        if (ready <= 0) return false;
        const ssize_t r = ::recv(fd, out + got, n - got, 0);
        if (r <= 0) return false;
        got += static_cast<std::size_t>(r);
    }
    return true;
}

RawClient::RawClient(std::uint16_t port, const std::string& source_ip) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (!source_ip.empty()) {
        const sockaddr_in src = ipv4(source_ip, 0);
        if (::bind(fd_, reinterpret_cast<const sockaddr*>(&src), sizeof(src)) != 0) {
            throw std::runtime_error("bind " + source_ip + ": " + std::strerror(errno));
        }
    }
    const sockaddr_in dst = ipv4("127.0.0.1", port);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&dst), sizeof(dst)) != 0) {
        throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    }
}

RawClient::~RawClient() {
    if (fd_ >= 0) ::close(fd_);
}

void RawClient::write(const std::string& bytes) {
    write_all(fd_, bytes);
}

void write_all(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t r = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (r <= 0) return;  // the peer closed: the test looks at that separately
        sent += static_cast<std::size_t>(r);
    }
}

bool read_frame(int fd, wire::Frame& frame, std::string& storage,
                std::chrono::milliseconds timeout) {
    char header[wire::kHeaderBytes];
    if (!read_exact(fd, header, sizeof(header), timeout)) return false;
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
        length |= std::uint32_t{static_cast<unsigned char>(header[4 + i])} << (8 * i);
    }
    std::string bytes(header, sizeof(header));
    bytes.resize(sizeof(header) + length);
    if (!read_exact(fd, bytes.data() + sizeof(header), length, timeout)) return false;
    wire::FrameDecoder decoder(bytes.size());
    decoder.feed(bytes.data(), bytes.size());
    if (decoder.next(frame) != wire::FrameDecoder::Status::kFrame) return false;
    // The payload points into the decoder: keep a copy in `storage`.
    storage.assign(frame.payload);
    frame.payload = storage;
    return true;
}

bool read_message(int fd, Message& m, std::chrono::milliseconds timeout) {
    wire::Frame frame;
    std::string storage;
    std::string error;
    return read_frame(fd, frame, storage, timeout) && frame.type == wire::FrameType::kMessage &&
           wire::decode_message(frame.payload, m, error);
}

RawPeerConnection::RawPeerConnection(RawPeerConnection&& other) noexcept
    : fd(std::exchange(other.fd, -1)), hello(std::move(other.hello)) {}

RawPeerConnection::~RawPeerConnection() {
    if (fd >= 0) ::close(fd);
}

RawPeerConnection accept_peer(RawListener& listener, NodeId id, std::chrono::milliseconds timeout) {
    RawPeerConnection c;
    c.fd = listener.accept(timeout);
    if (c.fd < 0) throw std::runtime_error("no connection to accept");
    wire::Frame frame;
    std::string storage;
    std::string error;
    if (!read_frame(c.fd, frame, storage, timeout) || frame.type != wire::FrameType::kHello ||
        !wire::decode_hello(frame.payload, c.hello, error)) {
        throw std::runtime_error("no hello: " + error);
    }
    const TransportOptions o = node_options(id);
    std::string welcome;
    wire::append_welcome_frame(welcome, wire::Welcome{id, o.identity, o.http_url});
    write_all(c.fd, welcome);
    return c;
}

bool RawClient::read_frame(wire::Frame& frame, std::string& storage,
                           std::chrono::milliseconds timeout) {
    return test::read_frame(fd_, frame, storage, timeout);
}

bool RawClient::closed_by_peer(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, remaining_ms(until));
        if (ready <= 0) return false;
        const ssize_t r = ::recv(fd_, buf, sizeof(buf), 0);
        if (r <= 0) return true;
    }
}

RawListener::RawListener(const std::string& ip) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in a = ipv4(ip, 0);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0 ||
        ::listen(fd_, 16) != 0) {
        throw std::runtime_error(std::string("listen: ") + std::strerror(errno));
    }
    sockaddr_in bound{};
    socklen_t len = sizeof(bound);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(bound.sin_port);
}

RawListener::~RawListener() {
    if (fd_ >= 0) ::close(fd_);
}

int RawListener::accept(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return -1;
    return ::accept(fd_, nullptr, nullptr);
}

// ---- messages ----

std::string hello_frame(NodeId id, const std::string& host, const std::string& cluster,
                        wire::Channel channel) {
    const TransportOptions o = node_options(id, host, 0, cluster);
    wire::Hello h;
    h.cluster = cluster;
    h.id = id;
    h.identity = o.identity;
    h.http_url = o.http_url;
    h.channel = channel;
    std::string out;
    wire::append_hello_frame(out, h);
    return out;
}

Message full_message(MessageType type, NodeId from, NodeId to, std::uint64_t salt) {
    Message m;
    m.type = type;
    m.from = from;
    m.to = to;
    m.term = 7 + salt;
    m.index = 1000 + salt;
    m.log_term = 6;
    m.commit = 999;
    m.reject = true;
    m.reject_hint = 990;
    m.hint_term = 5;
    m.read_seq = (1ull << 40) + salt;
    m.context = "ctx-" + std::to_string(salt);
    m.force = true;
    for (std::uint64_t i = 0; i < 3; ++i) {
        Entry e;
        e.index = 1001 + salt + i;
        e.term = 7;
        e.type = static_cast<EntryType>(i % 3);
        e.data = std::string(static_cast<std::size_t>(10 * i), static_cast<char>('a' + i));
        m.entries.push_back(std::move(e));
    }
    m.snapshot.index = 500;
    m.snapshot.term = 4;
    m.snapshot.conf.voters = {from, to, 0xffffffffffffffffull};
    m.snapshot.conf.learners = {42};
    m.offset = 123456789;
    m.chunk = std::string("\0binary\xff", 8);
    m.done = true;
    if (type == MessageType::kSnapshot) {
        // A snapshot chunk carries the snapshot's size where other messages carry `index`.
        m.snapshot_bytes = m.index;
        m.index = 0;
    }
    return m;
}

Message heartbeat(NodeId from, NodeId to, std::uint64_t read_seq) {
    Message m;
    m.type = MessageType::kHeartbeat;
    m.from = from;
    m.to = to;
    m.term = 3;
    m.commit = 10;
    m.read_seq = read_seq;
    return m;
}

bool same_message(const Message& a, const Message& b, std::string* difference) {
    auto differ = [difference](const char* field) {
        if (difference != nullptr) *difference = field;
        return false;
    };
    if (a.type != b.type) return differ("type");
    if (a.from != b.from) return differ("from");
    if (a.to != b.to) return differ("to");
    if (a.term != b.term) return differ("term");
    if (a.index != b.index) return differ("index");
    if (a.log_term != b.log_term) return differ("log_term");
    if (a.entries != b.entries) return differ("entries");
    if (a.commit != b.commit) return differ("commit");
    if (a.reject != b.reject) return differ("reject");
    if (a.reject_hint != b.reject_hint) return differ("reject_hint");
    if (a.hint_term != b.hint_term) return differ("hint_term");
    if (a.read_seq != b.read_seq) return differ("read_seq");
    if (a.context != b.context) return differ("context");
    if (a.force != b.force) return differ("force");
    if (!(a.snapshot == b.snapshot)) return differ("snapshot");
    if (a.offset != b.offset) return differ("offset");
    if (a.chunk != b.chunk) return differ("chunk");
    if (a.snapshot_bytes != b.snapshot_bytes) return differ("snapshot_bytes");
    if (a.done != b.done) return differ("done");
    return true;
}

}  // namespace orcraft::raft::test
