#include "server/http/headers.hpp"

#include <algorithm>

namespace orcraft::server::http {

namespace {

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
    for (const auto& [k, v] : fields_) {
        if (iequals(k, name)) return std::string_view(v);
    }
    return std::nullopt;
}

std::vector<std::string> Headers::get_all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : fields_) {
        if (iequals(k, name)) out.push_back(v);
    }
    return out;
}

void Headers::add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
    auto first = std::find_if(fields_.begin(), fields_.end(),
                              [&](const Field& f) { return iequals(f.first, name); });
    if (first == fields_.end()) {
        fields_.emplace_back(std::move(name), std::move(value));
        return;
    }
    first->first = std::move(name);
    first->second = std::move(value);
    auto rest = std::remove_if(std::next(first), fields_.end(),
                               [&](const Field& f) { return iequals(f.first, first->first); });
    fields_.erase(rest, fields_.end());
}

std::size_t Headers::remove(std::string_view name) {
    auto rest = std::remove_if(fields_.begin(), fields_.end(),
                               [&](const Field& f) { return iequals(f.first, name); });
    auto n = static_cast<std::size_t>(std::distance(rest, fields_.end()));
    fields_.erase(rest, fields_.end());
    return n;
}

bool Headers::has_token(std::string_view name, std::string_view token) const {
    for (const auto& [k, v] : fields_) {
        if (!iequals(k, name)) continue;
        std::string_view rest = v;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            auto item = trim(rest.substr(0, comma));
            if (iequals(item, token)) return true;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return false;
}

}  // namespace orcraft::server::http
