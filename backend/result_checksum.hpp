#pragma once
// The running checksum of applied results, which lets nodes detect that they diverged.
//
// For every applied index i (entries and markers alike, in order):
//
//     checksum(i) = XXH3_64bits_withSeed(le64(i) || result_bytes(i), seed = checksum(i - 1))
//
// where checksum(0) = 0 on a new database, and result_bytes(i) is checksum_form() of the entry's
// ApplyResult (command.hpp) or the single byte 0x00 for a marker (no-op and configuration
// entries). Two nodes that applied the same log from the same state hold the same checksum at
// the same index, whatever their backends; a node whose value differs from the leader's at an
// index both applied computed a different result there.
//
// A chain is "known" when it covers every index since the database was new or since the snapshot
// it was restored from. It becomes unknown when a node restarts without a checksum file matching
// its applied index (see SqlStateMachineOptions::checksum_file); it is known again after the next
// snapshot install. An unknown chain must not be compared.
//
// Not thread-safe; SqlStateMachine guards it.

#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>

namespace orcraft::backend {

struct ChecksumState {
    std::uint64_t index = 0;  // the last index folded in
    std::uint64_t value = 0;  // the checksum after it
    bool known = true;
    bool operator==(const ChecksumState&) const = default;
};

class ResultChecksum {
  public:
    explicit ResultChecksum(std::size_t history = 1024) : history_limit_(history) {}

    // Folds the result of `index`, which must follow state().index (the caller guarantees it).
    void fold(std::uint64_t index, std::string_view result_bytes);
    // Replaces the chain (after a restore, or when loading the checksum file).
    void reset(const ChecksumState& state);

    const ChecksumState& state() const { return state_; }
    // The value at `index` if it is among the last `history` folds of a known chain.
    std::optional<std::uint64_t> at(std::uint64_t index) const;

    // The fold function itself, for tests and for tools that recompute a chain.
    static std::uint64_t next(std::uint64_t previous, std::uint64_t index,
                              std::string_view result_bytes);

  private:
    std::size_t history_limit_;
    ChecksumState state_;
    std::deque<std::pair<std::uint64_t, std::uint64_t>> history_;
};

}  // namespace orcraft::backend
