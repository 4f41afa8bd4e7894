#pragma once
// The byte-level building blocks of orcraft's binary formats (log entry commands, apply
// results, snapshots): little-endian fixed-width integers, LEB128 varints (zigzag for signed
// values), length-prefixed byte strings and tagged SQL values. docs/log-entries.md describes
// the formats built from them.
//
// ByteReader never reads past its input: every read checks the remaining length first and throws
// EncodingError on truncated or malformed input, so decoders can be fed arbitrary bytes.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "backend/value.hpp"

namespace orcraft::backend::wire {

// Input that does not decode: truncated, a varint longer than 10 bytes, an unknown value tag,
// a length beyond the end of the input.
class EncodingError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Tags of Value kinds on the wire.
enum class ValueTag : std::uint8_t { kNull = 0, kInteger = 1, kReal = 2, kText = 3, kBlob = 4 };

class ByteWriter {
  public:
    explicit ByteWriter(std::string& out) : out_(out) {}

    void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u32(std::uint32_t v);
    void u64(std::uint64_t v);
    void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
    void varint(std::uint64_t v);
    void svarint(std::int64_t v);    // zigzag, so small negative numbers stay short
    void f64(double v);              // IEEE 754 bits, little-endian
    void bytes(std::string_view v);  // varint length, then the bytes
    void raw(std::string_view v) { out_.append(v); }
    void value(const Value& v);  // one tag byte, then the kind's encoding

  private:
    std::string& out_;
};

class ByteReader {
  public:
    explicit ByteReader(std::string_view in) : in_(in) {}

    std::uint8_t u8();
    std::uint32_t u32();
    std::uint64_t u64();
    std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
    std::uint64_t varint();
    std::int64_t svarint();
    double f64();
    std::string bytes();
    std::string_view raw(std::size_t n);
    std::string_view rest();
    Value value();

    // A count read from the input that announces `count` items of at least `min_size` bytes
    // each; throws when the remaining input cannot hold them (so a forged count never makes the
    // decoder reserve gigabytes).
    std::size_t count(std::size_t min_size = 1);

    bool at_end() const { return pos_ == in_.size(); }
    std::size_t remaining() const { return in_.size() - pos_; }
    std::size_t position() const { return pos_; }
    // Throws EncodingError naming `what` unless the whole input was consumed.
    void expect_end(const char* what) const;

  private:
    void need(std::size_t n) const;
    std::string_view in_;
    std::size_t pos_ = 0;
};

}  // namespace orcraft::backend::wire
