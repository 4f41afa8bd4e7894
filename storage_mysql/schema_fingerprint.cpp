#include "storage_mysql/schema_fingerprint.hpp"

#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>

#include <cstdint>
#include <cstdio>

namespace orcraft::storage_mysql::detail {

namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

void mix(std::uint64_t& h, const std::string& s) {
    for (unsigned char c : s) {
        h ^= c;
        h *= kFnvPrime;
    }
    // A separator byte that cannot occur in text keeps ("ab","c") apart from ("a","bc").
    h ^= 0xff;
    h *= kFnvPrime;
}

void mix_query(std::uint64_t& h, Session& s, const std::string& sql) {
    std::unique_ptr<sql::Statement> stmt(s.conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery(sql));
    const unsigned n = rs->getMetaData()->getColumnCount();
    while (rs->next()) {
        for (unsigned c = 1; c <= n; ++c) {
            std::string v = rs->getString(c);
            mix(h, rs->wasNull() ? std::string("\x01NULL") : v);
        }
    }
}

}  // namespace

std::string schema_fingerprint(Session& session) {
    std::uint64_t h = kFnvOffset;
    mix_query(h, session,
              "SELECT TABLE_NAME, TABLE_TYPE, ENGINE FROM information_schema.TABLES "
              "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT IN ('orcraft_applied_index', "
              "'orcraft_autoinc') "
              "ORDER BY TABLE_NAME");
    mix_query(h, session,
              "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, "
              "COLUMN_DEFAULT, EXTRA, COLLATION_NAME FROM information_schema.COLUMNS "
              "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT IN ('orcraft_applied_index', "
              "'orcraft_autoinc') "
              "ORDER BY TABLE_NAME, ORDINAL_POSITION");
    mix_query(h, session,
              "SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE "
              "FROM information_schema.STATISTICS "
              "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT IN ('orcraft_applied_index', "
              "'orcraft_autoinc') "
              "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX");
    mix_query(h, session,
              "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_STATEMENT "
              "FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() "
              "ORDER BY TRIGGER_NAME");
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

}  // namespace orcraft::storage_mysql::detail
