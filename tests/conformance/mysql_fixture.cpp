// The conformance suite's MySQL backend: databases on the server named by the
// ORCRAFT_TEST_MYSQL_* environment variables (scripts/mariadb.sh prints them).

#include <cstdlib>
#include <stdexcept>

#include "storage_mysql/mysql_driver.hpp"
#include "tests/conformance/fixture.hpp"

namespace orcraft::conformance {

namespace {

std::string env(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
    if (fallback != nullptr) return fallback;
    throw std::runtime_error(std::string(name) + " is not set");
}

storage_mysql::MysqlOptions options(const std::string& database) {
    storage_mysql::MysqlOptions o;
    o.host = env("ORCRAFT_TEST_MYSQL_HOST", nullptr);
    o.port = std::atoi(env("ORCRAFT_TEST_MYSQL_PORT", "3306").c_str());
    o.user = env("ORCRAFT_TEST_MYSQL_USER", "orcraft");
    o.password = env("ORCRAFT_TEST_MYSQL_PASSWORD", "");
    o.database = database;
    o.connect_timeout_seconds = 5;
    o.read_timeout_seconds = 60;
    o.reader_pool_size = 4;
    return o;
}

}  // namespace

std::unique_ptr<backend::Driver> make_mysql_test_driver(const std::string& database_name) {
    {
        // DROP DATABASE through the driver's own interface: an unlogged batch (index 0) on a
        // scratch database of the suite.
        storage_mysql::MysqlDriver admin(options("orcraft_conformance_admin"));
        const auto out =
            admin.execute({{"DROP DATABASE IF EXISTS `" + database_name + "`", {}}}, {}, 0);
        if (out.error) throw std::runtime_error("dropping test database: " + out.error->message);
    }
    return std::make_unique<storage_mysql::MysqlDriver>(options(database_name));
}

std::unique_ptr<backend::Driver> open_mysql_test_driver(const std::string& database_name) {
    return std::make_unique<storage_mysql::MysqlDriver>(options(database_name));
}

}  // namespace orcraft::conformance
