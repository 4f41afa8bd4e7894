#pragma once
// The three kinds of metric a node exports: Counter, Gauge and Histogram.
//
// Each object is one time series (one combination of label values). Updates are lock-free
// atomic operations with relaxed ordering, so they are safe from any thread and cost a few
// nanoseconds on the hot path; a reader (the exposition) sees every update that happened before
// it started, and possibly some that race with it. Objects are owned by a Registry's families
// (registry.hpp) and live as long as the Registry: a caller may keep a reference and update it
// without any lookup.

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

namespace orcraft::server::metrics {

// A monotonically increasing count (requests, fsyncs, snapshots taken).
class Counter {
  public:
    void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }

    // Mirrors a total kept elsewhere (for example a counter of the raft runtime read at scrape
    // time): the value becomes `total` unless it is already higher, so the exported series never
    // goes backwards even if two scrapes race.
    void advance_to(std::uint64_t total);

    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down (the raft term, the commit index, bytes received so far).
class Gauge {
  public:
    void set(double v) { value_.store(v, std::memory_order_relaxed); }
    void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
    void inc() { add(1); }
    void dec() { add(-1); }
    double value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0};
};

// A distribution over fixed buckets, exported as Prometheus' cumulative `_bucket{le="..."}`
// series plus `_sum` and `_count`.
//
// The bucket upper bounds are given at construction, strictly increasing and finite; an
// implicit last bucket (+Inf) takes everything above the last bound. A value equal to a bound
// falls into that bound's bucket (le means "less than or equal"). NaN observations are ignored.
class Histogram {
  public:
    // Throws std::invalid_argument when `upper_bounds` is empty, not strictly increasing or
    // contains a non-finite number.
    explicit Histogram(std::vector<double> upper_bounds);

    void observe(double value);

    struct Snapshot {
        std::vector<double> upper_bounds;       // without the +Inf bucket
        std::vector<std::uint64_t> cumulative;  // one per bound, then the +Inf bucket (= count)
        double sum = 0;
        std::uint64_t count = 0;
    };
    // The current state. `count` always equals the +Inf bucket; `sum` may lag or lead it by
    // observations that race with the snapshot.
    Snapshot snapshot() const;

    std::span<const double> upper_bounds() const { return bounds_; }

  private:
    std::vector<double> bounds_;
    // One slot per bound plus the +Inf slot; not cumulative (each observation touches one slot).
    std::vector<std::atomic<std::uint64_t>> buckets_;
    std::atomic<double> sum_{0};
};

// Bucket bounds start, start*factor, ..., `count` of them. Throws std::invalid_argument when
// start <= 0, factor <= 1 or count < 1.
std::vector<double> exponential_buckets(double start, double factor, int count);

// Bucket bounds start, start+width, ..., `count` of them. Throws std::invalid_argument when
// width <= 0 or count < 1.
std::vector<double> linear_buckets(double start, double width, int count);

}  // namespace orcraft::server::metrics
