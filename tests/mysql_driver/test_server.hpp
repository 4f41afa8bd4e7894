#pragma once
// Access to the throwaway MariaDB that scripts/mariadb.sh starts for the tests: connection
// options from the ORCRAFT_TEST_MYSQL_* environment variables, and an administrative session for
// what the driver deliberately cannot do (drop databases, kill connections). Connector/C++
// stays inside test_server.cpp.

#include <cstdint>
#include <memory>
#include <string>

#include "storage_mysql/mysql_options.hpp"

namespace orcraft::mysql_test {

// Options for `database` on the test server. Fails the test with instructions when the
// environment does not name a server.
storage_mysql::MysqlOptions test_options(const std::string& database);

// A plain session as the test user, without a default database.
class AdminSession {
  public:
    AdminSession();
    ~AdminSession();
    void exec(const std::string& sql);
    std::int64_t query_int(const std::string& sql);
    void drop_database(const std::string& name);
    // KILL CONNECTION id, then wait until the server no longer lists it.
    void kill_connection(std::uint64_t id);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Path of scripts/mariadb.sh in the source tree.
std::string mariadb_script();

}  // namespace orcraft::mysql_test
