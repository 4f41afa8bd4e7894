#include "backend/snapshot_ddl.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "backend/sql_tokenizer.hpp"

namespace orcraft::backend {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

bool looks_numeric(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    std::string text(s);
    char* end = nullptr;
    std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size() && !std::isspace(static_cast<unsigned char>(text[0]));
}

// The same number always written the same way, whichever backend showed it: integers in
// decimal, other numbers in the shortest form that reads back to the same double (MySQL shows a
// DOUBLE default of 1.50 as 1.5, SQLite keeps the text as written). Anything else is kept.
std::string canonical_number(const std::string& text) {
    if (text.empty()) {
        return text;
    }
    errno = 0;
    char* end = nullptr;
    const long long i = std::strtoll(text.c_str(), &end, 10);
    if (errno == 0 && end == text.c_str() + text.size()) {
        return std::to_string(i);
    }
    end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(d)) {
        return text;
    }
    char buf[32];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, d);
        if (std::strtod(buf, nullptr) == d) {
            break;
        }
    }
    return buf;
}

}  // namespace

SnapshotValueKind snapshot_value_kind(std::string_view type) {
    if (type.find("INT") != std::string_view::npos) {
        return SnapshotValueKind::kInteger;
    }
    if (type == "DOUBLE") {
        return SnapshotValueKind::kReal;
    }
    if (type == "DATETIME" || type == "TIMESTAMP") {
        return SnapshotValueKind::kDatetime;
    }
    if (type.find("BLOB") != std::string_view::npos || starts_with(type, "VARBINARY")) {
        return SnapshotValueKind::kBlob;
    }
    return SnapshotValueKind::kText;
}

std::string quote_portable_ident(std::string_view name) {
    std::string out = "`";
    for (char c : name) {
        if (c == '`') {
            out += '`';
        }
        out += c;
    }
    return out + "`";
}

std::optional<std::string> canonical_default(std::string_view type, std::string_view literal,
                                             bool is_string) {
    const SnapshotValueKind kind = snapshot_value_kind(type);
    const bool numeric = kind == SnapshotValueKind::kInteger || kind == SnapshotValueKind::kReal;
    if (is_string) {
        if (numeric && looks_numeric(literal)) {
            return canonical_number(std::string(literal));
        }
        return dialect::quote_string(literal);
    }
    const std::string u = upper(literal);
    if (u == "NULL") {
        return std::nullopt;
    }
    if (u == "TRUE") {
        return std::string("1");
    }
    if (u == "FALSE") {
        return std::string("0");
    }
    if (u == "CURRENT_TIMESTAMP" || u == "CURRENT_TIMESTAMP()" || u == "NOW()" ||
        u == "LOCALTIMESTAMP" || u == "LOCALTIMESTAMP()" || u == "LOCALTIME" ||
        u == "LOCALTIME()") {
        return std::string("CURRENT_TIMESTAMP");
    }
    // A number, possibly written with a sign and spaces ("- 1" from a token join).
    std::string compact;
    for (char c : literal) {
        if (!std::isspace(static_cast<unsigned char>(c))) {
            compact += c;
        }
    }
    if (!compact.empty() && compact[0] == '+') {
        compact.erase(0, 1);
    }
    return canonical_number(compact);
}

std::string portable_create_table(const SnapshotTable& t, const std::string& name) {
    std::string sql = "CREATE TABLE " + quote_portable_ident(name.empty() ? t.name : name) + " (";
    bool first = true;
    for (const auto& c : t.columns) {
        sql += (first ? "" : ", ") + quote_portable_ident(c.name) + " " + c.type;
        first = false;
        if (!c.nullable) {
            sql += " NOT NULL";
        }
        if (c.auto_increment) {
            sql += " AUTO_INCREMENT";
        }
        if (c.default_sql) {
            sql += " DEFAULT " + *c.default_sql;
        }
    }
    if (!t.primary_key.empty()) {
        sql += ", PRIMARY KEY (";
        for (std::size_t i = 0; i < t.primary_key.size(); ++i) {
            sql += (i == 0 ? "" : ", ") + quote_portable_ident(t.primary_key[i]);
        }
        sql += ")";
    }
    for (const auto& ix : t.indexes) {
        sql += std::string(", ") + (ix.unique ? "UNIQUE KEY " : "KEY ") +
               quote_portable_ident(ix.name) + " (";
        for (std::size_t i = 0; i < ix.columns.size(); ++i) {
            sql += (i == 0 ? "" : ", ") + quote_portable_ident(ix.columns[i]);
        }
        sql += ")";
    }
    return sql + ")";
}

Value snapshot_value(Value v, SnapshotValueKind kind) {
    switch (kind) {
        case SnapshotValueKind::kText:
        case SnapshotValueKind::kDatetime:
            if (auto* b = std::get_if<Blob>(&v)) {
                return std::move(b->bytes);
            }
            break;
        case SnapshotValueKind::kBlob:
            if (auto* s = std::get_if<std::string>(&v)) {
                return Blob{std::move(*s)};
            }
            break;
        case SnapshotValueKind::kReal:
            if (auto* i = std::get_if<std::int64_t>(&v)) {
                return static_cast<double>(*i);
            }
            break;
        case SnapshotValueKind::kInteger:
            break;
    }
    return v;
}

}  // namespace orcraft::backend
