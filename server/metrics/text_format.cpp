#include "server/metrics/text_format.hpp"

#include <charconv>
#include <cmath>

namespace orcraft::server::metrics {
namespace {

bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

}  // namespace

std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
    char buffer[64];
    if (value == std::floor(value) && std::fabs(value) <= kExactIntegers) {
        auto [end, ec] =
            std::to_chars(buffer, buffer + sizeof(buffer), static_cast<long long>(value));
        return std::string(buffer, end);
    }
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    return std::string(buffer, end);
}

std::string escape_help(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

bool valid_metric_name(std::string_view name) {
    if (name.empty() || !(is_letter(name[0]) || name[0] == ':')) return false;
    for (char c : name)
        if (!(is_letter(c) || is_digit(c) || c == ':')) return false;
    return true;
}

bool valid_label_name(std::string_view name) {
    if (name.empty() || !is_letter(name[0]) || name.substr(0, 2) == "__") return false;
    for (char c : name)
        if (!(is_letter(c) || is_digit(c))) return false;
    return true;
}

}  // namespace orcraft::server::metrics
