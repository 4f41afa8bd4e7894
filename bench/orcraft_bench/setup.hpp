#pragma once
// Prepares the target before the measured run: creates the table (orcraft) and loads the rows the
// select workloads read, through a plain blocking HTTP client. A cluster that is still electing
// answers 503 for a while, so each request is retried on every URL in turn until it gets 200 or
// `deadline` passes; then run_setup() throws std::runtime_error with the last answer.

#include <chrono>
#include <vector>

#include "bench/orcraft_bench/options.hpp"
#include "bench/orcraft_bench/requests.hpp"

namespace orcraft::bench {

void run_setup(const Options& options, const RequestFactory& factory,
               std::chrono::milliseconds deadline);

}  // namespace orcraft::bench
