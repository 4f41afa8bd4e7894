#include "server/metrics/metric.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace orcraft::server::metrics {

void Counter::advance_to(std::uint64_t total) {
    auto current = value_.load(std::memory_order_relaxed);
    while (current < total &&
           !value_.compare_exchange_weak(current, total, std::memory_order_relaxed)) {
    }
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(bounds_.size() + 1) {
    if (bounds_.empty()) throw std::invalid_argument("histogram: no bucket bounds");
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        if (!std::isfinite(bounds_[i]))
            throw std::invalid_argument("histogram: bucket bounds must be finite");
        if (i > 0 && !(bounds_[i - 1] < bounds_[i]))
            throw std::invalid_argument("histogram: bucket bounds must increase strictly");
    }
}

void Histogram::observe(double value) {
    if (std::isnan(value)) return;
    // The first bound that is >= value; past the end means the +Inf bucket.
    const auto slot = static_cast<std::size_t>(
        std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
    buckets_[slot].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    s.upper_bounds = bounds_;
    s.cumulative.reserve(buckets_.size());
    std::uint64_t running = 0;
    for (const auto& bucket : buckets_) {
        running += bucket.load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    s.count = running;
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
    if (!(start > 0) || !(factor > 1) || count < 1)
        throw std::invalid_argument("exponential_buckets: need start > 0, factor > 1, count >= 1");
    std::vector<double> bounds;
    bounds.reserve(static_cast<std::size_t>(count));
    double bound = start;
    for (int i = 0; i < count; ++i) {
        bounds.push_back(bound);
        bound *= factor;
    }
    return bounds;
}

std::vector<double> linear_buckets(double start, double width, int count) {
    if (!(width > 0) || count < 1)
        throw std::invalid_argument("linear_buckets: need width > 0, count >= 1");
    std::vector<double> bounds;
    bounds.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i)
        bounds.push_back(start + width * i);
    return bounds;
}

}  // namespace orcraft::server::metrics
