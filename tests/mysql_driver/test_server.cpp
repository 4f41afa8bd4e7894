#include "test_server.hpp"

#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace orcraft::mysql_test {

namespace {

std::string env_or_fail(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
        FAIL(std::string(name) +
             " is not set: start the test server first, e.g.\n"
             "  eval \"$(scripts/mariadb.sh start /tmp/orcraft-mariadb 33306)\"");
    }
    return v;
}

}  // namespace

storage_mysql::MysqlOptions test_options(const std::string& database) {
    storage_mysql::MysqlOptions o;
    o.host = env_or_fail("ORCRAFT_TEST_MYSQL_HOST");
    o.port = std::atoi(env_or_fail("ORCRAFT_TEST_MYSQL_PORT").c_str());
    o.user = env_or_fail("ORCRAFT_TEST_MYSQL_USER");
    o.password = env_or_fail("ORCRAFT_TEST_MYSQL_PASSWORD");
    o.database = database;
    o.connect_timeout_seconds = 2;
    o.read_timeout_seconds = 30;
    o.reconnect_deadline_seconds = 20;
    return o;
}

struct AdminSession::Impl {
    std::unique_ptr<sql::Connection> conn;
};

AdminSession::AdminSession() : impl_(std::make_unique<Impl>()) {
    const auto o = test_options("unused");
    sql::ConnectOptionsMap props;
    props["hostName"] = o.host;
    props["port"] = o.port;
    props["userName"] = o.user;
    props["password"] = o.password;
    props["OPT_CONNECT_TIMEOUT"] = 2;
    props["OPT_READ_TIMEOUT"] = 30;
    impl_->conn.reset(sql::mysql::get_mysql_driver_instance()->connect(props));
}

AdminSession::~AdminSession() = default;

void AdminSession::exec(const std::string& sql) {
    std::unique_ptr<sql::Statement> st(impl_->conn->createStatement());
    st->execute(sql);
}

std::int64_t AdminSession::query_int(const std::string& sql) {
    std::unique_ptr<sql::Statement> st(impl_->conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql));
    REQUIRE(rs->next());
    return rs->getInt64(1);
}

void AdminSession::drop_database(const std::string& name) {
    exec("DROP DATABASE IF EXISTS `" + name + "`");
}

void AdminSession::kill_connection(std::uint64_t id) {
    try {
        exec("KILL CONNECTION " + std::to_string(id));
    } catch (const sql::SQLException&) {
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (query_int("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = " +
                     std::to_string(id)) > 0) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::string mariadb_script() {
    return std::string(ORCRAFT_SOURCE_DIR) + "/scripts/mariadb.sh";
}

}  // namespace orcraft::mysql_test
