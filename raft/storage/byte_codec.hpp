// Little-endian fixed-width integers in byte strings: the only way the on-disk format writes and
// reads numbers, so that files are portable between hosts of either byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace orcraft::raft::storage {

inline void put_u8(std::string& out, std::uint8_t v) {
    out.push_back(static_cast<char>(v));
}

inline void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Reads at `at`; the caller has checked that the bytes are there.
inline std::uint32_t get_u32(std::string_view in, std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
        v = (v << 8) | static_cast<std::uint8_t>(in[at + i]);
    return v;
}

inline std::uint64_t get_u64(std::string_view in, std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | static_cast<std::uint8_t>(in[at + i]);
    return v;
}

inline std::uint8_t get_u8(std::string_view in, std::size_t at) {
    return static_cast<std::uint8_t>(in[at]);
}

}  // namespace orcraft::raft::storage
