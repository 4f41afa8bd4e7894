// Real loopback TCP between Transport instances: delivery of every message type, the peer's
// HTTP URL from the handshake, reconnection after a restart, membership changes, and a node
// waiting to join.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "tests/polling.hpp"

using namespace orcraft::raft;
using namespace orcraft::raft::test;
using orcraft::tests::eventually;

namespace {

constexpr MessageType kAllTypes[] = {
    MessageType::kAppend,        MessageType::kAppendResp, MessageType::kHeartbeat,
    MessageType::kHeartbeatResp, MessageType::kPreVote,    MessageType::kPreVoteResp,
    MessageType::kVote,          MessageType::kVoteResp,   MessageType::kSnapshot,
    MessageType::kSnapshotResp,  MessageType::kTimeoutNow, MessageType::kReadIndex,
    MessageType::kReadIndexResp};

void connect_all(const std::vector<TestNode*>& nodes) {
    std::vector<PeerAddress> members;
    for (TestNode* n : nodes)
        members.push_back(n->address());
    for (TestNode* n : nodes)
        n->set_peers(members);
}

}  // namespace

TEST_CASE("messages of every type round-trip with all fields") {
    TestNode a(node_options(1));
    TestNode b(node_options(2));
    connect_all({&a, &b});

    std::vector<Message> sent;
    for (MessageType t : kAllTypes)
        sent.push_back(full_message(t, 1, 2, sent.size()));
    a.send_all(sent);
    REQUIRE(eventually(5000ms, [&] { return b.received_count() == sent.size(); }));

    // Snapshot chunks travel on their own connection: compare per type.
    const auto got = b.received();
    for (const Message& want : sent) {
        bool found = false;
        for (const Message& m : got) {
            if (m.type != want.type) continue;
            std::string difference;
            INFO(to_string(want.type) << " differs in " << difference);
            CHECK(same_message(m, want, &difference));
            found = true;
        }
        CHECK(found);
    }
    // Messages on one connection keep their order.
    std::vector<Message> main_channel;
    for (const Message& m : got) {
        if (m.type != MessageType::kSnapshot) main_channel.push_back(m);
    }
    std::size_t i = 0;
    for (const Message& want : sent) {
        if (want.type == MessageType::kSnapshot) continue;
        REQUIRE(i < main_channel.size());
        CHECK(main_channel[i++].type == want.type);
    }
    const auto stats = a.stats();
    CHECK(stats.frames_sent == sent.size());
    CHECK(stats.messages_dropped == 0);
    CHECK(b.stats().frames_received == sent.size());
}

TEST_CASE("both directions and three nodes") {
    TestNode a(node_options(1));
    TestNode b(node_options(2));
    TestNode c(node_options(3));
    connect_all({&a, &b, &c});
    for (int round = 0; round < 50; ++round) {
        a.send(heartbeat(1, 2, round));
        a.send(heartbeat(1, 3, round));
        b.send(heartbeat(2, 1, round));
        c.send(heartbeat(3, 1, round));
    }
    REQUIRE(eventually(5000ms, [&] {
        return a.received_count() == 100 && b.received_count() == 50 && c.received_count() == 50;
    }));
    // One connection keeps the order of what was sent on it.
    const auto got = b.received();
    for (std::size_t i = 0; i < got.size(); ++i)
        CHECK(got[i].read_seq == i);
}

TEST_CASE("peer_info carries the http url of the dialling node") {
    TestNode a(node_options(1));
    TestNode b(node_options(2));
    connect_all({&a, &b});
    CHECK_FALSE(b.peer_info(1).has_value());
    a.send(heartbeat(1, 2, 1));
    REQUIRE(eventually(5000ms, [&] { return b.peer_info(1).has_value(); }));
    const PeerInfo info = *b.peer_info(1);
    CHECK(info.id == 1);
    CHECK(info.identity == a.options().identity);
    CHECK(info.http_url == a.options().http_url);
    // on_peer told the receiver too, and the dialler learned the answering node's URL.
    const auto seen = b.peers_seen();
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.front().http_url == a.options().http_url);
    REQUIRE(eventually(5000ms, [&] { return a.peer_info(2).has_value(); }));
    CHECK(a.peer_info(2)->http_url == b.options().http_url);
}

TEST_CASE("a restarted peer is redialled and delivery resumes") {
    TestNode a(node_options(1));
    auto b = std::make_unique<TestNode>(node_options(2));
    const std::uint16_t port = b->port();
    connect_all({&a, b.get()});
    a.send(heartbeat(1, 2, 0));
    REQUIRE(eventually(5000ms, [&] { return b->received_count() == 1; }));

    b->stop();
    b.reset();
    // While the peer is down the sender drops messages instead of queueing them forever.
    std::uint64_t seq = 1;
    REQUIRE(eventually(5000ms, [&] {
        a.send(heartbeat(1, 2, seq++));
        return a.stats().messages_dropped > 0;
    }));

    b = std::make_unique<TestNode>(node_options(2, "127.0.0.1", port));
    connect_all({&a, b.get()});
    REQUIRE(eventually(5000ms, [&] {
        a.send(heartbeat(1, 2, seq++));
        return b->received_count() > 0;
    }));
    // Once reconnected, nothing sent afterwards is lost.
    const std::size_t before = b->received_count();
    for (int i = 0; i < 20; ++i)
        a.send(heartbeat(1, 2, seq++));
    REQUIRE(eventually(5000ms, [&] { return b->received_count() >= before + 20; }));
}

TEST_CASE("removing a member closes its connections") {
    TestNode a(node_options(1));
    TestNode b(node_options(2));
    TestNode c(node_options(3));
    connect_all({&a, &b, &c});
    a.send(heartbeat(1, 2, 1));
    REQUIRE(eventually(5000ms, [&] { return b.received_count() == 1; }));

    // b forgets a: a's connection is closed and redials are refused.
    b.set_peers({b.address(), c.address()});
    std::uint64_t seq = 2;
    REQUIRE(eventually(5000ms, [&] {
        a.send(heartbeat(1, 2, seq++));
        return b.stats().connections_refused > 0;
    }));
    const std::size_t before = b.received_count();
    for (int i = 0; i < 10; ++i)
        a.send(heartbeat(1, 2, seq++));
    c.send(heartbeat(3, 2, 1));
    REQUIRE(eventually(5000ms, [&] { return b.received_count() == before + 1; }));
    CHECK(b.received().back().from == 3);

    // a drops b from its own list: sends to b are dropped at once.
    a.set_peers({a.address(), c.address()});
    const auto dropped = a.stats().messages_dropped;
    a.send(heartbeat(1, 2, seq++));
    REQUIRE(eventually(5000ms, [&] { return a.stats().messages_dropped == dropped + 1; }));
}

TEST_CASE("a node waiting to join accepts its cluster and answers at the announced address") {
    // The joining node's reply goes to the identity the leader announced: make it dialable.
    TestNode leader(dialable_options(1));
    TestNode joiner(dialable_options(2));
    TestNode stranger(node_options(3));
    leader.set_peers({leader.address(), joiner.address()});
    // The joiner knows no members yet.
    leader.send(heartbeat(1, 2, 1));
    REQUIRE(eventually(5000ms, [&] { return joiner.received_count() == 1; }));
    Message resp;
    resp.type = MessageType::kHeartbeatResp;
    resp.from = 2;
    resp.to = 1;
    resp.read_seq = 1;
    joiner.send(resp);
    REQUIRE(eventually(5000ms, [&] { return leader.received_count() == 1; }));
    CHECK(leader.received().front().type == MessageType::kHeartbeatResp);

    // Once it knows its members, others are refused again.
    joiner.set_peers({joiner.address(), leader.address()});
    stranger.set_peers({stranger.address(), joiner.address()});
    stranger.send(heartbeat(3, 2, 1));
    REQUIRE(eventually(5000ms, [&] { return joiner.stats().connections_refused > 0; }));
    CHECK(joiner.received_count() == 1);
}

TEST_CASE("a member known by host name is resolved when dialled") {
    TestNode a(node_options(1));
    TestNode b(node_options(2));
    PeerAddress by_name = b.address();
    by_name.host = "localhost";
    a.set_peers({a.address(), by_name});
    b.set_peers({a.address(), b.address()});
    a.send(heartbeat(1, 2, 1));
    REQUIRE(eventually(5000ms, [&] { return b.received_count() == 1; }));
}

TEST_CASE("redialling a dead peer backs off") {
    auto options = node_options(1);
    options.reconnect_min_ms = 10;
    options.reconnect_max_ms = 200;
    TestNode a(options);
    // A port nobody listens on: every dial fails at once.
    const PeerAddress dead{2, "127.0.0.1:10002", "127.0.0.1", free_port()};
    a.set_peers({a.address(), dead});
    // Sending every millisecond for 600 ms: without backoff that would be hundreds of dials;
    // with delays of 10, 20, 40, 80, 160, 200, ... ms it is at most a handful.
    const auto until = std::chrono::steady_clock::now() + 600ms;
    std::uint64_t seq = 0;
    while (std::chrono::steady_clock::now() < until) {
        a.send(heartbeat(1, 2, ++seq));
        std::this_thread::sleep_for(1ms);
    }
    // The last dial may still be under way: wait for its failure.
    REQUIRE(eventually(5000ms, [&] { return a.stats().messages_dropped == seq; }));
    const auto stats = a.stats();
    CHECK(stats.dials >= 2);
    CHECK(stats.dials <= 10);
    CHECK(stats.dial_failures == stats.dials);
}

TEST_CASE("a port in use is an error naming the address") {
    TestNode a(node_options(1));
    LoopThread loop;
    const auto options = node_options(2, "127.0.0.1", a.port());
    const std::string where = "127.0.0.1:" + std::to_string(a.port());
    loop.call([&] {
        try {
            Transport::create(loop.loop(), options, nullptr, nullptr);
            FAIL("listening on a port in use succeeded");
        } catch (const std::runtime_error& e) {
            CHECK_THAT(e.what(), Catch::Contains(where) && Catch::Contains("in use"));
        }
    });
}
