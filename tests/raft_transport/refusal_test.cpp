// Handshakes that must be refused (and logged): another cluster, a node that is not a member,
// an identity that does not match the member, a member whose IP does not match the
// connection, another wire version. Refused callers get a Refusal frame and are disconnected.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "tests/polling.hpp"

using namespace orcraft::raft;
using namespace orcraft::raft::test;
using orcraft::tests::eventually;

namespace {

// Sends `hello` on a fresh connection and returns the answer's frame type and text (the
// refusal reason, or the welcoming node's http url).
std::pair<wire::FrameType, std::string> answer_to(std::uint16_t port, const std::string& hello,
                                                  const std::string& source_ip = "") {
    RawClient c(port, source_ip);
    c.write(hello);
    wire::Frame frame;
    std::string storage;
    REQUIRE(c.read_frame(frame, storage));
    std::string error;
    if (frame.type == wire::FrameType::kRefusal) {
        wire::Refusal r;
        REQUIRE(wire::decode_refusal(frame.payload, r, error));
        CHECK(c.closed_by_peer());
        return {frame.type, r.reason};
    }
    REQUIRE(frame.type == wire::FrameType::kWelcome);
    wire::Welcome w;
    REQUIRE(wire::decode_welcome(frame.payload, w, error));
    return {frame.type, w.http_url};
}

PeerAddress member(NodeId id, const std::string& host, std::uint16_t port = 1) {
    const TransportOptions o = node_options(id, host);
    return PeerAddress{id, o.identity, host, port};
}

}  // namespace

TEST_CASE("a node of another cluster is refused") {
    TestNode b(node_options(2));
    TestNode a(node_options(1, "127.0.0.1", 0, "other"));
    b.set_peers({member(1, "127.0.0.1"), b.address()});
    a.set_peers({a.address(), b.address()});

    a.send(heartbeat(1, 2, 1));
    REQUIRE(eventually(5000ms, [&] { return b.stats().connections_refused > 0; }));
    CHECK(b.received_count() == 0);
    CHECK_FALSE(b.peer_info(1).has_value());
    CHECK(b.peers_seen().empty());
    // The refused dialler drops what it queued and backs off.
    REQUIRE(eventually(5000ms, [&] { return a.stats().messages_dropped > 0; }));

    const auto [type, reason] = answer_to(b.port(), hello_frame(1, "127.0.0.1", "other"));
    CHECK(type == wire::FrameType::kRefusal);
    CHECK(reason.find("cluster 'other'") != std::string::npos);
}

TEST_CASE("a node that is not a member is refused, members are welcome") {
    TestNode b(node_options(2));
    b.set_peers({member(1, "127.0.0.1"), b.address()});

    auto [type, text] = answer_to(b.port(), hello_frame(7));
    CHECK(type == wire::FrameType::kRefusal);
    CHECK(text.find("not a member") != std::string::npos);

    // The member's id with another identity.
    wire::Hello h;
    h.cluster = "test";
    h.id = 1;
    h.identity = "127.0.0.1:9999";
    std::string frame;
    wire::append_hello_frame(frame, h);
    std::tie(type, text) = answer_to(b.port(), frame);
    CHECK(type == wire::FrameType::kRefusal);
    CHECK(text.find("differs") != std::string::npos);

    // Claiming to be the listening node itself.
    std::tie(type, text) = answer_to(b.port(), hello_frame(2));
    CHECK(type == wire::FrameType::kRefusal);

    std::tie(type, text) = answer_to(b.port(), hello_frame(1));
    CHECK(type == wire::FrameType::kWelcome);
    CHECK(text == b.options().http_url);
    CHECK(b.stats().connections_refused == 3);
}

TEST_CASE("a member's IP literal must match the connection's source address") {
    TestNode b(node_options(2));
    b.set_peers({member(1, "127.0.0.2"), member(3, "localhost"), b.address()});

    // From another IP of the same machine: refused.
    auto [type, text] = answer_to(b.port(), hello_frame(1, "127.0.0.2"), "127.0.0.3");
    CHECK(type == wire::FrameType::kRefusal);
    CHECK(text.find("comes from 127.0.0.3") != std::string::npos);
    // From the member's IP: welcome.
    std::tie(type, text) = answer_to(b.port(), hello_frame(1, "127.0.0.2"), "127.0.0.2");
    CHECK(type == wire::FrameType::kWelcome);
    // A member known by name is not checked by IP.
    std::tie(type, text) = answer_to(b.port(), hello_frame(3, "localhost"), "127.0.0.3");
    CHECK(type == wire::FrameType::kWelcome);
}

TEST_CASE("transports bind their outgoing connections to their listening IP") {
    TestNode b(node_options(2));
    TestNode a(node_options(1, "127.0.0.2"));
    // An impostor on another IP claiming a's identity.
    auto impostor_options = node_options(1, "127.0.0.3");
    impostor_options.identity = a.options().identity;
    TestNode impostor(impostor_options);
    b.set_peers({a.address(), b.address()});
    a.set_peers({a.address(), b.address()});
    impostor.set_peers({a.address(), b.address()});

    a.send(heartbeat(1, 2, 1));
    REQUIRE(eventually(5000ms, [&] { return b.received_count() == 1; }));
    impostor.send(heartbeat(1, 2, 2));
    REQUIRE(eventually(5000ms, [&] { return b.stats().connections_refused > 0; }));
    CHECK(b.received_count() == 1);
}

TEST_CASE("another wire version is refused with a reason the caller can read") {
    TestNode b(node_options(2));
    b.set_peers({member(1, "127.0.0.1"), b.address()});
    std::string hello = hello_frame(1);
    hello[2] = 2;
    wire::seal_frame(hello.data(), hello.size() - wire::kHeaderBytes);
    const auto [type, reason] = answer_to(b.port(), hello);
    CHECK(type == wire::FrameType::kRefusal);
    CHECK(reason.find("unsupported wire version 2") != std::string::npos);
}
