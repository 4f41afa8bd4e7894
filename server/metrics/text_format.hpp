#pragma once
// Pieces of Prometheus' text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).

#include <string>
#include <string_view>

namespace orcraft::server::metrics {

// The Content-Type of an exposition.
inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// A sample value: integers (up to 2^53) without a fraction ("42"), other finite numbers in the
// shortest form that reads back exactly ("0.25", "1e-07"), and "NaN", "+Inf", "-Inf".
std::string format_value(double value);

// The text of a # HELP line: backslash and line feed escaped as \\ and \n.
std::string escape_help(std::string_view text);

// A label value between double quotes: backslash, double quote and line feed escaped as \\, \"
// and \n.
std::string escape_label_value(std::string_view value);

// Whether `name` is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).
bool valid_metric_name(std::string_view name);

// Whether `name` is a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", which
// Prometheus reserves).
bool valid_label_name(std::string_view name);

}  // namespace orcraft::server::metrics
