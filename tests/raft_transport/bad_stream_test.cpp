// Garbage on a connection closes that connection only: the transport keeps serving its other
// connections without losing or reordering their messages.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "tests/polling.hpp"

using namespace orcraft::raft;
using namespace orcraft::raft::test;
using orcraft::tests::eventually;

namespace {

constexpr std::size_t kMaxFrame = 1 << 20;

// A connection that completed the handshake as member 5.
std::unique_ptr<RawClient> handshaken(std::uint16_t port) {
    auto c = std::make_unique<RawClient>(port);
    c->write(hello_frame(5));
    wire::Frame frame;
    std::string storage;
    REQUIRE(c->read_frame(frame, storage));
    REQUIRE(frame.type == wire::FrameType::kWelcome);
    return c;
}

}  // namespace

TEST_CASE("bad streams close their own connection and nothing else") {
    auto options = node_options(2);
    options.max_frame_bytes = kMaxFrame;
    options.connect_timeout_ms = 300;
    TestNode b(options);
    TestNode a(node_options(1));
    const TransportOptions raw = node_options(5);
    const std::vector<PeerAddress> members = {a.address(), b.address(),
                                              PeerAddress{5, raw.identity, "127.0.0.1", 1}};
    a.set_peers(members);
    b.set_peers(members);

    std::uint64_t seq = 0;
    auto a_still_delivers = [&] {
        const std::uint64_t want = ++seq;
        a.send(heartbeat(1, 2, want));
        REQUIRE(eventually(5000ms, [&] {
            const auto got = b.received();
            return !got.empty() && got.back().read_seq == want;
        }));
    };
    a_still_delivers();
    std::uint64_t rejected = 0;

    SECTION("garbage instead of a hello") {
        RawClient c(b.port());
        c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        CHECK(c.closed_by_peer());
        ++rejected;
    }
    SECTION("a frame other than a hello first") {
        RawClient c(b.port());
        c.write(wire::encode_message(heartbeat(5, 2, 1)));
        CHECK(c.closed_by_peer());
        ++rejected;
    }
    SECTION("a hello above the handshake size limit") {
        RawClient c(b.port());
        wire::Hello h;
        h.cluster = std::string(wire::kMaxHandshakeFrameBytes, 'x');
        std::string frame;
        wire::append_hello_frame(frame, h);
        c.write(frame);
        CHECK(c.closed_by_peer());
        ++rejected;
    }
    SECTION("no hello at all") {
        RawClient c(b.port());
        CHECK(c.closed_by_peer());
    }
    SECTION("an oversized frame after the handshake") {
        auto c = handshaken(b.port());
        std::string frame = wire::encode_message(heartbeat(5, 2, 1));
        frame.resize(wire::kHeaderBytes);
        const std::uint32_t length = kMaxFrame + 1;
        for (int i = 0; i < 4; ++i)
            frame[4 + i] = static_cast<char>(length >> (8 * i));
        c->write(frame);  // the header alone is enough
        CHECK(c->closed_by_peer());
        ++rejected;
    }
    SECTION("a bad checksum") {
        auto c = handshaken(b.port());
        std::string frame = wire::encode_message(heartbeat(5, 2, 1));
        frame.back() ^= 0x40;
        c->write(frame);
        CHECK(c->closed_by_peer());
        ++rejected;
    }
    SECTION("a payload that does not decode, with a valid checksum") {
        auto c = handshaken(b.port());
        std::string frame = wire::encode_message(heartbeat(5, 2, 1));
        frame[wire::kHeaderBytes] = 99;  // no such message type
        wire::seal_frame(frame.data(), frame.size() - wire::kHeaderBytes);
        c->write(frame);
        CHECK(c->closed_by_peer());
        ++rejected;
    }
    SECTION("a message claiming another sender") {
        auto c = handshaken(b.port());
        c->write(wire::encode_message(heartbeat(1, 2, 1)));
        CHECK(c->closed_by_peer());
        ++rejected;
    }
    SECTION("valid messages before garbage are delivered") {
        auto c = handshaken(b.port());
        std::string stream = wire::encode_message(heartbeat(5, 2, 77));
        stream += "\x01\x02garbage";
        c->write(stream);
        CHECK(c->closed_by_peer());
        ++rejected;
        const auto got = b.received();
        CHECK(std::any_of(got.begin(), got.end(), [](const Message& m) { return m.from == 5; }));
    }

    CHECK(b.stats().frames_rejected == rejected);
    a_still_delivers();
    // Nothing a sent was lost or reordered.
    std::uint64_t expect = 1;
    for (const Message& m : b.received()) {
        if (m.from == 1) CHECK(m.read_seq == expect++);
    }
    CHECK(expect == seq + 1);
}

TEST_CASE("a message above the frame limit is dropped by the sender") {
    auto options = node_options(1);
    options.max_frame_bytes = kMaxFrame;
    TestNode a(options);
    TestNode b(node_options(2));
    a.set_peers({a.address(), b.address()});
    Message big = heartbeat(1, 2, 1);
    big.type = MessageType::kAppend;
    big.entries.push_back(Entry{1, 1, EntryType::kNormal, std::string(kMaxFrame + 1, 'x')});
    a.send(big);
    a.send(heartbeat(1, 2, 2));
    REQUIRE(eventually(5000ms, [&] { return b.received_count() == 1; }));
    CHECK(b.received().front().read_seq == 2);
    CHECK(a.stats().messages_dropped == 1);
}

TEST_CASE("a peer that stops reading costs at most the queue bound") {
    RawListener listener;
    auto options = node_options(1);
    options.max_queue_bytes = 4 << 20;
    TestNode a(options);
    const TransportOptions peer = node_options(2);
    a.set_peers({a.address(), PeerAddress{2, peer.identity, "127.0.0.1", listener.port()}});

    a.send(heartbeat(1, 2, 1));
    RawPeerConnection c = accept_peer(listener, 2);
    Message m;
    REQUIRE(read_message(c.fd, m));
    // The peer reads nothing more. 64 MB of appends: most are dropped, the kernel and the
    // queue hold the rest.
    Message append = heartbeat(1, 2, 0);
    append.type = MessageType::kAppend;
    append.entries.push_back(Entry{1, 1, EntryType::kNormal, std::string(1 << 20, 'x')});
    for (int i = 0; i < 64; ++i)
        a.send(append);
    REQUIRE(eventually(5000ms, [&] { return a.stats().messages_dropped > 0; }));
    // Control messages still have room (stats() runs on the loop after the send).
    const auto dropped = a.stats().messages_dropped;
    a.send(heartbeat(1, 2, 2));
    CHECK(a.stats().messages_dropped == dropped);
}
