#include "raft/storage/checksum.hpp"

#include <xxhash.h>

namespace orcraft::raft::storage {

std::uint64_t checksum64(std::string_view bytes, std::uint64_t seed) {
    return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

}  // namespace orcraft::raft::storage
