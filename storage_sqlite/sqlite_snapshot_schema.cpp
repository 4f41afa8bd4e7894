#include "storage_sqlite/sqlite_snapshot_schema.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <set>
#include <vector>

#include "backend/driver.hpp"
#include "backend/snapshot_ddl.hpp"
#include "backend/sql_tokenizer.hpp"

namespace orcraft::storage_sqlite {

using backend::BackendError;
using backend::SnapshotColumn;
using backend::SnapshotIndex;
using backend::SnapshotTable;
namespace dialect = backend::dialect;
using dialect::Token;
using dialect::TokenKind;

namespace {

// Runs a query with text parameters and calls fn for each row.
void each_row(sqlite3* db, const std::string& sql, const std::vector<std::string>& params,
              const std::function<void(sqlite3_stmt*)>& fn) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        throw BackendError("SQLite: " + std::string(sqlite3_errmsg(db)));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        sqlite3_bind_text(st, static_cast<int>(i) + 1, params[i].c_str(), -1, SQLITE_TRANSIENT);
    }
    int rc = SQLITE_OK;
    try {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            fn(st);
        }
    } catch (...) {
        sqlite3_finalize(st);
        throw;
    }
    const std::string err = sqlite3_errmsg(db);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        throw BackendError("SQLite: " + err);
    }
}

std::string text_at(sqlite3_stmt* st, int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
    return p != nullptr ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, col)))
                        : std::string();
}

bool is_ident_token(const Token& t) {
    return (t.kind == TokenKind::String && !t.text.empty() && t.text[0] == '"') ||
           t.kind == TokenKind::QuotedIdent || t.kind == TokenKind::Word;
}

std::string ident_of(const Token& t) {
    return t.kind == TokenKind::Word ? t.text : t.value;
}

// Parenthesis partners: match[i] is the index of the token closing the '(' at i.
std::vector<std::size_t> match_parens(const std::vector<Token>& t) {
    std::vector<std::size_t> match(t.size(), 0);
    std::vector<std::size_t> open;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i].is_op("(")) {
            open.push_back(i);
        } else if (t[i].is_op(")")) {
            if (open.empty()) {
                throw BackendError("SQLite: unbalanced parentheses in a table definition");
            }
            match[open.back()] = i;
            open.pop_back();
        }
    }
    if (!open.empty()) {
        throw BackendError("SQLite: unbalanced parentheses in a table definition");
    }
    return match;
}

std::vector<std::pair<std::size_t, std::size_t>> split_commas(const std::vector<Token>& t,
                                                              const std::vector<std::size_t>& m,
                                                              std::size_t b, std::size_t e) {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    std::size_t start = b;
    for (std::size_t i = b; i < e; ++i) {
        if (t[i].is_op("(")) {
            i = m[i];
        } else if (t[i].is_op(",")) {
            out.emplace_back(start, i);
            start = i + 1;
        }
    }
    if (start < e) {
        out.emplace_back(start, e);
    }
    return out;
}

// The tokens of a range joined by single spaces: keywords upper case, the column's own
// double-quoted name as Q, everything else as written.
std::string normalized(const std::vector<Token>& t, std::size_t b, std::size_t e,
                       const std::string& column) {
    std::string out;
    for (std::size_t i = b; i < e; ++i) {
        if (!out.empty()) {
            out += ' ';
        }
        const Token& k = t[i];
        if (k.kind == TokenKind::String && !k.text.empty() && k.text[0] == '"' &&
            k.value == column) {
            out += "Q";
        } else if (k.kind == TokenKind::Word) {
            out += k.value;
        } else {
            out += k.text;
        }
    }
    return out;
}

std::string without_spaces(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    return s;
}

bool starts_with(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

// One column as declared in SQLite, before its portable type is decided.
struct RawColumn {
    std::string name;
    std::string declared;                  // e.g. INT, TEXT, "DATETIME TEXT", INTEGER
    std::vector<std::string> type_checks;  // normalized inner expressions of CHECKs
    std::vector<std::vector<std::string>> enum_values;
    bool not_null = false;
    bool inline_pk = false;
    bool autoinc = false;
    std::optional<std::string> default_literal;
    bool default_is_string = false;
};

const std::set<std::string> kAttributeWords = {"PRIMARY",    "NOT",       "NULL",    "DEFAULT",
                                               "CHECK",      "UNIQUE",    "COLLATE", "REFERENCES",
                                               "CONSTRAINT", "GENERATED", "AS"};

RawColumn parse_column(const std::vector<Token>& t, const std::vector<std::size_t>& m,
                       std::size_t b, std::size_t e, const std::string& table) {
    RawColumn c;
    std::size_t k = b;
    if (!is_ident_token(t[k])) {
        throw BackendError("SQLite: cannot read a column of table " + table);
    }
    c.name = ident_of(t[k++]);
    while (k < e && t[k].kind == TokenKind::Word && kAttributeWords.count(t[k].value) == 0) {
        c.declared += (c.declared.empty() ? "" : " ") + t[k].value;
        ++k;
    }
    while (k < e) {
        if (t[k].is_word("PRIMARY") && k + 1 < e && t[k + 1].is_word("KEY")) {
            c.inline_pk = true;
            k += 2;
            if (k < e && t[k].is_word("AUTOINCREMENT")) {
                c.autoinc = true;
                ++k;
            }
        } else if (t[k].is_word("NOT") && k + 1 < e && t[k + 1].is_word("NULL")) {
            c.not_null = true;
            k += 2;
        } else if (t[k].is_word("DEFAULT") && k + 1 < e) {
            ++k;
            std::size_t vb = k;
            std::size_t ve = k + 1;
            if (t[k].is_op("(")) {
                vb = k + 1;
                ve = m[k];
                k = m[k] + 1;
            } else {
                if ((t[k].is_op("-") || t[k].is_op("+")) && k + 1 < e) {
                    ve = k + 2;
                }
                k = ve;
            }
            if (ve == vb + 1 && t[vb].kind == TokenKind::String) {
                c.default_literal = t[vb].value;
                c.default_is_string = true;
            } else {
                std::string text;
                for (std::size_t i = vb; i < ve; ++i) {
                    text += t[i].text;
                }
                c.default_literal = text;
            }
        } else if (t[k].is_word("CHECK") && k + 1 < e && t[k + 1].is_op("(")) {
            const std::size_t open = k + 1;
            const std::size_t close = m[open];
            // The translation wraps each check as CHECK ("c" IS NULL OR (expr)).
            const std::size_t cb = open + 1;
            if (close > cb + 5 && is_ident_token(t[cb]) && ident_of(t[cb]) == c.name &&
                t[cb + 1].is_word("IS") && t[cb + 2].is_word("NULL") && t[cb + 3].is_word("OR") &&
                t[cb + 4].is_op("(") && m[cb + 4] == close - 1) {
                c.type_checks.push_back(normalized(t, cb + 5, close - 1, c.name));
                std::vector<std::string> strings;
                for (std::size_t i = cb + 5; i < close - 1; ++i) {
                    if (t[i].kind == TokenKind::String && !t[i].text.empty() &&
                        t[i].text[0] == '\'') {
                        strings.push_back(t[i].value);
                    }
                }
                c.enum_values.push_back(std::move(strings));
            } else {
                c.type_checks.push_back("?" + normalized(t, cb, close, c.name));
                c.enum_values.emplace_back();
            }
            k = close + 1;
        } else if (t[k].is_word("COLLATE") && k + 1 < e) {
            k += 2;
        } else if (t[k].is_op("(")) {
            k = m[k] + 1;
        } else {
            ++k;
        }
    }
    return c;
}

struct IntType {
    const char* lo;
    const char* hi;
    const char* name;
};

const IntType kIntTypes[] = {
    {"-128", "127", "TINYINT"},           {"0", "255", "TINYINT UNSIGNED"},
    {"-32768", "32767", "SMALLINT"},      {"0", "65535", "SMALLINT UNSIGNED"},
    {"-8388608", "8388607", "MEDIUMINT"}, {"0", "16777215", "MEDIUMINT UNSIGNED"},
    {"-2147483648", "2147483647", "INT"}, {"0", "4294967295", "INT UNSIGNED"},
};

// The portable type of a column from its declared type and the translation's checks.
std::string portable_type(const RawColumn& c, bool indexed, const std::string& table,
                          std::vector<std::string>& unrecognised) {
    const std::string& d = c.declared;
    std::optional<std::string> type;
    for (std::size_t n = 0; n < c.type_checks.size(); ++n) {
        const std::string& ck = c.type_checks[n];
        std::optional<std::string> found;
        if (d.find("INT") != std::string::npos) {
            const std::string integer = "TYPEOF ( Q ) = 'integer'";
            if (ck == integer) {
                found = "BIGINT";
            } else if (ck == integer + " AND Q >= 0") {
                found = "BIGINT UNSIGNED";
            } else if (starts_with(ck, integer + " AND Q BETWEEN ")) {
                const std::string range = ck.substr(integer.size() + 15);
                const auto and_at = range.find(" AND ");
                if (and_at != std::string::npos) {
                    const std::string lo = without_spaces(range.substr(0, and_at));
                    const std::string hi = without_spaces(range.substr(and_at + 5));
                    for (const auto& it : kIntTypes) {
                        if (lo == it.lo && hi == it.hi) {
                            found = it.name;
                        }
                    }
                }
            }
        } else if (d == "REAL") {
            if (ck == "TYPEOF ( Q ) = 'real'") {
                found = "DOUBLE";
            }
        } else if (d == "DATETIME TEXT" || d == "TIMESTAMP TEXT") {
            if (starts_with(ck, "Q IS STRFTIME (")) {
                found = d.substr(0, d.size() - 5);
            }
        } else if (d == "TEXT" || d == "BLOB") {
            const std::string chars = "LENGTH ( Q ) <= ";
            const std::string bytes = "LENGTH ( CAST ( Q AS BLOB ) ) <= ";
            if (d == "TEXT" && starts_with(ck, chars)) {
                found = "VARCHAR(" + ck.substr(chars.size()) + ")";
            } else if (starts_with(ck, bytes)) {
                const std::string n = ck.substr(bytes.size());
                if (d == "TEXT") {
                    if (n == "255") found = "TINYTEXT";
                    if (n == "65535") found = "TEXT";
                    if (n == "16777215") found = "MEDIUMTEXT";
                } else if (n == "65535") {
                    found = "BLOB";
                } else if (n == "16777215") {
                    found = "MEDIUMBLOB";
                } else if (n == "255" && !indexed) {
                    found = "TINYBLOB";
                } else {
                    found = "VARBINARY(" + n + ")";
                }
            } else if (d == "TEXT" && starts_with(ck, "Q IN (")) {
                std::string e = "ENUM(";
                for (std::size_t i = 0; i < c.enum_values[n].size(); ++i) {
                    e += (i == 0 ? "" : ",") + dialect::quote_string(c.enum_values[n][i]);
                }
                found = e + ")";
            }
        }
        if (found) {
            if (!type) type = found;
        } else {
            unrecognised.push_back(ck[0] == '?' ? ck.substr(1) : ck);
        }
    }
    if (type) {
        return *type;
    }
    if (d.find("INT") != std::string::npos) return "BIGINT";
    if (d == "REAL") return "DOUBLE";
    if (d == "BLOB") return "LONGBLOB";
    if (d == "DATETIME TEXT") return "DATETIME";
    if (d == "TIMESTAMP TEXT") return "TIMESTAMP";
    if (d == "TEXT") return "LONGTEXT";
    throw BackendError("SQLite: column " + c.name + " of table " + table +
                       " has a type the portable dialect does not produce: " + d);
}

}  // namespace

SnapshotTable read_snapshot_table(sqlite3* db, const std::string& table) {
    std::string create;
    each_row(db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", {table},
             [&](sqlite3_stmt* st) { create = text_at(st, 0); });
    if (create.empty()) {
        throw BackendError("SQLite: table " + table + " has no definition");
    }
    std::vector<Token> t;
    try {
        t = dialect::tokenize(create);
    } catch (const dialect::DialectError& e) {
        throw BackendError("SQLite: cannot read the definition of table " + table + ": " +
                           e.what());
    }
    const auto m = match_parens(t);
    std::size_t open = 0;
    while (open < t.size() && !t[open].is_op("(")) {
        ++open;
    }
    if (open == t.size()) {
        throw BackendError("SQLite: table " + table + " has no column list");
    }

    SnapshotTable out;
    out.name = table;
    std::vector<RawColumn> raw;
    for (auto [b, e] : split_commas(t, m, open + 1, m[open])) {
        if (b == e) continue;
        const Token& first = t[b];
        if (first.is_word("PRIMARY") || first.is_word("CHECK") || first.is_word("UNIQUE") ||
            first.is_word("CONSTRAINT") || first.is_word("FOREIGN")) {
            if (first.is_word("CHECK")) {
                spdlog::warn(
                    "sqlite snapshot: table {} has a table CHECK constraint, which snapshots do "
                    "not "
                    "carry",
                    table);
            }
            continue;  // the primary key comes from pragma_table_info below
        }
        raw.push_back(parse_column(t, m, b, e, table));
    }

    // Primary key columns in key order.
    std::vector<std::pair<int, std::string>> pk;
    std::size_t pragma_columns = 0;
    each_row(db, "SELECT name, pk FROM pragma_table_info(?)", {table}, [&](sqlite3_stmt* st) {
        ++pragma_columns;
        const int pos = sqlite3_column_int(st, 1);
        if (pos > 0) pk.emplace_back(pos, text_at(st, 0));
    });
    if (pragma_columns != raw.size()) {
        throw BackendError("SQLite: read " + std::to_string(raw.size()) + " columns of table " +
                           table + " from its definition, but it has " +
                           std::to_string(pragma_columns));
    }
    std::sort(pk.begin(), pk.end());
    for (auto& [pos, name] : pk) {
        out.primary_key.push_back(name);
    }

    // Secondary indexes the translation created (named "<table>__<name>").
    const std::string prefix = table + "__";
    std::vector<std::pair<std::string, bool>> index_list;
    each_row(db, "SELECT name, \"unique\" FROM pragma_index_list(?) WHERE origin = 'c'", {table},
             [&](sqlite3_stmt* st) {
                 index_list.emplace_back(text_at(st, 0), sqlite3_column_int(st, 1) != 0);
             });
    std::set<std::string> indexed(out.primary_key.begin(), out.primary_key.end());
    for (const auto& [name, unique] : index_list) {
        SnapshotIndex ix;
        ix.name = starts_with(name, prefix) ? name.substr(prefix.size()) : name;
        ix.unique = unique;
        each_row(db, "SELECT name FROM pragma_index_info(?) ORDER BY seqno", {name},
                 [&](sqlite3_stmt* st) { ix.columns.push_back(text_at(st, 0)); });
        indexed.insert(ix.columns.begin(), ix.columns.end());
        out.indexes.push_back(std::move(ix));
    }
    std::sort(out.indexes.begin(), out.indexes.end(),
              [](const SnapshotIndex& a, const SnapshotIndex& b) { return a.name < b.name; });

    bool has_autoinc = false;
    std::vector<std::string> unrecognised;
    for (const auto& r : raw) {
        SnapshotColumn c;
        c.name = r.name;
        c.type = portable_type(r, indexed.count(r.name) != 0, table, unrecognised);
        c.auto_increment = r.autoinc;
        has_autoinc = has_autoinc || r.autoinc;
        const bool in_pk = std::find(out.primary_key.begin(), out.primary_key.end(), r.name) !=
                           out.primary_key.end();
        c.nullable = !(r.not_null || in_pk || r.autoinc);
        if (r.default_literal) {
            c.default_sql =
                backend::canonical_default(c.type, *r.default_literal, r.default_is_string);
        }
        out.columns.push_back(std::move(c));
    }
    for (const auto& u : unrecognised) {
        spdlog::warn("sqlite snapshot: table {}: CHECK ({}) is not carried by snapshots", table, u);
    }
    if (has_autoinc) {
        std::int64_t seq = 0;
        each_row(db, "SELECT seq FROM sqlite_sequence WHERE name = ?", {table},
                 [&](sqlite3_stmt* st) { seq = sqlite3_column_int64(st, 0); });
        out.next_auto_increment = seq + 1;
    }
    return out;
}

}  // namespace orcraft::storage_sqlite
