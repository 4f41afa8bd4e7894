#include "bench/orcraft_bench/report.hpp"

#include <fmt/format.h>

namespace orcraft::bench {
namespace {

double ms(std::uint64_t ns) {
    return static_cast<double>(ns) / 1e6;
}

void row(std::string& out, std::string_view name, const std::string& value) {
    out += fmt::format("{:<22}  {}\n", name, value);
}

std::string targets(const Options& options) {
    std::string out;
    for (const auto& u : options.urls)
        out += (out.empty() ? "" : ",") + u.text;
    return out;
}

}  // namespace

std::string progress_line(double elapsed_s, bool warming_up, const StatsSnapshot& interval,
                          double interval_s) {
    const double rate = interval_s > 0 ? static_cast<double>(interval.ok) / interval_s : 0;
    return fmt::format("[{:6.1f}s]{} {:9.0f} req/s  p50 {:7.3f} ms  p99 {:7.3f} ms  errors {}",
                       elapsed_s, warming_up ? " warmup" : "       ", rate,
                       ms(interval.latency.quantile(0.5)), ms(interval.latency.quantile(0.99)),
                       interval.errors());
}

std::string final_table(const Options& options, const Summary& s) {
    std::string out;
    const auto& h = s.stats.latency;
    const double rate = s.seconds > 0 ? static_cast<double>(s.stats.ok) / s.seconds : 0;
    const double row_rate = s.seconds > 0 ? static_cast<double>(s.stats.rows) / s.seconds : 0;
    row(out, "target",
        (options.protocol == Protocol::Etcd ? "etcd:" : "orcraft:") + targets(options));
    row(out, "workload", workload_name(options.workload));
    row(out, "clients", std::to_string(options.clients));
    row(out, "value size", std::to_string(options.value_size));
    if (options.workload == Workload::Batch) row(out, "batch", std::to_string(options.batch));
    row(out, "seconds", fmt::format("{:.2f}", s.seconds));
    row(out, "requests", std::to_string(s.stats.ok));
    row(out, "requests/s", fmt::format("{:.1f}", rate));
    if (is_write(options.workload)) row(out, "rows/s", fmt::format("{:.1f}", row_rate));
    row(out, "latency mean ms", fmt::format("{:.3f}", h.mean() / 1e6));
    row(out, "latency p50 ms", fmt::format("{:.3f}", ms(h.quantile(0.50))));
    row(out, "latency p90 ms", fmt::format("{:.3f}", ms(h.quantile(0.90))));
    row(out, "latency p99 ms", fmt::format("{:.3f}", ms(h.quantile(0.99))));
    row(out, "latency p99.9 ms", fmt::format("{:.3f}", ms(h.quantile(0.999))));
    row(out, "latency max ms", fmt::format("{:.3f}", ms(h.max())));
    if (s.fsyncs_per_entry)
        row(out, "fsyncs per entry", fmt::format("{:.3f}", *s.fsyncs_per_entry));
    row(out, "errors", std::to_string(s.stats.errors()));
    for (const auto& [kind, count] : s.stats.errors_by_kind())
        row(out, "errors " + kind, std::to_string(count));
    return out;
}

nlohmann::json json_summary(const Options& options, const Summary& s) {
    const auto& h = s.stats.latency;
    const double rate = s.seconds > 0 ? static_cast<double>(s.stats.ok) / s.seconds : 0;
    nlohmann::json errors = nlohmann::json::object();
    for (const auto& [kind, count] : s.stats.errors_by_kind())
        errors[kind] = count;
    nlohmann::json out = {
        {"target", options.protocol == Protocol::Etcd ? "etcd" : "orcraft"},
        {"urls", targets(options)},
        {"workload", workload_name(options.workload)},
        {"clients", options.clients},
        {"value_size", options.value_size},
        {"batch", options.workload == Workload::Batch ? options.batch : 1},
        {"seconds", s.seconds},
        {"requests", s.stats.ok},
        {"rows", s.stats.rows},
        {"requests_per_s", rate},
        {"latency_ms",
         {{"mean", h.mean() / 1e6},
          {"p50", ms(h.quantile(0.50))},
          {"p90", ms(h.quantile(0.90))},
          {"p99", ms(h.quantile(0.99))},
          {"p99.9", ms(h.quantile(0.999))},
          {"max", ms(h.max())}}},
        {"errors", s.stats.errors()},
        {"errors_by_kind", errors},
    };
    if (s.fsyncs_per_entry) out["fsyncs_per_entry"] = *s.fsyncs_per_entry;
    return out;
}

}  // namespace orcraft::bench
