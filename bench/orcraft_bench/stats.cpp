#include "bench/orcraft_bench/stats.hpp"

namespace orcraft::bench {

const char* failure_name(FailureKind kind) {
    switch (kind) {
        case FailureKind::Connect:
            return "connect";
        case FailureKind::Timeout:
            return "timeout";
        case FailureKind::Closed:
            return "closed";
        case FailureKind::Protocol:
            return "protocol";
    }
    return "?";
}

std::uint64_t StatsSnapshot::errors() const {
    std::uint64_t n = 0;
    for (auto f : failures)
        n += f;
    for (auto s : statuses)
        n += s;
    return n;
}

std::map<std::string, std::uint64_t> StatsSnapshot::errors_by_kind() const {
    std::map<std::string, std::uint64_t> out;
    for (std::size_t i = 0; i < kFailureKinds; ++i)
        if (failures[i]) out[failure_name(static_cast<FailureKind>(i))] = failures[i];
    for (std::size_t i = 0; i < statuses.size(); ++i)
        if (statuses[i]) out["http_" + std::to_string(i)] = statuses[i];
    return out;
}

void StatsSnapshot::add(const StatsSnapshot& other) {
    ok += other.ok;
    rows += other.rows;
    for (std::size_t i = 0; i < kFailureKinds; ++i)
        failures[i] += other.failures[i];
    for (std::size_t i = 0; i < statuses.size(); ++i)
        statuses[i] += other.statuses[i];
    latency.add(other.latency);
}

StatsSnapshot StatsSnapshot::since(const StatsSnapshot& earlier) const {
    StatsSnapshot out;
    out.ok = ok - earlier.ok;
    out.rows = rows - earlier.rows;
    for (std::size_t i = 0; i < kFailureKinds; ++i)
        out.failures[i] = failures[i] - earlier.failures[i];
    for (std::size_t i = 0; i < statuses.size(); ++i)
        out.statuses[i] = statuses[i] - earlier.statuses[i];
    out.latency = latency.since(earlier.latency);
    return out;
}

StatsSnapshot ThreadStats::snapshot() const {
    StatsSnapshot out;
    out.ok = ok_.load(std::memory_order_relaxed);
    out.rows = rows_.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < kFailureKinds; ++i)
        out.failures[i] = failures_[i].load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < statuses_.size(); ++i)
        out.statuses[i] = statuses_[i].load(std::memory_order_relaxed);
    out.latency = latency_.snapshot();
    return out;
}

}  // namespace orcraft::bench
