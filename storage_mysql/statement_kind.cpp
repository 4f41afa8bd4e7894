#include "storage_mysql/statement_kind.hpp"

#include <array>
#include <cctype>

namespace orcraft::storage_mysql {

namespace {

// Position of the first keyword: after white space, comments and opening parentheses.
std::size_t keyword_start(std::string_view sql) {
    std::size_t i = 0;
    const std::size_t n = sql.size();
    while (i < n) {
        const char c = sql[i];
        if (std::isspace(static_cast<unsigned char>(c)) || c == '(') {
            ++i;
        } else if (c == '#' || (c == '-' && i + 2 < n && sql[i + 1] == '-' &&
                                std::isspace(static_cast<unsigned char>(sql[i + 2])))) {
            while (i < n && sql[i] != '\n')
                ++i;
        } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
            const std::size_t end = sql.find("*/", i + 2);
            i = end == std::string_view::npos ? n : end + 2;
        } else {
            break;
        }
    }
    return i;
}

}  // namespace

std::string leading_keyword(std::string_view sql) {
    std::size_t i = keyword_start(sql);
    const std::size_t n = sql.size();
    std::string word;
    while (i < n && (std::isalpha(static_cast<unsigned char>(sql[i])) || sql[i] == '_')) {
        word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i]))));
        ++i;
    }
    return word;
}

StatementKind classify_statement(std::string_view sql) {
    const std::string word = leading_keyword(sql);
    static constexpr std::array<std::string_view, 7> kReads = {
        "SELECT", "WITH", "SHOW", "EXPLAIN", "DESCRIBE", "DESC", "VALUES"};
    static constexpr std::array<std::string_view, 14> kImplicit = {
        "CREATE",  "ALTER",    "DROP",   "RENAME", "TRUNCATE", "GRANT",   "REVOKE",
        "ANALYZE", "OPTIMIZE", "REPAIR", "FLUSH",  "CHECK",    "INSTALL", "UNINSTALL"};
    static constexpr std::array<std::string_view, 10> kControl = {
        "BEGIN",   "COMMIT", "ROLLBACK", "START", "SAVEPOINT",
        "RELEASE", "LOCK",   "UNLOCK",   "XA",    "SET"};
    for (auto w : kReads)
        if (word == w) return StatementKind::kRead;
    if (word == "INSERT" || word == "REPLACE") return StatementKind::kInsert;
    for (auto w : kImplicit)
        if (word == w) return StatementKind::kImplicitCommit;
    // SET is refused too: a batch must not change session state (autocommit, time stamp,
    // isolation) that the driver relies on and that would leak into later batches.
    for (auto w : kControl)
        if (word == w) return StatementKind::kTransactionControl;
    return StatementKind::kWrite;
}

}  // namespace orcraft::storage_mysql

namespace orcraft::storage_mysql {

namespace {

// Reads one identifier (bare or backquoted) at `i`, after white space; advances i.
std::string read_identifier(std::string_view sql, std::size_t& i) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i])))
        ++i;
    std::string out;
    if (i < sql.size() && sql[i] == '`') {
        ++i;
        while (i < sql.size()) {
            if (sql[i] == '`') {
                if (i + 1 < sql.size() && sql[i + 1] == '`') {
                    out.push_back('`');
                    i += 2;
                    continue;
                }
                ++i;
                break;
            }
            out.push_back(sql[i++]);
        }
        return out;
    }
    while (i < sql.size() &&
           (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_' || sql[i] == '$'))
        out.push_back(sql[i++]);
    return out;
}

std::string upper(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

std::string insert_target(std::string_view sql) {
    const std::string first = leading_keyword(sql);
    if (first != "INSERT" && first != "REPLACE") return {};
    std::size_t i = keyword_start(sql) + first.size();
    for (;;) {
        std::string word = read_identifier(sql, i);
        const std::string w = upper(word);
        if (w == "IGNORE" || w == "INTO" || w == "LOW_PRIORITY" || w == "DELAYED" ||
            w == "HIGH_PRIORITY")
            continue;
        if (word.empty()) return {};
        // schema.table: keep the table.
        while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i])))
            ++i;
        if (i < sql.size() && sql[i] == '.') {
            ++i;
            word = read_identifier(sql, i);
        }
        return word;
    }
}

}  // namespace orcraft::storage_mysql

namespace orcraft::storage_mysql {

std::vector<std::string> leading_tokens(std::string_view sql, std::size_t count) {
    std::vector<std::string> out;
    std::size_t i = keyword_start(sql);
    while (out.size() < count) {
        while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i])))
            ++i;
        if (i >= sql.size()) break;
        const char c = sql[i];
        if (c != '`' && !std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '$') break;
        std::string tok = read_identifier(sql, i);
        if (i < sql.size() && sql[i] == '.') {
            ++i;
            tok += "." + read_identifier(sql, i);
        }
        out.push_back(std::move(tok));
    }
    return out;
}

}  // namespace orcraft::storage_mysql
