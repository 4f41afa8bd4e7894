#pragma once
// The text orcraft-bench prints: one progress line per second while it runs, the final table,
// and the optional one-line JSON summary.
//
// The final table has one "name  value" row per line (names may contain spaces, values do not;
// two or more spaces separate them) so that scripts can read it as well as people.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/orcraft_bench/options.hpp"
#include "bench/orcraft_bench/stats.hpp"

namespace orcraft::bench {

struct Summary {
    double seconds = 0;  // measured time, without the warmup
    StatsSnapshot stats;
    // Fsyncs per committed entry over the measured window, when the nodes' metrics tell.
    std::optional<double> fsyncs_per_entry;
};

std::string progress_line(double elapsed_s, bool warming_up, const StatsSnapshot& interval,
                          double interval_s);
std::string final_table(const Options& options, const Summary& summary);
nlohmann::json json_summary(const Options& options, const Summary& summary);

}  // namespace orcraft::bench
