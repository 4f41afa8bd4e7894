#pragma once
// What the crash test's writer (raft_storage_crash_child) writes, and the model the test keeps
// of it. Entry and snapshot contents are a pure function of (index, term), so the test can tell
// a restored entry from an invented or corrupted one without knowing the writer's seed.

#include <cstdint>
#include <string>
#include <vector>

#include "raft/core/types.hpp"

namespace orcraft::tests::crash {

inline std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// Mostly small payloads, sometimes a few KiB, so batches straddle pages and segments.
inline std::string entry_payload(raft::Index index, raft::Term term) {
    const std::uint64_t h = mix(index * 1000003 + term);
    const std::size_t size = (h % 16 == 0) ? 2000 + h % 3000 : h % 120;
    std::string out = "i" + std::to_string(index) + "t" + std::to_string(term) + ":";
    for (std::size_t i = 0; i < size; ++i)
        out.push_back(static_cast<char>('a' + (h >> (i % 50)) % 26));
    return out;
}

inline raft::Entry make_entry(raft::Index index, raft::Term term) {
    const auto type = static_cast<raft::EntryType>(mix(index + term) % 3);
    return raft::Entry{index, term, type, entry_payload(index, term)};
}

inline std::string snapshot_payload(raft::Index index, raft::Term term) {
    return std::string(1000 + mix(index ^ (term << 40)) % 20000, 's') + entry_payload(index, term);
}

inline raft::ConfState snapshot_conf() {
    return raft::ConfState{{1, 2, 3}, {4}};
}

// The durable state as the test understands it: the snapshot, the hard state and the terms of
// the entries after the snapshot (entry contents follow from index and term).
struct Model {
    raft::Index snapshot_index = 0;
    raft::Term snapshot_term = 0;
    raft::HardState hard_state;
    std::vector<raft::Term> terms;  // terms[i] is the term of entry snapshot_index + 1 + i

    raft::Index last_index() const { return snapshot_index + terms.size(); }
    bool operator==(const Model&) const = default;
};

}  // namespace orcraft::tests::crash
