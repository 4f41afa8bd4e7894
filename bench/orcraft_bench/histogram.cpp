#include "bench/orcraft_bench/histogram.hpp"

#include <bit>
#include <cmath>

namespace orcraft::bench {

std::size_t bucket_of(std::uint64_t value) {
    constexpr std::uint64_t kLimit = (std::uint64_t{1} << kMaxValueBits) - 1;
    if (value > kLimit) value = kLimit;
    if (value < (std::uint64_t{1} << kSubBits)) return static_cast<std::size_t>(value);
    const int high_bit = 63 - std::countl_zero(value);
    const int shift = high_bit - kSubBits + 1;
    const std::uint64_t mantissa = value >> shift;  // in [2^(kSubBits-1), 2^kSubBits)
    return (static_cast<std::size_t>(shift) << (kSubBits - 1)) + static_cast<std::size_t>(mantissa);
}

std::uint64_t bucket_upper(std::size_t bucket) {
    constexpr std::size_t kHalf = std::size_t{1} << (kSubBits - 1);
    if (bucket < 2 * kHalf) return bucket;
    const std::size_t shift = bucket / kHalf - 1;
    const std::uint64_t mantissa = bucket % kHalf + kHalf;
    return ((mantissa + 1) << shift) - 1;
}

void HistogramSnapshot::add(const HistogramSnapshot& other) {
    for (std::size_t i = 0; i < counts.size(); ++i)
        counts[i] += other.counts[i];
    total += other.total;
    sum += other.sum;
}

HistogramSnapshot HistogramSnapshot::since(const HistogramSnapshot& earlier) const {
    HistogramSnapshot out;
    for (std::size_t i = 0; i < counts.size(); ++i)
        out.counts[i] = counts[i] - earlier.counts[i];
    out.total = total - earlier.total;
    out.sum = sum - earlier.sum;
    return out;
}

std::uint64_t HistogramSnapshot::quantile(double q) const {
    // Recount rather than trust `total`: a snapshot taken while the writer runs may see a bucket
    // counter and the total at slightly different moments.
    std::uint64_t count = 0;
    for (auto c : counts)
        count += c;
    if (count == 0) return 0;
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count)));
    if (rank == 0) rank = 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        seen += counts[i];
        if (seen >= rank) return bucket_upper(i);
    }
    return max();
}

std::uint64_t HistogramSnapshot::max() const {
    for (std::size_t i = counts.size(); i-- > 0;)
        if (counts[i]) return bucket_upper(i);
    return 0;
}

HistogramSnapshot LatencyHistogram::snapshot() const {
    HistogramSnapshot out;
    for (std::size_t i = 0; i < kBucketCount; ++i)
        out.counts[i] = counts_[i].load(std::memory_order_relaxed);
    out.total = total_.load(std::memory_order_relaxed);
    out.sum = sum_.load(std::memory_order_relaxed);
    return out;
}

}  // namespace orcraft::bench
