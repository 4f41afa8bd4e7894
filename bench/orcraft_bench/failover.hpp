#pragma once
// The failover probe: how long after a node is killed the cluster acknowledges a write again.
//
// measure_failover() sends the signal to the process (its clock starts there), then writes
// through every URL it was given (the nodes that survive) until one write is answered 200.
// Writes to a cluster without a leader may hang instead of failing, so it does not wait for one
// attempt before the next: on each URL a new attempt (a new connection carrying one write from
// the workload: an INSERT, or an etcd put) starts every `interval` while fewer than
// `max_outstanding` are in flight there, and each attempt gives up after the request timeout.
// It returns when an attempt succeeded (after the attempts still in flight have ended) or when
// the deadline passed.

#include <sys/types.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/orcraft_bench/options.hpp"
#include "bench/orcraft_bench/requests.hpp"

namespace orcraft::bench {

struct FailoverResult {
    bool ok = false;
    double seconds = 0;  // from the signal to the first 200 (to the deadline when !ok)
    int attempts = 0;    // attempts started
    std::string via;     // the URL that answered first
    std::string last_error;
};

struct FailoverSettings {
    pid_t pid = 0;
    int signal = 9;
    std::chrono::milliseconds deadline{10'000};
    std::chrono::milliseconds request_timeout{1'000};
    std::chrono::milliseconds interval{20};
    int max_outstanding = 25;  // per URL
};

// Throws std::runtime_error when the signal cannot be sent.
FailoverResult measure_failover(const Options& options, const RequestFactory& factory,
                                const FailoverSettings& settings);

nlohmann::json failover_json(const FailoverResult& result, int signal);

}  // namespace orcraft::bench
