// orcraft-mysql-apply-bench: applies N single-row INSERT entries through
// SqlStateMachine::apply_batch to a MySQL/MariaDB backend, first one entry at a time (one
// commit each), then in apply groups of G entries, and prints entries per second for both.
//
// The server comes from ORCRAFT_TEST_MYSQL_HOST, _PORT, _USER and _PASSWORD (scripts/mariadb.sh
// prints them). The database (default orcraft_apply_bench) is created when missing; the
// benchmark creates and drops its own table in it.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "backend/command.hpp"
#include "backend/sql_state_machine.hpp"
#include "storage_mysql/mysql_driver.hpp"

namespace {

using orcraft::backend::Stamp;
using orcraft::backend::Statement;
using orcraft::backend::Value;
using orcraft::raft::Entry;
using orcraft::raft::EntryType;

struct Options {
    std::size_t entries = 10000;
    std::size_t group = 64;
    std::string database = "orcraft_apply_bench";
};

std::string env(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : fallback;
}

Entry sql_entry(std::uint64_t index, std::vector<Statement> batch) {
    // One stamp per entry, a microsecond apart, as a leader would choose them.
    const Stamp stamp{1700000000000000 + static_cast<std::int64_t>(index), index};
    return Entry{index, 1, EntryType::kNormal, orcraft::backend::encode_sql_command(batch, stamp)};
}

// Applies `entries` inserts into a new table, `group` entries per apply_batch call (1: one by
// one); returns entries per second.
double run(orcraft::backend::SqlStateMachine& sm, const std::string& table, std::size_t entries,
           std::size_t group) {
    std::uint64_t index = sm.applied_index();
    sm.apply(sql_entry(++index, {{"DROP TABLE IF EXISTS " + table, {}}}));
    sm.apply(sql_entry(++index, {{"CREATE TABLE " + table +
                                      " (id BIGINT AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL, "
                                      "v VARCHAR(100) NOT NULL)",
                                  {}}}));
    std::vector<Entry> log;
    log.reserve(entries);
    for (std::size_t i = 0; i < entries; ++i) {
        log.push_back(sql_entry(
            ++index, {{"INSERT INTO " + table + " (k, v) VALUES (?, ?)",
                       {Value{static_cast<std::int64_t>(i)}, Value{std::string(64, 'x')}}}}));
    }
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < log.size(); i += group) {
        const std::size_t end = std::min(log.size(), i + group);
        if (group == 1) {
            sm.apply(log[i]);
        } else {
            sm.apply_batch(std::vector<Entry>(log.begin() + static_cast<std::ptrdiff_t>(i),
                                              log.begin() + static_cast<std::ptrdiff_t>(end)));
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    sm.apply(sql_entry(sm.applied_index() + 1, {{"DROP TABLE " + table, {}}}));
    return static_cast<double>(entries) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--entries" && i + 1 < argc) {
            opt.entries = std::strtoull(argv[++i], nullptr, 10);
        } else if (a == "--group" && i + 1 < argc) {
            opt.group = std::strtoull(argv[++i], nullptr, 10);
        } else if (a == "--database" && i + 1 < argc) {
            opt.database = argv[++i];
        } else {
            std::fprintf(stderr, "usage: %s [--entries N] [--group G] [--database NAME]\n",
                         argv[0]);
            return 2;
        }
    }
    if (opt.entries == 0 || opt.group < 2) {
        std::fprintf(stderr, "--entries must be positive and --group at least 2\n");
        return 2;
    }
    orcraft::storage_mysql::MysqlOptions mo;
    mo.host = env("ORCRAFT_TEST_MYSQL_HOST", "127.0.0.1");
    mo.port = std::atoi(env("ORCRAFT_TEST_MYSQL_PORT", "3306").c_str());
    mo.user = env("ORCRAFT_TEST_MYSQL_USER", "orcraft");
    mo.password = env("ORCRAFT_TEST_MYSQL_PASSWORD", "");
    mo.database = opt.database;
    try {
        orcraft::backend::SqlStateMachine sm(
            std::make_shared<orcraft::storage_mysql::MysqlDriver>(mo));
        const double single = run(sm, "apply_bench", opt.entries, 1);
        const double grouped = run(sm, "apply_bench", opt.entries, opt.group);
        std::printf(
            "entries %zu  one by one: %.0f entries/s  groups of %zu: %.0f entries/s  (x%.1f)\n",
            opt.entries, single, opt.group, grouped, grouped / single);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "orcraft-mysql-apply-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
