#pragma once
// What one load thread counts: answered requests, latencies, and failures by kind.
//
// Each ThreadStats has one writer (its load thread) and any number of readers (the progress and
// report code), like LatencyHistogram: counters are relaxed atomics written by plain load+store.
// StatsSnapshot is the plain-data copy that is merged across threads and subtracted between
// two moments.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "bench/orcraft_bench/histogram.hpp"

namespace orcraft::bench {

// Failures that are not an HTTP status: the connection could not be opened, the answer did not
// come in time, the peer closed or reset the connection mid-request, or the answer was not HTTP.
enum class FailureKind { Connect, Timeout, Closed, Protocol };
inline constexpr std::size_t kFailureKinds = 4;
const char* failure_name(FailureKind kind);

struct StatsSnapshot {
    std::uint64_t ok = 0;
    std::uint64_t rows = 0;  // rows written by acknowledged requests
    std::array<std::uint64_t, kFailureKinds> failures{};
    std::array<std::uint64_t, 600> statuses{};  // non-200 answers by status code
    HistogramSnapshot latency;                  // of the acknowledged (200) requests, in ns

    std::uint64_t errors() const;
    // Error counts by name ("connect", "timeout", "http_503", ...), non-zero ones only.
    std::map<std::string, std::uint64_t> errors_by_kind() const;
    void add(const StatsSnapshot& other);
    StatsSnapshot since(const StatsSnapshot& earlier) const;
};

class ThreadStats {
  public:
    void record_ok(std::uint64_t latency_ns, std::uint64_t rows) {
        latency_.record(latency_ns);
        bump(ok_, 1);
        bump(rows_, rows);
    }
    void record_failure(FailureKind kind) { bump(failures_[static_cast<std::size_t>(kind)], 1); }
    void record_status(int status) {
        bump(statuses_[status >= 0 && status < 600 ? static_cast<std::size_t>(status) : 0], 1);
    }
    StatsSnapshot snapshot() const;

  private:
    static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by) {
        counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
    LatencyHistogram latency_;
    std::atomic<std::uint64_t> ok_{0};
    std::atomic<std::uint64_t> rows_{0};
    std::array<std::atomic<std::uint64_t>, kFailureKinds> failures_{};
    std::array<std::atomic<std::uint64_t>, 600> statuses_{};
};

}  // namespace orcraft::bench
