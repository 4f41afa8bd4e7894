#include "server/api/sql_json.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <string_view>
#include <utility>

namespace orcraft::server::api {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

backend::Value parse_param(const nlohmann::json& p, std::size_t statement, std::size_t position) {
    auto where = [&] {
        return "statement " + std::to_string(statement) + ", parameter " + std::to_string(position);
    };
    switch (p.type()) {
        case nlohmann::json::value_t::null:
            return std::monostate{};
        case nlohmann::json::value_t::boolean:
            return std::int64_t{p.get<bool>() ? 1 : 0};
        case nlohmann::json::value_t::number_integer:
            return p.get<std::int64_t>();
        case nlohmann::json::value_t::number_unsigned: {
            auto u = p.get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                throw RequestError(where() + ": integer out of the signed 64-bit range");
            }
            return static_cast<std::int64_t>(u);
        }
        case nlohmann::json::value_t::number_float:
            return p.get<double>();
        case nlohmann::json::value_t::string:
            return p.get<std::string>();
        case nlohmann::json::value_t::object:
            if (p.size() == 1 && p.contains("blob") && p["blob"].is_string()) {
                return backend::Blob{base64_decode(p["blob"].get<std::string>())};
            }
            [[fallthrough]];
        default:
            throw RequestError(where() + ": expected null, a boolean, a number, a string or " +
                               "{\"blob\": \"<base64>\"}");
    }
}

}  // namespace

std::vector<backend::Statement> parse_statements(const nlohmann::json& statements) {
    if (!statements.is_array()) throw RequestError("\"statements\" must be an array");
    std::vector<backend::Statement> out;
    out.reserve(statements.size());
    for (std::size_t i = 0; i < statements.size(); ++i) {
        const auto& s = statements[i];
        backend::Statement st;
        if (s.is_string()) {
            st.sql = s.get<std::string>();
        } else if (s.is_array() && !s.empty() && s[0].is_string()) {
            st.sql = s[0].get<std::string>();
            for (std::size_t j = 1; j < s.size(); ++j)
                st.params.push_back(parse_param(s[j], i, j));
        } else {
            throw RequestError("statement " + std::to_string(i) +
                               ": expected a string or an array [sql, params...]");
        }
        out.push_back(std::move(st));
    }
    return out;
}

nlohmann::json parse_statements_body(const std::string& body,
                                     std::vector<backend::Statement>& statements) {
    nlohmann::json parsed;
    try {
        parsed = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception& e) {
        throw RequestError(std::string("invalid JSON: ") + e.what());
    }
    if (!parsed.is_object() || !parsed.contains("statements")) {
        throw RequestError("the body must be a JSON object with \"statements\"");
    }
    statements = parse_statements(parsed["statements"]);
    return parsed;
}

backend::ReadLevel parse_level(const std::string& name) {
    if (name.empty() || name == "weak") return backend::ReadLevel::Weak;
    if (name == "none") return backend::ReadLevel::None;
    if (name == "linearizable") return backend::ReadLevel::Linearizable;
    throw RequestError("unknown level \"" + name + "\" (expected none, weak or linearizable)");
}

std::chrono::milliseconds parse_duration(const std::string& text, const std::string& what) {
    const auto bad = [&] {
        return RequestError(what + " must be a duration such as 500ms, 2s or 1m30s, not \"" + text +
                            "\"");
    };
    // Units in nanoseconds, longest names first so that "ms" is not read as "m".
    static const std::pair<std::string_view, double> kUnits[] = {
        {"ns", 1.0}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6},
        {"s", 1e9},  {"m", 60e9}, {"h", 3600e9}};
    double total_ns = 0;
    std::size_t i = 0;
    if (text.empty()) throw bad();
    while (i < text.size()) {
        const std::size_t start = i;
        while (i < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
            ++i;
        if (i == start) throw bad();
        double number = 0;
        try {
            std::size_t used = 0;
            number = std::stod(text.substr(start, i - start), &used);
            if (used != i - start) throw bad();
        } catch (const std::logic_error&) {
            throw bad();
        }
        const std::string_view rest = std::string_view(text).substr(i);
        double unit = 0;
        for (const auto& [name, ns] : kUnits) {
            if (rest.starts_with(name)) {
                unit = ns;
                i += name.size();
                break;
            }
        }
        if (unit == 0) throw bad();
        total_ns += number * unit;
    }
    if (total_ns > 1e18) throw bad();
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(total_ns / 1e6)));
}

nlohmann::json value_to_json(const backend::Value& value) {
    return std::visit(
        [](const auto& v) -> nlohmann::json {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return nullptr;
            } else if constexpr (std::is_same_v<T, backend::Blob>) {
                return base64_encode(v.bytes);
            } else {
                return v;
            }
        },
        value);
}

nlohmann::json execute_results_to_json(const backend::ExecuteReply& reply, double seconds) {
    auto results = nlohmann::json::array();
    for (const auto& r : reply.results) {
        nlohmann::json one = {{"rows_affected", r.rows_affected}};
        if (r.last_insert_id != 0) one["last_insert_id"] = r.last_insert_id;
        results.push_back(std::move(one));
    }
    return {{"results", std::move(results)}, {"index", reply.index}, {"time", seconds}};
}

nlohmann::json query_results_to_json(const backend::QueryReply& reply, double seconds) {
    auto results = nlohmann::json::array();
    for (const auto& r : reply.results) {
        auto values = nlohmann::json::array();
        for (const auto& row : r.rows) {
            auto jrow = nlohmann::json::array();
            for (const auto& v : row)
                jrow.push_back(value_to_json(v));
            values.push_back(std::move(jrow));
        }
        results.push_back(
            {{"columns", r.columns}, {"types", r.types}, {"values", std::move(values)}});
    }
    return {{"results", std::move(results)}, {"time", seconds}};
}

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        std::uint32_t n = (std::uint8_t(bytes[i]) << 16) | (std::uint8_t(bytes[i + 1]) << 8) |
                          std::uint8_t(bytes[i + 2]);
        out += kBase64Alphabet[(n >> 18) & 63];
        out += kBase64Alphabet[(n >> 12) & 63];
        out += kBase64Alphabet[(n >> 6) & 63];
        out += kBase64Alphabet[n & 63];
    }
    if (i < bytes.size()) {
        std::uint32_t n = std::uint8_t(bytes[i]) << 16;
        if (i + 1 < bytes.size()) n |= std::uint8_t(bytes[i + 1]) << 8;
        out += kBase64Alphabet[(n >> 18) & 63];
        out += kBase64Alphabet[(n >> 12) & 63];
        out += i + 1 < bytes.size() ? kBase64Alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string base64_decode(std::string_view text) {
    static constexpr auto table = [] {
        std::array<int, 256> t{};
        t.fill(-1);
        for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) {
            t[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<int>(i);
        }
        return t;
    }();
    if (text.size() % 4 != 0) throw RequestError("invalid base64: length is not a multiple of 4");
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        int pad = 0;
        std::uint32_t n = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            char c = text[i + j];
            int d;
            if (c == '=' && i + 4 == text.size() && j >= 2) {
                d = 0;
                ++pad;
            } else {
                d = table[static_cast<unsigned char>(c)];
                if (d < 0 || pad > 0) throw RequestError("invalid base64 character");
            }
            n = (n << 6) | static_cast<std::uint32_t>(d);
        }
        out += static_cast<char>((n >> 16) & 0xff);
        if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
        if (pad < 1) out += static_cast<char>(n & 0xff);
    }
    return out;
}

}  // namespace orcraft::server::api
