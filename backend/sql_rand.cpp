#include "backend/sql_rand.hpp"

#include <cstdio>

#include "backend/sql_tokenizer.hpp"

namespace orcraft::backend::dialect {

std::uint64_t splitmix64(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double rand_value(std::uint64_t seed, std::size_t statement, std::size_t occurrence) {
    const std::uint64_t position = (static_cast<std::uint64_t>(statement) << 32) + occurrence;
    const std::uint64_t x = splitmix64(seed ^ splitmix64(position));
    return static_cast<double>(x >> 11) * 0x1.0p-53;
}

std::string rand_literal(std::uint64_t seed, std::size_t statement, std::size_t occurrence) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.16e", rand_value(seed, statement, occurrence));
    return buf;
}

namespace {

bool mentions_rand(std::string_view sql) {
    auto lower = [](char c) { return static_cast<char>(c | 0x20); };  // ASCII letters only
    for (std::size_t i = 0; i + 4 <= sql.size(); ++i) {
        if (lower(sql[i]) == 'r' && lower(sql[i + 1]) == 'a' && lower(sql[i + 2]) == 'n' &&
            lower(sql[i + 3]) == 'd') {
            return true;
        }
    }
    return false;
}

}  // namespace

std::string substitute_rand(std::string_view sql, std::uint64_t seed, std::size_t statement) {
    if (!mentions_rand(sql)) return std::string(sql);
    const auto tokens = tokenize(sql);
    std::string out;
    std::size_t copied = 0;
    std::size_t occurrence = 0;
    for (std::size_t i = 0; i + 2 < tokens.size(); ++i) {
        if (tokens[i].is_word("RAND") && tokens[i + 1].is_op("(") && tokens[i + 2].is_op(")")) {
            out.append(sql.substr(copied, tokens[i].begin - copied));
            out += rand_literal(seed, statement, occurrence++);
            copied = tokens[i + 2].end;
            i += 2;
        }
    }
    if (occurrence == 0) {
        return std::string(sql);
    }
    out.append(sql.substr(copied));
    return out;
}

}  // namespace orcraft::backend::dialect
