#pragma once
// Reads a node's Prometheus metrics (GET <prefix>/api/metrics) so that the report can give the
// cluster's fsyncs per committed entry over the measured window.
//
// metric_value() sums every sample of one metric name in a text exposition, whatever its labels
// ("name 3", "name{route=\"x\"} 4"); nullopt when the name has no sample. MetricsProbe takes one
// reading of every URL at the start of the window and one at the end; fsyncs_per_entry() is then,
// averaged over the nodes that reported both metrics, the fsyncs a node made divided by the
// entries its commit index advanced. A node without the endpoint (or without the metrics) is
// left out; with none left the answer is nullopt and the report says nothing about fsyncs.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/orcraft_bench/options.hpp"

namespace orcraft::bench {

std::optional<double> metric_value(std::string_view exposition, std::string_view name);

struct MetricNames {
    // Where the exposition is served, after the URL prefix.
    std::string path = "/api/metrics";
    // A counter of fsyncs (or the _count of their duration histogram).
    std::string fsyncs = "orcraft_raft_fsyncs_total";
    // The node's commit index (a gauge).
    std::string commit_index = "orcraft_raft_commit_index";
};

class MetricsProbe {
  public:
    MetricsProbe(std::vector<TargetUrl> urls, MetricNames names);
    void read_start() { start_ = read(); }
    void read_end() { end_ = read(); }
    std::optional<double> fsyncs_per_entry() const;

  private:
    struct Reading {
        std::optional<double> fsyncs;
        std::optional<double> commit_index;
    };
    std::vector<Reading> read() const;

    std::vector<TargetUrl> urls_;
    MetricNames names_;
    std::vector<Reading> start_;
    std::vector<Reading> end_;
};

}  // namespace orcraft::bench
