#include "tests/state_machine/backends.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "storage_sqlite/sqlite_driver.hpp"
#ifdef ORCRAFT_STATE_MACHINE_MYSQL
#include "storage_mysql/mysql_driver.hpp"
#endif

namespace orcraft::state_machine_test {

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr ? base : "/tmp") + "/orcraft-state-machine-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = templ;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::shared_ptr<backend::Driver> open_sqlite(const std::string& file) {
    storage_sqlite::SqliteOptions options;
    options.read_connections = 2;
    return std::make_shared<storage_sqlite::SqliteDriver>(file, options);
}

bool mysql_available() {
#ifndef ORCRAFT_STATE_MACHINE_MYSQL
    return false;
#else
    if (std::getenv("ORCRAFT_TEST_MYSQL_HOST") != nullptr) {
        return true;
    }
    const char* skip = std::getenv("ORCRAFT_TEST_SKIP_MYSQL");
    if (skip != nullptr && std::string(skip) == "1") {
        static bool said = false;
        if (!said) {
            std::cerr << "state_machine: MySQL cases skipped (ORCRAFT_TEST_SKIP_MYSQL=1 and "
                         "ORCRAFT_TEST_MYSQL_HOST unset)\n";
            said = true;
        }
        return false;
    }
    FAIL(
        "ORCRAFT_TEST_MYSQL_HOST is not set: the MySQL driver is built, so these cases need a "
        "MySQL/MariaDB server (eval \"$(scripts/mariadb.sh start DIR PORT)\", or set "
        "ORCRAFT_TEST_SKIP_MYSQL=1 to skip them)");
    return false;
#endif
}

#ifdef ORCRAFT_STATE_MACHINE_MYSQL
namespace {

std::string env(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
    return fallback;
}

storage_mysql::MysqlOptions mysql_options(const std::string& database) {
    storage_mysql::MysqlOptions o;
    o.host = env("ORCRAFT_TEST_MYSQL_HOST", "127.0.0.1");
    o.port = std::atoi(env("ORCRAFT_TEST_MYSQL_PORT", "3306").c_str());
    o.user = env("ORCRAFT_TEST_MYSQL_USER", "orcraft");
    o.password = env("ORCRAFT_TEST_MYSQL_PASSWORD", "");
    o.database = database;
    o.connect_timeout_seconds = 5;
    o.read_timeout_seconds = 60;
    o.reader_pool_size = 2;
    return o;
}

}  // namespace
#endif

std::shared_ptr<backend::Driver> fresh_mysql(const std::string& database,
                                             std::function<void(std::string_view)> hook) {
#ifdef ORCRAFT_STATE_MACHINE_MYSQL
    {
        // DROP DATABASE through the driver's unlogged form, on a scratch database.
        storage_mysql::MysqlDriver admin(mysql_options("orcraft_state_machine_admin"));
        const auto out = admin.execute({{"DROP DATABASE IF EXISTS `" + database + "`", {}}}, {}, 0);
        if (out.error) throw std::runtime_error("dropping test database: " + out.error->message);
    }
    auto options = mysql_options(database);
    options.test_hook = std::move(hook);
    return std::make_shared<storage_mysql::MysqlDriver>(options);
#else
    (void)database;
    (void)hook;
    throw std::logic_error("the MySQL driver is not built");
#endif
}

std::shared_ptr<backend::Driver> open_mysql(const std::string& database) {
#ifdef ORCRAFT_STATE_MACHINE_MYSQL
    return std::make_shared<storage_mysql::MysqlDriver>(mysql_options(database));
#else
    (void)database;
    throw std::logic_error("the MySQL driver is not built");
#endif
}

std::string mysql_database_name(const std::string& tag) {
    static std::atomic<int> counter{0};
    return "orcraft_sm_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" + tag;
}

std::vector<std::string> backend_kinds() {
#ifdef ORCRAFT_STATE_MACHINE_MYSQL
    return {"sqlite", "mysql"};
#else
    return {"sqlite"};
#endif
}

std::shared_ptr<backend::Driver> fresh_driver(const std::string& kind, const TempDir& dir,
                                              const std::string& tag) {
    if (kind == "sqlite") {
        return open_sqlite(dir.path() + "/" + tag + ".sqlite");
    }
    if (!mysql_available()) {
        return nullptr;
    }
    return fresh_mysql(mysql_database_name(tag));
}

raft::Entry entry(std::uint64_t index, const backend::Command& command) {
    return raft::Entry{index, 1, raft::EntryType::kNormal, backend::encode_command(command)};
}

raft::Entry sql_entry(std::uint64_t index, const std::vector<backend::Statement>& batch,
                      backend::Stamp stamp) {
    return raft::Entry{index, 1, raft::EntryType::kNormal,
                       backend::encode_sql_command(batch, stamp)};
}

}  // namespace orcraft::state_machine_test
