#pragma once
// Latency histograms with logarithmic buckets, in the manner of HDR histograms.
//
// A value (nanoseconds) lands in a bucket whose width is at most 1/64 of the value, so every
// percentile read back is within about 1.6 % of the true one, from 1 ns up to about 18 minutes
// (larger values count in the last bucket). LatencyHistogram has exactly one writer thread:
// record() is a relaxed load and store per counter, with no lock and no read-modify-write, and any
// other thread may take a snapshot() at any time (it sees each counter at some recent value).
// Snapshots are plain data: they add (to merge the histograms of several threads) and subtract (to
// get what happened between two snapshots of the same histograms, e.g. one second of progress, or
// the run without its warmup).

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace orcraft::bench {

// Values below 2^kSubBits have a bucket each; above, every power of two is cut into
// 2^(kSubBits-1) equal buckets.
inline constexpr int kSubBits = 7;
inline constexpr int kMaxValueBits = 40;
inline constexpr std::size_t kBucketCount = (std::size_t{kMaxValueBits - kSubBits + 1} + 1)
                                            << (kSubBits - 1);

// The bucket of a value, and the largest value that lands in a bucket.
std::size_t bucket_of(std::uint64_t value);
std::uint64_t bucket_upper(std::size_t bucket);

struct HistogramSnapshot {
    std::vector<std::uint64_t> counts = std::vector<std::uint64_t>(kBucketCount, 0);
    std::uint64_t total = 0;
    std::uint64_t sum = 0;  // of the recorded values, for the mean

    void add(const HistogramSnapshot& other);
    // This minus an earlier snapshot of the same histogram(s).
    HistogramSnapshot since(const HistogramSnapshot& earlier) const;
    // The value at quantile q in [0, 1] (the upper edge of its bucket); 0 when empty.
    std::uint64_t quantile(double q) const;
    // The upper edge of the highest non-empty bucket; 0 when empty.
    std::uint64_t max() const;
    double mean() const {
        return total ? static_cast<double>(sum) / static_cast<double>(total) : 0;
    }
};

class LatencyHistogram {
  public:
    // Only the owning thread calls record().
    void record(std::uint64_t value) {
        bump(counts_[bucket_of(value)], 1);
        bump(total_, 1);
        bump(sum_, value);
    }
    // Safe from any thread.
    HistogramSnapshot snapshot() const;

  private:
    static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by) {
        counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
    std::array<std::atomic<std::uint64_t>, kBucketCount> counts_{};
    std::atomic<std::uint64_t> total_{0};
    std::atomic<std::uint64_t> sum_{0};
};

}  // namespace orcraft::bench
