#include "storage_mysql/auto_increment.hpp"

#include <cppconn/statement.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace orcraft::storage_mysql::detail {

namespace {

// Tables of the schema that have an AUTO_INCREMENT counter, with InnoDB's current value.
constexpr const char* kInnodbCounters =
    "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES "
    "WHERE TABLE_SCHEMA = DATABASE() AND AUTO_INCREMENT IS NOT NULL "
    "AND TABLE_NAME NOT IN ('orcraft_applied_index', 'orcraft_autoinc')";

}  // namespace

void AutoIncrementKeeper::create_table(Session& s) {
    s.exec(
        "CREATE TABLE IF NOT EXISTS orcraft_autoinc ("
        " table_name VARCHAR(64) NOT NULL PRIMARY KEY,"
        " next_value BIGINT NOT NULL"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
    s.exec(std::string("INSERT IGNORE INTO orcraft_autoinc (table_name, next_value) ") +
           kInnodbCounters);
}

void AutoIncrementKeeper::load(Session& s) {
    truth_.clear();
    pending_.clear();
    forgotten_.clear();
    unwritten_.clear();
    resync_pending_ = false;
    std::unique_ptr<sql::Statement> st(s.conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(
        st->executeQuery("SELECT table_name, next_value FROM orcraft_autoinc"));
    while (rs->next())
        truth_[rs->getString(1)] = rs->getInt64(2);
}

std::optional<std::int64_t> AutoIncrementKeeper::innodb_counter(Session& s,
                                                                const std::string& table) {
    // A text query: one round trip, where a prepared statement takes three.
    std::unique_ptr<sql::Statement> st(s.conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(
        st->executeQuery(interpolate("SELECT AUTO_INCREMENT FROM information_schema.TABLES "
                                     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
                                     {table})));
    if (!rs->next()) return std::nullopt;
    const std::int64_t v = rs->getInt64(1);
    if (rs->wasNull()) return std::nullopt;
    return v;
}

void AutoIncrementKeeper::record(Session& s, const std::set<std::string>& tables) {
    note(s, tables);
    write_noted(s);
}

void AutoIncrementKeeper::note(Session& s, const std::set<std::string>& tables) {
    for (const auto& table : tables) {
        // InnoDB's counter as this session left it: the values the batch's statements used,
        // including those of rows that IGNORE skipped, upserts that updated and statements that
        // failed, which every node and SQLite count the same way.
        const auto counter = innodb_counter(s, table);
        if (!counter) continue;
        pending_[table] = *counter;
        unwritten_.insert(table);
    }
}

void AutoIncrementKeeper::write_noted(Session& s) {
    if (unwritten_.empty()) return;
    std::string rows;
    std::vector<backend::Value> values;
    for (const auto& table : unwritten_) {
        rows += rows.empty() ? "(?, ?)" : ", (?, ?)";
        values.emplace_back(table);
        values.emplace_back(pending_.at(table));
    }
    s.exec(interpolate("INSERT INTO orcraft_autoinc (table_name, next_value) VALUES " + rows +
                           " ON DUPLICATE KEY UPDATE next_value = VALUES(next_value)",
                       values));
    unwritten_.clear();
}

void AutoIncrementKeeper::committed(Session& s) {
    unwritten_.clear();
    if (resync_pending_) {
        load(s);
        return;
    }
    for (const auto& [t, v] : pending_)
        truth_[t] = v;
    for (const auto& t : forgotten_)
        truth_.erase(t);
    pending_.clear();
    forgotten_.clear();
}

void AutoIncrementKeeper::forget(Session& s, const std::set<std::string>& tables) {
    for (const auto& table : tables) {
        std::unique_ptr<sql::PreparedStatement> st(
            s.conn->prepareStatement("DELETE FROM orcraft_autoinc WHERE table_name = ?"));
        st->setString(1, table);
        st->executeUpdate();
        forgotten_.insert(table);
    }
}

void AutoIncrementKeeper::rolled_back() {
    pending_.clear();
    unwritten_.clear();
    forgotten_.clear();
    resync_pending_ = false;
}

void AutoIncrementKeeper::repair(Session& s, const std::set<std::string>& tables) {
    std::unique_ptr<sql::Statement> st(s.conn->createStatement());
    std::vector<std::pair<std::string, std::int64_t>> lower;
    std::string query = kInnodbCounters;
    if (!tables.empty()) {
        // Naming the tables lets the server open only those instead of every table.
        std::string list;
        std::vector<backend::Value> names;
        for (const auto& t : tables) {
            list += list.empty() ? "?" : ", ?";
            names.emplace_back(t);
        }
        query = interpolate(query + " AND TABLE_NAME IN (" + list + ")", names);
    }
    {
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery(query));
        while (rs->next()) {
            const std::string table = rs->getString(1);
            if (!tables.empty() && tables.count(table) == 0) continue;
            auto it = truth_.find(table);
            if (it == truth_.end()) continue;
            if (rs->getInt64(2) > it->second) lower.emplace_back(table, it->second);
        }
    }
    for (const auto& [table, value] : lower) {
        spdlog::debug("mysql backend: AUTO_INCREMENT of {} back to {}", table, value);
        st->execute("ALTER TABLE " + quote_identifier(table) +
                    " AUTO_INCREMENT = " + std::to_string(value));
    }
}

bool AutoIncrementKeeper::tracks(const std::string& table) const {
    return truth_.count(table) != 0 || pending_.count(table) != 0;
}

bool AutoIncrementKeeper::moved_past_recorded(Session& s, const std::set<std::string>& tables) {
    for (const auto& table : tables) {
        auto recorded = pending_.find(table);
        if (recorded == pending_.end()) {
            recorded = truth_.find(table);
            if (recorded == truth_.end()) continue;
        }
        const auto counter = innodb_counter(s, table);
        if (counter && *counter > recorded->second) return true;
    }
    return false;
}

void AutoIncrementKeeper::resync(Session& s) {
    s.exec("DELETE FROM orcraft_autoinc");
    s.exec(std::string("INSERT INTO orcraft_autoinc (table_name, next_value) ") + kInnodbCounters);
    resync_pending_ = true;
    pending_.clear();
    unwritten_.clear();
}

}  // namespace orcraft::storage_mysql::detail
