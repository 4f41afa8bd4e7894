#include "storage_sqlite/sqlite_driver.hpp"
#include "tests/conformance/fixture.hpp"

namespace orcraft::conformance {

std::unique_ptr<backend::Driver> make_sqlite_test_driver(const std::string& dir) {
    storage_sqlite::SqliteOptions options;
    options.read_connections = 4;
    return std::make_unique<storage_sqlite::SqliteDriver>(dir + "/conformance.sqlite", options);
}

}  // namespace orcraft::conformance
