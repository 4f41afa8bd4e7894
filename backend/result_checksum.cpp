#include "backend/result_checksum.hpp"

#include <xxhash.h>

#include <string>

namespace orcraft::backend {

std::uint64_t ResultChecksum::next(std::uint64_t previous, std::uint64_t index,
                                   std::string_view result_bytes) {
    std::string buf;
    buf.reserve(8 + result_bytes.size());
    for (int i = 0; i < 8; ++i) {
        buf.push_back(static_cast<char>((index >> (8 * i)) & 0xFF));
    }
    buf.append(result_bytes);
    return XXH3_64bits_withSeed(buf.data(), buf.size(), previous);
}

void ResultChecksum::fold(std::uint64_t index, std::string_view result_bytes) {
    state_.value = next(state_.value, index, result_bytes);
    state_.index = index;
    if (history_limit_ > 0) {
        history_.emplace_back(index, state_.value);
        if (history_.size() > history_limit_) {
            history_.pop_front();
        }
    }
}

void ResultChecksum::reset(const ChecksumState& state) {
    state_ = state;
    history_.clear();
    if (state.known && history_limit_ > 0) {
        history_.emplace_back(state.index, state.value);
    }
}

std::optional<std::uint64_t> ResultChecksum::at(std::uint64_t index) const {
    if (!state_.known || history_.empty() || index < history_.front().first ||
        index > history_.back().first) {
        return std::nullopt;
    }
    // Indexes in the history are increasing but may have gaps only across a reset, which
    // clears it; a binary search finds the entry.
    std::size_t lo = 0;
    std::size_t hi = history_.size();
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (history_[mid].first < index) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < history_.size() && history_[lo].first == index) {
        return history_[lo].second;
    }
    return std::nullopt;
}

}  // namespace orcraft::backend
