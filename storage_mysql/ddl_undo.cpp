#include "storage_mysql/ddl_undo.hpp"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <cctype>

#include "storage_mysql/statement_kind.hpp"

namespace orcraft::storage_mysql::detail {

namespace {

std::string upper(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

bool exists(Session& s, const std::string& sql, const std::vector<std::string>& args) {
    std::unique_ptr<sql::PreparedStatement> st(s.conn->prepareStatement(sql));
    for (std::size_t i = 0; i < args.size(); ++i)
        st->setString(static_cast<unsigned>(i + 1), args[i]);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    return rs->next() && rs->getInt64(1) > 0;
}

bool plain_name(const std::string& name) {
    return !name.empty() && name.find('.') == std::string::npos &&
           name.find('\n') == std::string::npos;
}

}  // namespace

std::optional<std::string> undo_statement(Session& s, const std::string& sql) {
    const auto t = leading_tokens(sql, 9);
    std::size_t i = 0;
    auto word = [&](std::size_t k) { return k < t.size() ? upper(t[k]) : std::string(); };
    if (word(i) != "CREATE") return std::nullopt;
    ++i;
    const bool unique = word(i) == "UNIQUE";
    if (unique) ++i;
    const std::string what = word(i++);
    if (what != "TABLE" && what != "INDEX") return std::nullopt;
    if (unique && what != "INDEX") return std::nullopt;
    if (word(i) == "IF" && word(i + 1) == "NOT" && word(i + 2) == "EXISTS") i += 3;
    const std::string name = i < t.size() ? t[i] : std::string();
    if (!plain_name(name)) return std::nullopt;
    if (what == "TABLE") {
        if (exists(s,
                   "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                   "AND TABLE_NAME = ?",
                   {name}))
            return std::string();
        return "DROP TABLE IF EXISTS " + quote_identifier(name);
    }
    if (word(i + 1) != "ON") return std::nullopt;
    const std::string table = i + 2 < t.size() ? t[i + 2] : std::string();
    if (!plain_name(table)) return std::nullopt;
    if (exists(s,
               "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() "
               "AND TABLE_NAME = ? AND INDEX_NAME = ?",
               {table, name}))
        return std::string();
    return "DROP INDEX IF EXISTS " + quote_identifier(name) + " ON " + quote_identifier(table);
}

std::string UndoLog::append(const std::string& log, const std::optional<std::string>& undo) {
    if (!reversible(log) || !undo) return kIrreversible;
    if (undo->empty()) return log;
    return log.empty() ? *undo : log + "\n" + *undo;
}

std::vector<std::string> UndoLog::in_reverse(const std::string& log) {
    std::vector<std::string> out;
    if (!reversible(log)) return out;
    std::size_t pos = 0;
    while (pos < log.size()) {
        const std::size_t nl = log.find('\n', pos);
        const std::size_t end = nl == std::string::npos ? log.size() : nl;
        if (end > pos) out.push_back(log.substr(pos, end - pos));
        pos = end + 1;
    }
    std::reverse(out.begin(), out.end());
    return out;
}

}  // namespace orcraft::storage_mysql::detail
