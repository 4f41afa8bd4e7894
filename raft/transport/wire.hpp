// The Raft wire format (docs/raft-wire.md): frames, handshakes and message encoding, kept apart
// from the sockets so that it can be unit-tested and fuzzed on its own.
//
// A frame is a 16-byte header followed by its payload:
//   bytes 0-1   magic "oR"
//   byte  2     wire format version (kWireVersion)
//   byte  3     frame type (FrameType)
//   bytes 4-7   payload length, little-endian
//   bytes 8-15  XXH3-64 of the payload seeded with header bytes 0-7 read as a little-endian
//               integer, little-endian (so the checksum covers the header fields too)
// Integers inside payloads are LEB128 varints; strings are a varint length and the bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "raft/core/message.hpp"
#include "raft/core/types.hpp"

namespace orcraft::raft::wire {

inline constexpr std::uint8_t kWireVersion = 1;
inline constexpr std::size_t kHeaderBytes = 16;
// Handshake frames are small; a connection that has not completed its handshake may not make
// the receiver buffer more than this.
inline constexpr std::size_t kMaxHandshakeFrameBytes = 4096;

enum class FrameType : std::uint8_t {
    kHello = 1,    // dialler -> listener: who is calling (Hello)
    kWelcome = 2,  // listener -> dialler: handshake accepted, who answered (Welcome)
    kRefusal = 3,  // listener -> dialler: handshake refused, why; the listener then closes
    kMessage = 4   // dialler -> listener: one Raft message
};

// Which of the two connections per peer a dialler opens.
enum class Channel : std::uint8_t {
    kMain = 0,     // every message except snapshot chunks
    kSnapshot = 1  // kSnapshot messages only
};
const char* to_string(Channel c);

struct Hello {
    std::string cluster;
    NodeId id = kNoNode;
    std::string identity;  // "ip:port"
    std::string http_url;
    Channel channel = Channel::kMain;
};

struct Welcome {
    NodeId id = kNoNode;
    std::string identity;
    std::string http_url;
};

struct Refusal {
    std::string reason;
};

// Each append_* function appends one complete frame to `out` (which may already hold frames)
// and returns the size of the frame it appended.
std::size_t append_message_frame(std::string& out, const Message& m);
std::size_t append_hello_frame(std::string& out, const Hello& h);
std::size_t append_welcome_frame(std::string& out, const Welcome& w);
std::size_t append_refusal_frame(std::string& out, const Refusal& r);

// One complete message frame.
inline std::string encode_message(const Message& m) {
    std::string out;
    append_message_frame(out, m);
    return out;
}

// Rewrites the length and checksum fields of the frame at `frame` (header bytes 0-3 kept) for
// a payload of `payload_bytes` that follows the header. Tests and fuzzers use it to build
// frames that pass the checksum but carry edited payloads.
void seal_frame(char* frame, std::size_t payload_bytes);

// Payload decoders: false (with `error` set) when the payload is malformed. A payload must be
// consumed exactly; trailing bytes are an error.
bool decode_message(std::string_view payload, Message& out, std::string& error);
bool decode_hello(std::string_view payload, Hello& out, std::string& error);
bool decode_welcome(std::string_view payload, Welcome& out, std::string& error);
bool decode_refusal(std::string_view payload, Refusal& out, std::string& error);

// A frame whose header and checksum were verified. `payload` points into the decoder's buffer
// and stays valid until the decoder's next prepare(), feed() or next() call.
struct Frame {
    FrameType type = FrameType::kMessage;
    std::string_view payload;
};

enum class DecodeError : std::uint8_t {
    kNone,
    kBadMagic,
    kBadVersion,
    kBadType,
    kTooLarge,
    kBadChecksum
};

// Splits a byte stream into verified frames. Bytes may arrive in arbitrary pieces, either
// copied in with feed() or read straight into the decoder's buffer with prepare()/commit().
// Once the stream is malformed the decoder stays failed: next() returns kError from then on
// and the owner closes the connection.
class FrameDecoder {
  public:
    enum class Status : std::uint8_t { kFrame, kNeedMore, kError };

    // Frames whose payload exceeds `max_payload_bytes` are an error (kTooLarge).
    explicit FrameDecoder(std::size_t max_payload_bytes);
    FrameDecoder(const FrameDecoder&) = delete;
    FrameDecoder& operator=(const FrameDecoder&) = delete;

    // Changes the limit for frames not yet started (used once a handshake completes).
    void set_max_payload_bytes(std::size_t n) { max_payload_ = n; }

    // Returns a writable area of at least `at_least` bytes (more when a started frame needs
    // more) at the end of the buffered bytes; commit(n) then appends the first n of them.
    char* prepare(std::size_t at_least, std::size_t& available);
    void commit(std::size_t n);
    // Copies bytes in (prepare + memcpy + commit).
    void feed(const char* data, std::size_t n);

    // The next complete, verified frame, or kNeedMore, or kError.
    Status next(Frame& out);

    DecodeError error_code() const { return error_code_; }
    const std::string& error() const { return error_; }
    // The version byte of the frame that failed with kBadVersion.
    std::uint8_t peer_version() const { return peer_version_; }
    // Bytes held for frames not yet complete (tests and memory accounting).
    std::size_t buffered() const { return end_ - begin_; }

  private:
    Status fail(DecodeError code, std::string message);
    void reserve_tail(std::size_t tail);

    std::size_t max_payload_;
    std::unique_ptr<char[]> buf_;
    std::size_t cap_ = 0;
    std::size_t begin_ = 0;  // first unconsumed byte
    std::size_t end_ = 0;    // one past the last buffered byte
    // The payload length of the frame at begin_ once its header was checked (0: not yet).
    std::size_t want_total_ = 0;
    DecodeError error_code_ = DecodeError::kNone;
    std::uint8_t peer_version_ = 0;
    std::string error_;
};

}  // namespace orcraft::raft::wire
