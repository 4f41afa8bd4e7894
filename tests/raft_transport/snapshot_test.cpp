// Snapshot chunks travel on their own connection: heartbeats are never queued behind them.
#include <catch2/catch.hpp>

#include <atomic>

#include "harness.hpp"
#include "tests/polling.hpp"

using namespace orcraft::raft;
using namespace orcraft::raft::test;
using orcraft::tests::eventually;

namespace {

Message chunk(NodeId from, NodeId to, std::size_t i, std::size_t size, std::size_t count) {
    Message m;
    m.type = MessageType::kSnapshot;
    m.from = from;
    m.to = to;
    m.term = 3;
    m.snapshot.index = 1000;
    m.snapshot.term = 2;
    m.snapshot.conf.voters = {from, to};
    m.offset = i * size;
    m.chunk.assign(size, static_cast<char>('a' + i % 26));
    m.done = i + 1 == count;
    return m;
}

bool is_chunk(const Message& m, std::size_t i, std::size_t size, std::size_t count) {
    return m.type == MessageType::kSnapshot && m.offset == i * size && m.chunk.size() == size &&
           m.chunk.front() == static_cast<char>('a' + i % 26) &&
           m.chunk.back() == static_cast<char>('a' + i % 26) && m.done == (i + 1 == count);
}

}  // namespace

TEST_CASE("heartbeats pass a snapshot stream that the receiver does not read") {
    // The receiver is played by hand so that the snapshot connection can be stalled at will.
    RawListener listener;
    TestNode a(node_options(1));
    const TransportOptions peer = node_options(2);
    a.set_peers({a.address(), PeerAddress{2, peer.identity, "127.0.0.1", listener.port()}});

    constexpr std::size_t kChunks = 32;
    constexpr std::size_t kChunkBytes = 512 * 1024;  // 16 MB in all
    std::vector<Message> burst;
    for (std::size_t i = 0; i < kChunks; ++i)
        burst.push_back(chunk(1, 2, i, kChunkBytes, kChunks));
    burst.push_back(heartbeat(1, 2, 1));
    a.send_all(burst);

    RawPeerConnection first = accept_peer(listener, 2);
    RawPeerConnection second = accept_peer(listener, 2);
    const bool first_is_main = first.hello.channel == wire::Channel::kMain;
    const int main_fd = first_is_main ? first.fd : second.fd;
    const int snapshot_fd = first_is_main ? second.fd : first.fd;
    REQUIRE((first_is_main ? second : first).hello.channel == wire::Channel::kSnapshot);

    // Heartbeat 1 was queued after all 16 MB of chunks: it arrives although not one byte of
    // the snapshot connection has been read.
    Message m;
    REQUIRE(read_message(main_fd, m));
    CHECK(m.type == MessageType::kHeartbeat);
    CHECK(m.read_seq == 1);

    // Now drain the snapshot slowly; a heartbeat sent between every two chunks arrives at once.
    std::uint64_t seq = 1;
    for (std::size_t i = 0; i < kChunks; ++i) {
        a.send(heartbeat(1, 2, ++seq));
        REQUIRE(read_message(main_fd, m));
        CHECK(m.read_seq == seq);
        REQUIRE(read_message(snapshot_fd, m));
        INFO("chunk " << i);
        CHECK(is_chunk(m, i, kChunkBytes, kChunks));
    }
    CHECK(a.stats().messages_dropped == 0);
}

TEST_CASE("heartbeats keep arriving while a snapshot streams between two transports") {
    TestNode a(node_options(1));
    TestNode b(node_options(2));
    a.set_peers({a.address(), b.address()});
    b.set_peers({a.address(), b.address()});

    constexpr std::size_t kChunks = 32;
    constexpr std::size_t kChunkBytes = 256 * 1024;  // 8 MB in all
    // The receiver stores each chunk (here: a short pause standing in for a disk write) and
    // notes how many heartbeats it had received when the first and the last chunk arrived.
    std::atomic<std::uint64_t> heartbeats{0};
    std::atomic<std::uint64_t> at_first_chunk{0};
    std::atomic<std::uint64_t> at_last_chunk{0};
    b.on_message([&](const Message& m) {
        if (m.type == MessageType::kHeartbeat) ++heartbeats;
        if (m.type != MessageType::kSnapshot) return;
        if (m.offset == 0) at_first_chunk = heartbeats.load();
        if (m.done) at_last_chunk = heartbeats.load();
        std::this_thread::sleep_for(2ms);
    });

    a.send(heartbeat(1, 2, 0));
    REQUIRE(eventually(5000ms, [&] { return heartbeats == 1; }));
    std::vector<Message> burst;
    for (std::size_t i = 0; i < kChunks; ++i)
        burst.push_back(chunk(1, 2, i, kChunkBytes, kChunks));
    a.send_all(burst);
    std::uint64_t seq = 0;
    const auto last_chunk_in = [&] {
        const auto got = b.received();
        return std::any_of(got.begin(), got.end(), [](const Message& m) { return m.done; });
    };
    REQUIRE(eventually(
        20000ms,
        [&] {
            a.send(heartbeat(1, 2, ++seq));
            return last_chunk_in();
        },
        1ms));
    REQUIRE(eventually(5000ms, [&] { return heartbeats == seq + 1; }));

    // Heartbeats were delivered while the chunks were: the receiver saw more of them by the
    // last chunk than by the first.
    CHECK(at_last_chunk > at_first_chunk);
    // Each connection kept its order.
    std::size_t next_chunk = 0;
    std::uint64_t next_seq = 0;
    for (const Message& m : b.received()) {
        if (m.type == MessageType::kSnapshot) {
            CHECK(is_chunk(m, next_chunk++, kChunkBytes, kChunks));
        } else {
            CHECK(m.read_seq == next_seq++);
        }
    }
    CHECK(next_chunk == kChunks);
    CHECK(a.stats().messages_dropped == 0);
}
