// Counter, Gauge and Histogram on their own.

#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

#include "server/metrics/metric.hpp"

using namespace orcraft::server::metrics;

TEST_CASE("counter: increments and never goes back when mirroring a total", "[metrics]") {
    Counter c;
    CHECK(c.value() == 0);
    c.inc();
    c.inc(41);
    CHECK(c.value() == 42);
    c.advance_to(100);
    CHECK(c.value() == 100);
    c.advance_to(90);  // a stale reading of the source
    CHECK(c.value() == 100);
}

TEST_CASE("gauge: set, add, inc and dec", "[metrics]") {
    Gauge g;
    g.set(2.5);
    g.add(-1);
    g.inc();
    g.inc();
    g.dec();
    CHECK(g.value() == Approx(2.5));
}

TEST_CASE("histogram: a value equal to a bound falls into that bound's bucket", "[metrics]") {
    Histogram h({1, 2, 5});
    for (double v : {0.5, 1.0, 1.5, 2.0, 5.0, 5.0001, 100.0, -3.0})
        h.observe(v);
    h.observe(NAN);  // ignored
    const auto s = h.snapshot();
    REQUIRE(s.cumulative.size() == 4);
    CHECK(s.cumulative[0] == 3);  // -3, 0.5, 1
    CHECK(s.cumulative[1] == 5);  // + 1.5, 2
    CHECK(s.cumulative[2] == 6);  // + 5
    CHECK(s.cumulative[3] == 8);  // + 5.0001, 100 (+Inf)
    CHECK(s.count == 8);
    CHECK(s.sum == Approx(0.5 + 1 + 1.5 + 2 + 5 + 5.0001 + 100 - 3));
}

TEST_CASE("histogram: bounds must be finite and strictly increasing", "[metrics]") {
    CHECK_THROWS_AS(Histogram({}), std::invalid_argument);
    CHECK_THROWS_AS(Histogram({1, 1}), std::invalid_argument);
    CHECK_THROWS_AS(Histogram({2, 1}), std::invalid_argument);
    CHECK_THROWS_AS(Histogram({1, INFINITY}), std::invalid_argument);
    CHECK_THROWS_AS(Histogram({NAN}), std::invalid_argument);
    CHECK_NOTHROW(Histogram({-1, 0, 1}));
}

TEST_CASE("bucket helpers", "[metrics]") {
    CHECK(linear_buckets(0, 5, 3) == std::vector<double>{0, 5, 10});
    CHECK(exponential_buckets(1, 2, 4) == std::vector<double>{1, 2, 4, 8});
    CHECK_THROWS_AS(exponential_buckets(0, 2, 4), std::invalid_argument);
    CHECK_THROWS_AS(exponential_buckets(1, 1, 4), std::invalid_argument);
    CHECK_THROWS_AS(linear_buckets(0, 0, 4), std::invalid_argument);
    CHECK_THROWS_AS(linear_buckets(0, 1, 0), std::invalid_argument);
}

TEST_CASE("metrics from many threads: no update is lost", "[metrics]") {
    Counter counter;
    Gauge gauge;
    Histogram histogram({1, 10});
    constexpr int kThreads = 4;
    constexpr int kEach = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                counter.inc();
                gauge.add(1);
                histogram.observe(t % 2 == 0 ? 0.5 : 5);
            }
        });
    }
    for (auto& t : threads)
        t.join();
    CHECK(counter.value() == kThreads * kEach);
    CHECK(gauge.value() == kThreads * kEach);
    const auto s = histogram.snapshot();
    CHECK(s.count == kThreads * kEach);
    CHECK(s.cumulative[0] == kThreads / 2 * kEach);
    CHECK(s.sum == Approx(kThreads / 2 * kEach * 0.5 + kThreads / 2 * kEach * 5.0));
}
