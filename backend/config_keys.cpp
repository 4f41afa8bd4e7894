// The key table (built from config_keys.def) and applying a JSON document to a Config.

#include <cctype>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "backend/config.hpp"

namespace orcraft::backend {

namespace {

using json = nlohmann::ordered_json;

struct Rule {
    bool has_range = false;
    std::int64_t min = 0;
    std::int64_t max = 0;
    bool secret = false;
};

constexpr Rule any() {
    return {};
}
constexpr Rule range(std::int64_t min, std::int64_t max) {
    return {true, min, max, false};
}
constexpr Rule secret() {
    return {false, 0, 0, true};
}

// A value of the wrong type or out of range; the caller adds the file name.
struct ValueError {
    std::string message;
};

std::string kind_of(const json& v) {
    switch (v.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::boolean:
            return "a boolean (" + v.dump() + ")";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return "a number (" + v.dump() + ")";
        case json::value_t::string:
            return "a string (" + v.dump() + ")";
        case json::value_t::array:
            return "an array";
        case json::value_t::object:
            return "an object";
        default:
            return "an unsupported value";
    }
}

[[noreturn]] void wrong_type(std::string_view key, std::string_view expected, const json& v) {
    throw ValueError{std::string(key) + " must be " + std::string(expected) + ", not " +
                     kind_of(v)};
}

std::int64_t integer_in(const json& v, std::string_view key, const Rule& rule,
                        std::int64_t type_min, std::int64_t type_max) {
    if (!v.is_number_integer()) wrong_type(key, "an integer", v);
    const std::int64_t lo = rule.has_range ? rule.min : type_min;
    const std::int64_t hi = rule.has_range ? rule.max : type_max;
    const bool too_big = v.is_number_unsigned() &&
                         v.get<std::uint64_t>() >
                             static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    const std::int64_t n = too_big ? 0 : v.get<std::int64_t>();
    if (too_big || n < lo || n > hi) {
        throw ValueError{std::string(key) + " is " + v.dump() + "; it must be between " +
                         std::to_string(lo) + " and " + std::to_string(hi)};
    }
    return n;
}

[[maybe_unused]] void assign(bool& field, const json& v, std::string_view key, const Rule&) {
    if (!v.is_boolean()) wrong_type(key, "a boolean (true or false)", v);
    field = v.get<bool>();
}

[[maybe_unused]] void assign(int& field, const json& v, std::string_view key, const Rule& rule) {
    field = static_cast<int>(
        integer_in(v, key, rule, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

[[maybe_unused]] void assign(std::int64_t& field, const json& v, std::string_view key,
                             const Rule& rule) {
    field = integer_in(v, key, rule, std::numeric_limits<std::int64_t>::min(),
                       std::numeric_limits<std::int64_t>::max());
}

[[maybe_unused]] void assign(double& field, const json& v, std::string_view key, const Rule& rule) {
    if (!v.is_number()) wrong_type(key, "a number", v);
    const double d = v.get<double>();
    if (rule.has_range &&
        (d < static_cast<double>(rule.min) || d > static_cast<double>(rule.max))) {
        throw ValueError{std::string(key) + " is " + v.dump() + "; it must be between " +
                         std::to_string(rule.min) + " and " + std::to_string(rule.max)};
    }
    field = d;
}

[[maybe_unused]] void assign(std::string& field, const json& v, std::string_view key, const Rule&) {
    if (!v.is_string()) wrong_type(key, "a string", v);
    field = v.get<std::string>();
}

[[maybe_unused]] void assign(std::vector<std::string>& field, const json& v, std::string_view key,
                             const Rule&) {
    if (!v.is_array()) wrong_type(key, "an array of strings", v);
    std::vector<std::string> out;
    for (const auto& item : v) {
        if (!item.is_string()) wrong_type(key, "an array of strings", item);
        out.push_back(item.get<std::string>());
    }
    field = std::move(out);
}

template <class T>
nlohmann::json to_json_value(const T& field, const Rule& rule) {
    if constexpr (std::is_same_v<T, std::string>) {
        if (rule.secret && !field.empty()) return "****";
    }
    return nlohmann::json(field);
}

struct KeySpec {
    std::string_view name;
    Rule rule;
    void (*assign)(Config&, const json&, std::string_view, const Rule&);
    nlohmann::json (*to_json)(const Config&, const Rule&);
};

const std::vector<KeySpec>& key_table() {
    static const std::vector<KeySpec> table = {
#define ORCRAFT_CONFIG_KEY(type, field, json_key, default_value, rule)        \
    KeySpec{json_key, rule,                                                   \
            [](Config& c, const json& v, std::string_view k, const Rule& r) { \
                assign(c.field, v, k, r);                                     \
            },                                                                \
            [](const Config& c, const Rule& r) { return to_json_value(c.field, r); }},
#include "backend/config_keys.def"
    };
    return table;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// JSON names are matched exactly first, then case-insensitively, as Go's encoding/json (which
// orchestrator uses) does.
const KeySpec* find_key(std::string_view name) {
    static const auto maps = [] {
        std::pair<std::unordered_map<std::string_view, const KeySpec*>,
                  std::unordered_map<std::string, const KeySpec*>>
            m;
        for (const auto& spec : key_table()) {
            m.first.emplace(spec.name, &spec);
            m.second.emplace(lower(spec.name), &spec);
        }
        return m;
    }();
    if (auto it = maps.first.find(name); it != maps.first.end()) return it->second;
    if (auto it = maps.second.find(lower(name)); it != maps.second.end()) return it->second;
    return nullptr;
}

}  // namespace

void apply_config_json(Config& config, const std::string& text, const std::string& origin,
                       std::vector<std::string>& unknown) {
    const std::string prefix = "Cannot read config file: " + origin + ": ";
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        throw ConfigError(prefix + e.what());
    }
    if (!doc.is_object()) throw ConfigError(prefix + "the top level must be a JSON object");
    for (const auto& [name, value] : doc.items()) {
        const KeySpec* spec = find_key(name);
        if (spec == nullptr) {
            unknown.push_back(name);
            continue;
        }
        // null leaves the current value, as Go's decoder does.
        if (value.is_null()) continue;
        try {
            spec->assign(config, value, spec->name, spec->rule);
        } catch (const ValueError& e) {
            throw ConfigError(prefix + e.message);
        }
    }
}

nlohmann::json config_to_json(const Config& config) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& spec : key_table()) {
        out[std::string(spec.name)] = spec.to_json(config, spec.rule);
    }
    return out;
}

std::vector<std::string> config_key_names() {
    std::vector<std::string> out;
    for (const auto& spec : key_table())
        out.emplace_back(spec.name);
    return out;
}

}  // namespace orcraft::backend
