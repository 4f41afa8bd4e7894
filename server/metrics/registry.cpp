#include "server/metrics/registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "server/metrics/text_format.hpp"

namespace orcraft::server::metrics {
namespace {

const char* type_name(MetricType type) {
    switch (type) {
        case MetricType::Counter:
            return "counter";
        case MetricType::Gauge:
            return "gauge";
        case MetricType::Histogram:
            return "histogram";
    }
    return "untyped";
}

template <typename A, typename B>
bool lexicographic_less(std::span<const A> a, std::span<const B> b) {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](const auto& x, const auto& y) { return std::string_view(x) < std::string_view(y); });
}

void append_sample(std::string& out, const std::string& name, std::string_view suffix,
                   const std::string& labels, const std::string& value) {
    out += name;
    out += suffix;
    if (!labels.empty()) {
        out += '{';
        out += labels;
        out += '}';
    }
    out += ' ';
    out += value;
    out += '\n';
}

}  // namespace

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {
    if (!valid_metric_name(name_))
        throw std::invalid_argument("metrics: invalid metric name '" + name_ + "'");
    for (std::size_t i = 0; i < label_names_.size(); ++i) {
        const auto& label = label_names_[i];
        if (!valid_label_name(label))
            throw std::invalid_argument("metrics: " + name_ + ": invalid label name '" + label +
                                        "'");
        if (type_ == MetricType::Histogram && label == "le")
            throw std::invalid_argument("metrics: " + name_ + ": label 'le' is reserved");
        if (std::find(label_names_.begin(), label_names_.begin() + static_cast<long>(i), label) !=
            label_names_.begin() + static_cast<long>(i))
            throw std::invalid_argument("metrics: " + name_ + ": label '" + label + "' repeated");
    }
}

void FamilyBase::render(std::string& out) const {
    out += "# HELP ";
    out += name_;
    out += ' ';
    out += escape_help(help_);
    out += "\n# TYPE ";
    out += name_;
    out += ' ';
    out += type_name(type_);
    out += '\n';
    render_samples(out);
}

bool FamilyBase::LabelsLess::operator()(std::span<const std::string> a,
                                        std::span<const std::string> b) const {
    return lexicographic_less(a, b);
}
bool FamilyBase::LabelsLess::operator()(std::span<const std::string> a,
                                        std::span<const std::string_view> b) const {
    return lexicographic_less(a, b);
}
bool FamilyBase::LabelsLess::operator()(std::span<const std::string_view> a,
                                        std::span<const std::string> b) const {
    return lexicographic_less(a, b);
}

void FamilyBase::check_arity(std::size_t values) const {
    if (values != label_names_.size())
        throw std::invalid_argument("metrics: " + name_ + ": expected " +
                                    std::to_string(label_names_.size()) + " label values, got " +
                                    std::to_string(values));
}

std::string render_labels(std::span<const std::string> names, std::span<const std::string> values) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
        if (i > 0) out += ',';
        out += names[i];
        out += "=\"";
        out += escape_label_value(values[i]);
        out += '"';
    }
    return out;
}

void render_series(std::string& out, const std::string& name, const std::string& labels,
                   const Counter& counter) {
    append_sample(out, name, "", labels, format_value(static_cast<double>(counter.value())));
}

void render_series(std::string& out, const std::string& name, const std::string& labels,
                   const Gauge& gauge) {
    append_sample(out, name, "", labels, format_value(gauge.value()));
}

void render_series(std::string& out, const std::string& name, const std::string& labels,
                   const Histogram& histogram) {
    const auto s = histogram.snapshot();
    const std::string separator = labels.empty() ? "" : ",";
    for (std::size_t i = 0; i <= s.upper_bounds.size(); ++i) {
        const std::string le =
            i < s.upper_bounds.size() ? format_value(s.upper_bounds[i]) : std::string("+Inf");
        append_sample(out, name, "_bucket", labels + separator + "le=\"" + le + "\"",
                      format_value(static_cast<double>(s.cumulative[i])));
    }
    append_sample(out, name, "_sum", labels, format_value(s.sum));
    append_sample(out, name, "_count", labels, format_value(static_cast<double>(s.count)));
}

ScrapeHook::ScrapeHook(ScrapeHook&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)), id_(other.id_) {}

ScrapeHook& ScrapeHook::operator=(ScrapeHook&& other) noexcept {
    if (this != &other) {
        reset();
        registry_ = std::exchange(other.registry_, nullptr);
        id_ = other.id_;
    }
    return *this;
}

void ScrapeHook::reset() {
    if (registry_ != nullptr) registry_->remove_hook(id_);
    registry_ = nullptr;
}

template <typename F>
F& Registry::add(std::unique_ptr<F> family) {
    std::lock_guard lock(families_mutex_);
    for (const auto& f : families_)
        if (f->name() == family->name())
            throw std::invalid_argument("metrics: '" + family->name() + "' registered twice");
    auto& ref = *family;
    families_.push_back(std::move(family));
    return ref;
}

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
    return add(std::make_unique<Family<Counter>>(std::move(name), std::move(help),
                                                 MetricType::Counter, std::move(label_names),
                                                 [] { return std::make_unique<Counter>(); }));
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> label_names) {
    return add(std::make_unique<Family<Gauge>>(std::move(name), std::move(help), MetricType::Gauge,
                                               std::move(label_names),
                                               [] { return std::make_unique<Gauge>(); }));
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<double> upper_bounds,
                                       std::vector<std::string> label_names) {
    Histogram check(upper_bounds);  // throws on bad bounds before anything is registered
    return add(std::make_unique<Family<Histogram>>(
        std::move(name), std::move(help), MetricType::Histogram, std::move(label_names),
        [bounds = std::move(upper_bounds)] { return std::make_unique<Histogram>(bounds); }));
}

ScrapeHook Registry::on_scrape(std::function<void()> hook) {
    std::lock_guard lock(hooks_mutex_);
    const auto id = next_hook_id_++;
    hooks_.emplace(id, std::move(hook));
    return ScrapeHook(this, id);
}

void Registry::remove_hook(std::uint64_t id) {
    std::lock_guard lock(hooks_mutex_);
    hooks_.erase(id);
}

std::string Registry::expose() {
    {
        std::lock_guard lock(hooks_mutex_);
        for (auto& [id, hook] : hooks_) {
            // A failing source leaves its series at their previous values; the rest still
            // renders.
            try {
                hook();
            } catch (const std::exception& e) {
                spdlog::warn("metrics: a scrape hook failed: {}", e.what());
            }
        }
    }
    std::vector<const FamilyBase*> families;
    {
        std::lock_guard lock(families_mutex_);
        for (const auto& f : families_)
            families.push_back(f.get());
    }
    std::string out;
    for (const auto* f : families)
        f->render(out);
    return out;
}

}  // namespace orcraft::server::metrics
