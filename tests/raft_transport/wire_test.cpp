// The wire codec on its own: round-trips of every frame and message type, streams cut at every
// byte, and each way a stream can be malformed.
#include <catch2/catch.hpp>

#include <cstring>

#include "harness.hpp"

using namespace orcraft::raft;
using namespace orcraft::raft::test;
using wire::FrameDecoder;

namespace {

constexpr MessageType kAllTypes[] = {
    MessageType::kAppend,        MessageType::kAppendResp, MessageType::kHeartbeat,
    MessageType::kHeartbeatResp, MessageType::kPreVote,    MessageType::kPreVoteResp,
    MessageType::kVote,          MessageType::kVoteResp,   MessageType::kSnapshot,
    MessageType::kSnapshotResp,  MessageType::kTimeoutNow, MessageType::kReadIndex,
    MessageType::kReadIndexResp};

// Feeds `bytes` in pieces of `piece` bytes and decodes every message frame.
std::vector<Message> decode_all(const std::string& bytes, std::size_t piece,
                                std::size_t max_payload = 1 << 20) {
    FrameDecoder decoder(max_payload);
    std::vector<Message> out;
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
        decoder.feed(bytes.data() + at, std::min(piece, bytes.size() - at));
        wire::Frame frame;
        while (decoder.next(frame) == FrameDecoder::Status::kFrame) {
            REQUIRE(frame.type == wire::FrameType::kMessage);
            Message m;
            std::string error;
            REQUIRE(wire::decode_message(frame.payload, m, error));
            out.push_back(std::move(m));
        }
        REQUIRE(decoder.error().empty());
    }
    return out;
}

// The decoder's verdict on `bytes` fed at once.
FrameDecoder::Status verdict(const std::string& bytes, wire::DecodeError& code,
                             std::size_t max_payload = 1 << 20) {
    FrameDecoder decoder(max_payload);
    decoder.feed(bytes.data(), bytes.size());
    wire::Frame frame;
    const auto status = decoder.next(frame);
    code = decoder.error_code();
    return status;
}

// A message frame whose payload is replaced by `payload` (with a valid checksum).
std::string frame_with_payload(const std::string& payload) {
    std::string frame = wire::encode_message(Message{});
    frame.resize(wire::kHeaderBytes);
    frame += payload;
    wire::seal_frame(frame.data(), payload.size());
    return frame;
}

std::string payload_of(const std::string& frame) {
    return frame.substr(wire::kHeaderBytes);
}

}  // namespace

TEST_CASE("wire: every message type round-trips with all fields, cut at every byte") {
    std::string stream;
    std::vector<Message> sent;
    for (MessageType t : kAllTypes) {
        sent.push_back(full_message(t, 1, 2, sent.size()));
        wire::append_message_frame(stream, sent.back());
    }
    sent.push_back(Message{});  // every field at its default
    wire::append_message_frame(stream, sent.back());
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{100}, stream.size()}) {
        const auto got = decode_all(stream, piece);
        REQUIRE(got.size() == sent.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
            std::string difference;
            INFO("message " << i << " differs in " << difference);
            CHECK(same_message(got[i], sent[i], &difference));
        }
    }
}

TEST_CASE("wire: extreme values round-trip") {
    Message m = full_message(MessageType::kAppend, ~0ull, ~0ull);
    m.term = m.index = m.log_term = m.commit = m.reject_hint = m.hint_term = m.read_seq = ~0ull;
    m.offset = ~0ull;
    m.entries.assign(1000, Entry{~0ull, ~0ull, EntryType::kNoop, std::string(300, '\xff')});
    m.chunk.assign(3 << 20, 'x');
    const auto got = decode_all(wire::encode_message(m), 65536, 8 << 20);
    REQUIRE(got.size() == 1);
    CHECK(same_message(got[0], m));
}

TEST_CASE("wire: handshake frames round-trip") {
    std::string stream;
    wire::Hello hello{"cluster", 77, "10.0.0.1:10008", "http://10.0.0.1:3000",
                      wire::Channel::kSnapshot};
    wire::Welcome welcome{78, "10.0.0.2:10008", "https://10.0.0.2:3000"};
    wire::Refusal refusal{"not a member"};
    wire::append_hello_frame(stream, hello);
    wire::append_welcome_frame(stream, welcome);
    wire::append_refusal_frame(stream, refusal);

    FrameDecoder decoder(wire::kMaxHandshakeFrameBytes);
    decoder.feed(stream.data(), stream.size());
    wire::Frame frame;
    std::string error;
    REQUIRE(decoder.next(frame) == FrameDecoder::Status::kFrame);
    REQUIRE(frame.type == wire::FrameType::kHello);
    wire::Hello h;
    REQUIRE(wire::decode_hello(frame.payload, h, error));
    CHECK(h.cluster == hello.cluster);
    CHECK(h.id == hello.id);
    CHECK(h.identity == hello.identity);
    CHECK(h.http_url == hello.http_url);
    CHECK(h.channel == hello.channel);
    REQUIRE(decoder.next(frame) == FrameDecoder::Status::kFrame);
    REQUIRE(frame.type == wire::FrameType::kWelcome);
    wire::Welcome w;
    REQUIRE(wire::decode_welcome(frame.payload, w, error));
    CHECK(w.id == welcome.id);
    CHECK(w.identity == welcome.identity);
    CHECK(w.http_url == welcome.http_url);
    REQUIRE(decoder.next(frame) == FrameDecoder::Status::kFrame);
    REQUIRE(frame.type == wire::FrameType::kRefusal);
    wire::Refusal r;
    REQUIRE(wire::decode_refusal(frame.payload, r, error));
    CHECK(r.reason == refusal.reason);
    CHECK(decoder.next(frame) == FrameDecoder::Status::kNeedMore);
    CHECK(decoder.buffered() == 0);
}

TEST_CASE("wire: a heartbeat frame is small") {
    // Header plus a few bytes per field: what every heartbeat costs on the wire.
    CHECK(wire::encode_message(heartbeat(1, 2, 100)).size() <= wire::kHeaderBytes + 24);
}

TEST_CASE("wire: malformed headers are errors and the decoder stays failed") {
    const std::string good = wire::encode_message(heartbeat(1, 2, 3));
    wire::DecodeError code{};

    std::string bad = good;
    bad[0] = 'X';
    CHECK(verdict(bad, code) == FrameDecoder::Status::kError);
    CHECK(code == wire::DecodeError::kBadMagic);

    bad = good;
    bad[2] = 2;
    wire::seal_frame(bad.data(), bad.size() - wire::kHeaderBytes);
    CHECK(verdict(bad, code) == FrameDecoder::Status::kError);
    CHECK(code == wire::DecodeError::kBadVersion);

    for (char type : {'\0', '\5', '\xff'}) {
        bad = good;
        bad[3] = type;
        wire::seal_frame(bad.data(), bad.size() - wire::kHeaderBytes);
        CHECK(verdict(bad, code) == FrameDecoder::Status::kError);
        CHECK(code == wire::DecodeError::kBadType);
    }

    bad = good;
    bad[wire::kHeaderBytes + 3] ^= 1;
    CHECK(verdict(bad, code) == FrameDecoder::Status::kError);
    CHECK(code == wire::DecodeError::kBadChecksum);

    bad = good;
    bad[8] ^= 1;  // the checksum itself
    CHECK(verdict(bad, code) == FrameDecoder::Status::kError);
    CHECK(code == wire::DecodeError::kBadChecksum);

    bad = good;
    bad[4] ^= 1;  // the length, which the checksum covers too (shorter by one byte)
    CHECK(verdict(bad, code) == FrameDecoder::Status::kError);
    CHECK(code == wire::DecodeError::kBadChecksum);

    // Once failed, always failed, even if valid bytes follow.
    FrameDecoder decoder(1 << 20);
    decoder.feed("garbage-garbage-garbage", 23);
    wire::Frame frame;
    CHECK(decoder.next(frame) == FrameDecoder::Status::kError);
    decoder.feed(good.data(), good.size());
    CHECK(decoder.next(frame) == FrameDecoder::Status::kError);
    CHECK_FALSE(decoder.error().empty());
}

TEST_CASE("wire: the frame size limit is checked from the header alone") {
    const std::string frame = wire::encode_message(full_message(MessageType::kAppend, 1, 2));
    const std::size_t payload = frame.size() - wire::kHeaderBytes;
    wire::DecodeError code{};
    CHECK(verdict(frame, code, payload) == FrameDecoder::Status::kFrame);
    CHECK(verdict(frame, code, payload - 1) == FrameDecoder::Status::kError);
    CHECK(code == wire::DecodeError::kTooLarge);
    // A header announcing 4 GB fails before any payload arrives.
    std::string header = frame.substr(0, wire::kHeaderBytes);
    for (int i = 4; i < 8; ++i)
        header[i] = '\xff';
    CHECK(verdict(header, code) == FrameDecoder::Status::kError);
    CHECK(code == wire::DecodeError::kTooLarge);
}

TEST_CASE("wire: malformed payloads are refused by the payload decoders") {
    const std::string payload =
        payload_of(wire::encode_message(full_message(MessageType::kAppend, 1, 2)));
    Message m;
    std::string error;
    REQUIRE(wire::decode_message(payload, m, error));

    // Every truncation fails.
    for (std::size_t n = 0; n < payload.size(); ++n) {
        INFO("truncated to " << n);
        CHECK_FALSE(wire::decode_message(payload.substr(0, n), m, error));
    }
    CHECK_FALSE(wire::decode_message(payload + "x", m, error));
    CHECK(error.find("trailing") != std::string::npos);

    std::string bad = payload;
    bad[0] = 13;  // one past kReadIndexResp
    CHECK_FALSE(wire::decode_message(bad, m, error));
    bad = payload;
    bad[1] = 8;  // unknown flag
    CHECK_FALSE(wire::decode_message(bad, m, error));

    // A varint longer than 64 bits.
    std::string overflow = payload.substr(0, 2) + std::string(9, '\xff') + '\x02';
    CHECK_FALSE(wire::decode_message(overflow, m, error));
    CHECK(error.find("64 bits") != std::string::npos);

    // A forged entry count cannot make the decoder reserve memory for it.
    Message empty;
    std::string forged = payload_of(wire::encode_message(empty));
    // type, flags, 9 varints of 0, empty context: the entry count is byte 12.
    forged[12] = '\xff';
    forged.insert(13, "\xff\xff\xff\xff\xff\xff\xff\x7f");
    CHECK_FALSE(wire::decode_message(forged, m, error));
    CHECK(error.find("count") != std::string::npos);

    // The decoder passes such payloads through when their checksum is right; the payload
    // decoder is the one that refuses them.
    FrameDecoder decoder(1 << 20);
    const std::string frame = frame_with_payload(forged);
    decoder.feed(frame.data(), frame.size());
    wire::Frame f;
    REQUIRE(decoder.next(f) == FrameDecoder::Status::kFrame);
    CHECK_FALSE(wire::decode_message(f.payload, m, error));

    wire::Hello h;
    CHECK_FALSE(wire::decode_hello(std::string("\x02", 1), h, error));
    CHECK_FALSE(wire::decode_hello("", h, error));
}

TEST_CASE("wire: prepare and commit read straight into the decoder") {
    std::string stream;
    for (int i = 0; i < 100; ++i)
        wire::append_message_frame(stream, heartbeat(1, 2, i));
    stream += wire::encode_message(full_message(MessageType::kSnapshot, 1, 2));
    FrameDecoder decoder(1 << 20);
    std::size_t at = 0;
    std::size_t frames = 0;
    while (at < stream.size()) {
        std::size_t available = 0;
        char* p = decoder.prepare(13, available);
        REQUIRE(available >= 13);
        const std::size_t n = std::min<std::size_t>(13, stream.size() - at);
        std::memcpy(p, stream.data() + at, n);
        decoder.commit(n);
        at += n;
        wire::Frame frame;
        while (decoder.next(frame) == FrameDecoder::Status::kFrame)
            ++frames;
    }
    CHECK(frames == 101);
    CHECK(decoder.buffered() == 0);
}
