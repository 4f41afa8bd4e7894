#include "backend/command_bytes.hpp"

#include <bit>
#include <cstring>

namespace orcraft::backend::wire {

void ByteWriter::u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    }
}

void ByteWriter::u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
        out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
    }
}

void ByteWriter::varint(std::uint64_t v) {
    while (v >= 0x80) {
        out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
        v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
}

void ByteWriter::svarint(std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    varint((u << 1) ^ (v < 0 ? ~std::uint64_t{0} : 0));
}

void ByteWriter::f64(double v) {
    u64(std::bit_cast<std::uint64_t>(v));
}

void ByteWriter::bytes(std::string_view v) {
    varint(v.size());
    out_.append(v);
}

void ByteWriter::value(const Value& v) {
    switch (v.index()) {
        case 0:
            u8(static_cast<std::uint8_t>(ValueTag::kNull));
            break;
        case 1:
            u8(static_cast<std::uint8_t>(ValueTag::kInteger));
            svarint(std::get<std::int64_t>(v));
            break;
        case 2:
            u8(static_cast<std::uint8_t>(ValueTag::kReal));
            f64(std::get<double>(v));
            break;
        case 3:
            u8(static_cast<std::uint8_t>(ValueTag::kText));
            bytes(std::get<std::string>(v));
            break;
        default:
            u8(static_cast<std::uint8_t>(ValueTag::kBlob));
            bytes(std::get<Blob>(v).bytes);
            break;
    }
}

void ByteReader::need(std::size_t n) const {
    if (in_.size() - pos_ < n) {
        throw EncodingError("truncated input: " + std::to_string(n) + " bytes needed at offset " +
                            std::to_string(pos_) + ", " + std::to_string(in_.size() - pos_) +
                            " left");
    }
}

std::uint8_t ByteReader::u8() {
    need(1);
    return static_cast<std::uint8_t>(in_[pos_++]);
}

std::uint32_t ByteReader::u32() {
    need(4);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += 4;
    return v;
}

std::uint64_t ByteReader::u64() {
    need(8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += 8;
    return v;
}

std::uint64_t ByteReader::varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        const std::uint8_t b = u8();
        if (shift == 63 && b > 1) {
            throw EncodingError("varint overflows 64 bits at offset " + std::to_string(pos_ - 1));
        }
        v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
            return v;
        }
    }
    throw EncodingError("varint longer than 10 bytes at offset " + std::to_string(pos_));
}

std::int64_t ByteReader::svarint() {
    const std::uint64_t u = varint();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

double ByteReader::f64() {
    return std::bit_cast<double>(u64());
}

std::string ByteReader::bytes() {
    const std::uint64_t n = varint();
    if (n > remaining()) {
        need(static_cast<std::size_t>(n < SIZE_MAX ? n : SIZE_MAX));
    }
    std::string out(in_.substr(pos_, static_cast<std::size_t>(n)));
    pos_ += static_cast<std::size_t>(n);
    return out;
}

std::string_view ByteReader::raw(std::size_t n) {
    need(n);
    std::string_view out = in_.substr(pos_, n);
    pos_ += n;
    return out;
}

std::string_view ByteReader::rest() {
    std::string_view out = in_.substr(pos_);
    pos_ = in_.size();
    return out;
}

Value ByteReader::value() {
    const std::uint8_t tag = u8();
    switch (static_cast<ValueTag>(tag)) {
        case ValueTag::kNull:
            return std::monostate{};
        case ValueTag::kInteger:
            return svarint();
        case ValueTag::kReal:
            return f64();
        case ValueTag::kText:
            return bytes();
        case ValueTag::kBlob:
            return Blob{bytes()};
    }
    throw EncodingError("unknown value tag " + std::to_string(tag) + " at offset " +
                        std::to_string(pos_ - 1));
}

std::size_t ByteReader::count(std::size_t min_size) {
    const std::uint64_t n = varint();
    if (min_size == 0) {
        min_size = 1;
    }
    if (n > remaining() / min_size) {
        throw EncodingError("count " + std::to_string(n) + " at offset " + std::to_string(pos_) +
                            " exceeds the remaining input");
    }
    return static_cast<std::size_t>(n);
}

void ByteReader::expect_end(const char* what) const {
    if (!at_end()) {
        throw EncodingError(std::string(what) + ": " + std::to_string(remaining()) +
                            " unexpected bytes after the end");
    }
}

}  // namespace orcraft::backend::wire
