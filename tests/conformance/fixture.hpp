#pragma once
// How the driver conformance suite opens each backend.
//
// make_sqlite_test_driver is implemented in sqlite_fixture.cpp. The MySQL functions are
// implemented in mysql_fixture.cpp (compiled in only when the MySQL driver is built); they
// read ORCRAFT_TEST_MYSQL_HOST, _PORT, _USER and _PASSWORD from the environment.

#include <memory>
#include <string>

#include "backend/driver.hpp"

namespace orcraft::conformance {

// A driver on a new SQLite database file in dir (an existing, empty directory). Called again
// with the same dir, it reopens the same database.
std::unique_ptr<backend::Driver> make_sqlite_test_driver(const std::string& dir);

// A driver on a fresh, empty MySQL database with this name (dropped and created again).
std::unique_ptr<backend::Driver> make_mysql_test_driver(const std::string& database_name);

// A driver on the existing MySQL database with this name, keeping its contents (used to reopen
// after a crash). Optional: declared weak, so a fixture that does not define it only makes the
// crash case skip on MySQL.
[[gnu::weak]] std::unique_ptr<backend::Driver> open_mysql_test_driver(
    const std::string& database_name);

}  // namespace orcraft::conformance
