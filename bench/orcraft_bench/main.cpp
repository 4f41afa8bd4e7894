// orcraft-bench: a load generator for orcraft's SQL API (and etcd's JSON gateway). See usage().
//
// The main thread prepares the target, starts the load threads, prints a progress line every
// second and the final table. Every number comes from snapshots of the threads' counters: the
// snapshot at the end of the warmup is subtracted from the one at the end of the run.

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "bench/orcraft_bench/failover.hpp"
#include "bench/orcraft_bench/load_thread.hpp"
#include "bench/orcraft_bench/metrics.hpp"
#include "bench/orcraft_bench/options.hpp"
#include "bench/orcraft_bench/report.hpp"
#include "bench/orcraft_bench/requests.hpp"
#include "bench/orcraft_bench/setup.hpp"

using namespace orcraft::bench;
using Clock = std::chrono::steady_clock;

namespace {

StatsSnapshot snapshot(const std::vector<std::unique_ptr<LoadThread>>& threads) {
    StatsSnapshot total;
    for (const auto& t : threads)
        total.add(t->stats().snapshot());
    return total;
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// The failover probe: no setup (the table exists already), one measurement, its result.
int run_failover(const Options& options, const RequestFactory& factory) {
    FailoverSettings settings;
    settings.pid = options.kill_pid;
    settings.signal = options.kill_signal;
    settings.deadline = std::chrono::milliseconds(static_cast<long>(options.duration_s * 1000));
    settings.request_timeout =
        std::chrono::milliseconds(static_cast<long>(options.timeout_s * 1000));
    const auto result = measure_failover(options, factory, settings);
    std::cout << "failover seconds        " << result.seconds << '\n'
              << "failover ok             " << (result.ok ? "yes" : "no") << '\n'
              << "failover attempts       " << result.attempts << '\n';
    if (!result.ok) std::cout << "failover last error     " << result.last_error << '\n';
    if (options.json) std::cout << failover_json(result, options.kill_signal).dump() << '\n';
    std::cout.flush();
    return result.ok ? 0 : 1;
}

int run(const Options& options) {
    RequestFactory factory(options);
    if (options.kill_pid != 0) return run_failover(options, factory);
    const auto targets = resolve(options.urls);
    run_setup(options, factory, std::chrono::seconds(30));

    MetricNames names;
    if (options.protocol == Protocol::Etcd) {
        names.path = "/metrics";
        names.fsyncs = "etcd_disk_wal_fsync_duration_seconds_count";
        names.commit_index = "etcd_server_proposals_committed_total";
    }
    if (!options.fsync_metric.empty()) names.fsyncs = options.fsync_metric;
    if (!options.commit_metric.empty()) names.commit_index = options.commit_metric;
    MetricsProbe probe(options.metrics_urls.empty() ? options.urls : options.metrics_urls, names);

    std::vector<std::vector<std::uint32_t>> shares(static_cast<std::size_t>(options.threads));
    for (int c = 0; c < options.clients; ++c)
        shares[static_cast<std::size_t>(c % options.threads)].push_back(
            static_cast<std::uint32_t>(c));
    std::vector<std::unique_ptr<LoadThread>> threads;
    for (auto& share : shares)
        threads.push_back(
            std::make_unique<LoadThread>(options, factory, targets, std::move(share)));

    const auto start = Clock::now();
    for (auto& t : threads)
        t->start();
    const auto warmup_end = start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(options.warmup_s));
    const auto end = warmup_end + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(options.duration_s));

    StatsSnapshot base;  // at the end of the warmup
    Clock::time_point base_time = start;
    StatsSnapshot previous;
    Clock::time_point previous_time = start;
    bool measuring = options.warmup_s == 0;
    if (measuring && options.metrics) probe.read_start();
    auto next_tick = start + std::chrono::seconds(1);
    for (;;) {
        auto wake = std::min({next_tick, measuring ? end : warmup_end});
        // With a request count to reach, look at the counters often so as not to overshoot much.
        if (options.max_requests > 0)
            wake = std::min(wake, Clock::now() + std::chrono::milliseconds(10));
        std::this_thread::sleep_until(wake);  // pacing of the progress lines, not synchronisation
        const auto now = Clock::now();
        auto current = snapshot(threads);
        if (!measuring && now >= warmup_end) {
            measuring = true;
            base = current;
            base_time = now;
            if (options.metrics) probe.read_start();
        }
        if (now >= next_tick) {
            if (options.progress) {
                std::cerr << progress_line(seconds_between(start, now), previous_time < warmup_end,
                                           current.since(previous),
                                           seconds_between(previous_time, now))
                          << '\n';
            }
            previous = current;
            previous_time = now;
            next_tick += std::chrono::seconds(1);
        }
        const bool count_reached =
            options.max_requests > 0 && current.ok - base.ok >= options.max_requests;
        if (measuring && (now >= end || count_reached)) {
            Summary summary;
            summary.seconds = seconds_between(base_time, now);
            summary.stats = current.since(base);
            if (options.metrics) {
                probe.read_end();
                summary.fsyncs_per_entry = probe.fsyncs_per_entry();
            }
            for (auto& t : threads)
                t->stop();
            std::cout << final_table(options, summary);
            if (options.json) std::cout << json_summary(options, summary).dump() << '\n';
            std::cout.flush();
            if (options.ack_log) {
                std::ofstream log(*options.ack_log, std::ios::trunc);
                for (auto& t : threads)
                    for (auto id : t->acknowledged())
                        log << id << '\n';
                if (!log.flush()) throw std::runtime_error("cannot write " + *options.ack_log);
            }
            return 0;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    try {
        options = parse_options(argc, argv);
    } catch (const OptionError& e) {
        if (std::string(e.what()).empty()) {
            std::cout << usage();
            return 0;
        }
        std::cerr << "orcraft-bench: " << e.what() << '\n';
        return 2;
    }
    try {
        return run(options);
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
}
