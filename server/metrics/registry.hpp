#pragma once
// A set of metric families and their Prometheus text exposition.
//
// A family is one metric name with its help text, its type and its label names; each
// combination of label values is one series (a Counter, Gauge or Histogram from metric.hpp).
// Series are created on first use and never removed, so a reference to one stays valid for the
// Registry's lifetime. Label values must come from small fixed sets (route names, outcomes,
// status codes): every distinct combination stays in memory and in every scrape.
//
// Cost: Family::labels() takes the family's mutex and looks the values up in a small ordered
// map, without allocating when the series exists; callers on a hot path that always use the same
// labels keep the returned reference instead. Updating a series never locks.
//
// Scrape hooks: a provider whose numbers live elsewhere (the raft runtime's state, the process's
// memory) registers a function with on_scrape(); expose() runs every hook, one at a time, before
// it renders, so the hook can set gauges and advance counters from its source. The returned
// ScrapeHook unregisters the function when destroyed; after its destructor returns the function
// is not running and will not run again. A hook must not call on_scrape() or expose().
//
// Threading: every method may be called from any thread.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/metrics/metric.hpp"

namespace orcraft::server::metrics {

enum class MetricType { Counter, Gauge, Histogram };

// What a family of any type shares; the exposition walks families through this interface.
class FamilyBase {
  public:
    FamilyBase(std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names);
    virtual ~FamilyBase() = default;
    FamilyBase(const FamilyBase&) = delete;
    FamilyBase& operator=(const FamilyBase&) = delete;

    const std::string& name() const { return name_; }
    const std::string& help() const { return help_; }
    MetricType type() const { return type_; }
    const std::vector<std::string>& label_names() const { return label_names_; }

    // Appends the family's # HELP and # TYPE lines and all its samples to `out`.
    void render(std::string& out) const;

  protected:
    using LabelValues = std::vector<std::string>;
    // Ordering of label value lists that also compares against views, so lookups need no copy.
    struct LabelsLess {
        using is_transparent = void;
        bool operator()(std::span<const std::string> a, std::span<const std::string> b) const;
        bool operator()(std::span<const std::string> a, std::span<const std::string_view> b) const;
        bool operator()(std::span<const std::string_view> a, std::span<const std::string> b) const;
    };
    // Throws std::invalid_argument unless there is one value per label name.
    void check_arity(std::size_t values) const;
    // Appends the samples of every series, in label order (the caller holds no lock).
    virtual void render_samples(std::string& out) const = 0;

    mutable std::mutex mutex_;

  private:
    std::string name_;
    std::string help_;
    MetricType type_;
    std::vector<std::string> label_names_;
};

template <typename Metric>
class Family : public FamilyBase {
  public:
    // `make` builds a new series (histograms need their bounds).
    Family(std::string name, std::string help, MetricType type,
           std::vector<std::string> label_names, std::function<std::unique_ptr<Metric>()> make)
        : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
          make_(std::move(make)) {
        if (this->label_names().empty()) series_.emplace(LabelValues{}, make_());
    }

    // The series with these label values, one per label name in the order of the family's
    // label names; created at the first call. Throws std::invalid_argument on a wrong number of
    // values.
    Metric& labels(std::initializer_list<std::string_view> values) {
        return labels(std::span<const std::string_view>(values.begin(), values.size()));
    }
    Metric& labels(std::span<const std::string_view> values) {
        check_arity(values.size());
        std::lock_guard lock(mutex_);
        auto it = series_.find(values);
        if (it == series_.end())
            it = series_.emplace(LabelValues(values.begin(), values.end()), make_()).first;
        return *it->second;
    }
    // The only series of a family without labels.
    Metric& get() { return labels(std::span<const std::string_view>{}); }

  protected:
    void render_samples(std::string& out) const override;

  private:
    std::function<std::unique_ptr<Metric>()> make_;
    std::map<LabelValues, std::unique_ptr<Metric>, LabelsLess> series_;
};

class Registry;

// Keeps a scrape hook registered; see the file comment.
class ScrapeHook {
  public:
    ScrapeHook() = default;
    ScrapeHook(Registry* registry, std::uint64_t id) : registry_(registry), id_(id) {}
    ScrapeHook(ScrapeHook&& other) noexcept;
    ScrapeHook& operator=(ScrapeHook&& other) noexcept;
    ~ScrapeHook() { reset(); }
    // Unregisters now (idempotent).
    void reset();

  private:
    Registry* registry_ = nullptr;
    std::uint64_t id_ = 0;
};

class Registry {
  public:
    Registry() = default;
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    // Registers a family. Throws std::invalid_argument on an invalid or already used metric name
    // or an invalid or repeated label name ("le" is reserved for histograms' buckets).
    Family<Counter>& counter(std::string name, std::string help,
                             std::vector<std::string> label_names = {});
    Family<Gauge>& gauge(std::string name, std::string help,
                         std::vector<std::string> label_names = {});
    Family<Histogram>& histogram(std::string name, std::string help,
                                 std::vector<double> upper_bounds,
                                 std::vector<std::string> label_names = {});

    [[nodiscard]] ScrapeHook on_scrape(std::function<void()> hook);

    // Runs the scrape hooks, then renders every family in registration order.
    std::string expose();

  private:
    friend class ScrapeHook;
    void remove_hook(std::uint64_t id);
    template <typename F>
    F& add(std::unique_ptr<F> family);

    std::mutex families_mutex_;
    std::vector<std::unique_ptr<FamilyBase>> families_;
    std::mutex hooks_mutex_;
    std::uint64_t next_hook_id_ = 1;
    std::map<std::uint64_t, std::function<void()>> hooks_;
};

// Renders one series of each kind; `labels` is the already escaped `a="x",b="y"` list (may be
// empty). Used by Family::render_samples().
void render_series(std::string& out, const std::string& name, const std::string& labels,
                   const Counter& counter);
void render_series(std::string& out, const std::string& name, const std::string& labels,
                   const Gauge& gauge);
void render_series(std::string& out, const std::string& name, const std::string& labels,
                   const Histogram& histogram);
std::string render_labels(std::span<const std::string> names, std::span<const std::string> values);

template <typename Metric>
void Family<Metric>::render_samples(std::string& out) const {
    // Copy the series pointers under the lock, render without it: series are never removed.
    std::vector<std::pair<const LabelValues*, const Metric*>> series;
    {
        std::lock_guard lock(mutex_);
        series.reserve(series_.size());
        for (const auto& [values, metric] : series_)
            series.emplace_back(&values, metric.get());
    }
    for (const auto& [values, metric] : series)
        render_series(out, name(), render_labels(label_names(), *values), *metric);
}

}  // namespace orcraft::server::metrics
