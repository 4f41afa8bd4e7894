#include "bench/orcraft_bench/metrics.hpp"

#include <cstdlib>

#include "server/http/client.hpp"

namespace orcraft::bench {

std::optional<double> metric_value(std::string_view text, std::string_view name) {
    std::optional<double> sum;
    std::size_t at = 0;
    while (at < text.size()) {
        auto end = text.find('\n', at);
        if (end == std::string_view::npos) end = text.size();
        auto line = text.substr(at, end - at);
        at = end + 1;
        if (line.empty() || line.front() == '#') continue;
        if (line.substr(0, name.size()) != name) continue;
        auto rest = line.substr(name.size());
        if (rest.empty() || (rest.front() != ' ' && rest.front() != '{')) continue;
        if (rest.front() == '{') {
            auto close = rest.find('}');
            if (close == std::string_view::npos) continue;
            rest = rest.substr(close + 1);
        }
        std::string value(rest);
        char* parsed_end = nullptr;
        double v = std::strtod(value.c_str(), &parsed_end);
        if (parsed_end == value.c_str()) continue;
        sum = sum.value_or(0) + v;
    }
    return sum;
}

MetricsProbe::MetricsProbe(std::vector<TargetUrl> urls, MetricNames names)
    : urls_(std::move(urls)), names_(std::move(names)) {}

std::vector<MetricsProbe::Reading> MetricsProbe::read() const {
    std::vector<Reading> out(urls_.size());
    for (std::size_t i = 0; i < urls_.size(); ++i) {
        try {
            server::http::HttpClient client(
                urls_[i].host, urls_[i].port,
                {std::chrono::milliseconds(1000), std::chrono::milliseconds(2000)});
            auto response = client.get(urls_[i].prefix + names_.path);
            if (response.status != 200) continue;
            out[i].fsyncs = metric_value(response.body, names_.fsyncs);
            out[i].commit_index = metric_value(response.body, names_.commit_index);
        } catch (const server::http::ClientError&) {
            // A node that does not answer is left out of the figure.
        }
    }
    return out;
}

std::optional<double> MetricsProbe::fsyncs_per_entry() const {
    double total = 0;
    int nodes = 0;
    for (std::size_t i = 0; i < start_.size() && i < end_.size(); ++i) {
        const auto& a = start_[i];
        const auto& b = end_[i];
        if (!a.fsyncs || !b.fsyncs || !a.commit_index || !b.commit_index) continue;
        const double entries = *b.commit_index - *a.commit_index;
        if (entries <= 0) continue;
        total += (*b.fsyncs - *a.fsyncs) / entries;
        ++nodes;
    }
    if (nodes == 0) return std::nullopt;
    return total / nodes;
}

}  // namespace orcraft::bench
