// The checksum of the on-disk format: XXH3 64-bit (libxxhash). Seeded variants let a record
// header be covered by the same checksum as its payload without copying the two together.
#pragma once

#include <cstdint>
#include <string_view>

namespace orcraft::raft::storage {

std::uint64_t checksum64(std::string_view bytes, std::uint64_t seed = 0);

}  // namespace orcraft::raft::storage
