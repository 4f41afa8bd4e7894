#pragma once
// Test support for the state machine tests: temporary directories, drivers on SQLite files and
// on MariaDB databases, and log entries.
//
// MariaDB: the server named by ORCRAFT_TEST_MYSQL_HOST, _PORT, _USER, _PASSWORD (scripts/mariadb.sh
// prints them), as in the conformance suite. When the MySQL driver is built but the variables are
// unset, a case that needs MySQL fails with instructions, unless ORCRAFT_TEST_SKIP_MYSQL=1, which
// skips the MySQL parts.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/command.hpp"
#include "backend/driver.hpp"
#include "raft/core/types.hpp"

namespace orcraft::state_machine_test {

class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

std::shared_ptr<backend::Driver> open_sqlite(const std::string& file);

// Whether MySQL cases run (see above); fails the case when MySQL is built but not configured.
bool mysql_available();
// A driver on a new, empty database of the test server (dropped and created again), with an
// optional test hook (storage_mysql::MysqlOptions::test_hook).
std::shared_ptr<backend::Driver> fresh_mysql(const std::string& database,
                                             std::function<void(std::string_view)> hook = nullptr);
// A driver on an existing database, keeping its contents.
std::shared_ptr<backend::Driver> open_mysql(const std::string& database);
// A database name unique to this process and call.
std::string mysql_database_name(const std::string& tag);

// "sqlite" and, when the MySQL driver is built, "mysql".
std::vector<std::string> backend_kinds();
// A fresh driver of the given kind, or nullptr when that kind is skipped. SQLite files live in
// `dir`; `tag` names the database.
std::shared_ptr<backend::Driver> fresh_driver(const std::string& kind, const TempDir& dir,
                                              const std::string& tag);

raft::Entry entry(std::uint64_t index, const backend::Command& command);
raft::Entry sql_entry(std::uint64_t index, const std::vector<backend::Statement>& batch,
                      backend::Stamp stamp = {1700000000700000LL, 0x5eed5eed12345678ULL});

}  // namespace orcraft::state_machine_test
