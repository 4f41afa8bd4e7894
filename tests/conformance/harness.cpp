#include "tests/conformance/harness.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "tests/conformance/fixture.hpp"

namespace orcraft::conformance {

std::vector<std::string> backend_names() {
#ifdef ORCRAFT_CONFORMANCE_MYSQL
    return {"sqlite", "mysql"};
#else
    return {"sqlite"};
#endif
}

backend::Statement st(std::string sql, std::vector<Value> params) {
    return backend::Statement{std::move(sql), std::move(params)};
}

namespace {

std::string make_temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr ? base : "/tmp") + "/orcraft-conformance-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    return templ;
}

[[maybe_unused]] std::string mysql_database_name() {
    static std::atomic<int> counter{0};
    return "orcraft_conf_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
}

// Whether the MySQL cases can run; prints the reason once when they are skipped, and fails
// the case when MySQL is compiled in but not configured.
bool mysql_available() {
    if (std::getenv("ORCRAFT_TEST_MYSQL_HOST") != nullptr) {
        return true;
    }
    const char* skip = std::getenv("ORCRAFT_TEST_SKIP_MYSQL");
    if (skip != nullptr && std::string(skip) == "1") {
        static bool said = false;
        if (!said) {
            std::cerr << "conformance: MySQL cases skipped (ORCRAFT_TEST_SKIP_MYSQL=1 and "
                         "ORCRAFT_TEST_MYSQL_HOST unset)\n";
            said = true;
        }
        return false;
    }
    FAIL(
        "ORCRAFT_TEST_MYSQL_HOST is not set: the MySQL driver is built, so the conformance cases "
        "need a MySQL/MariaDB server (set ORCRAFT_TEST_MYSQL_HOST, _PORT, _USER, _PASSWORD, or "
        "ORCRAFT_TEST_SKIP_MYSQL=1 to skip them)");
    return false;
}

}  // namespace

TestDb::TestDb(const std::string& backend) : backend_(backend) {
    if (backend == "sqlite") {
        location_ = make_temp_dir();
        try {
            driver_ = make_sqlite_test_driver(location_);
        } catch (...) {
            std::error_code ec;
            std::filesystem::remove_all(location_, ec);
            throw;
        }
    } else if (backend == "mysql") {
        if (!mysql_available()) {
            return;
        }
#ifdef ORCRAFT_CONFORMANCE_MYSQL
        location_ = mysql_database_name();
        driver_ = make_mysql_test_driver(location_);
#else
        FAIL("the MySQL driver is not built");
#endif
    } else {
        FAIL("unknown backend " << backend);
    }
}

TestDb::~TestDb() {
    driver_.reset();
    if (backend_ == "sqlite" && !location_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(location_, ec);
    }
}

bool TestDb::reopen() {
    driver_.reset();
    if (backend_ == "sqlite") {
        driver_ = make_sqlite_test_driver(location_);
        return true;
    }
    if (&open_mysql_test_driver == nullptr) {
        return false;
    }
    driver_ = open_mysql_test_driver(location_);
    return true;
}

backend::BatchOutcome TestDb::run(const std::vector<backend::Statement>& batch,
                                  backend::Stamp stamp) {
    return driver_->execute(batch, stamp, next_index_++);
}

std::vector<backend::ExecResult> TestDb::ok(const std::vector<backend::Statement>& batch,
                                            backend::Stamp stamp) {
    auto out = run(batch, stamp);
    INFO("backend " << backend_);
    if (out.error) {
        FAIL("statement " << out.error->statement << " failed: " << out.error->message);
    }
    REQUIRE_FALSE(out.already_applied);
    REQUIRE(out.results.size() == batch.size());
    return out.results;
}

backend::ExecResult TestDb::ok1(const std::string& sql, std::vector<Value> params) {
    return ok({st(sql, std::move(params))}).at(0);
}

backend::StatementError TestDb::fails(const std::vector<backend::Statement>& batch) {
    auto out = run(batch);
    INFO("backend " << backend_);
    REQUIRE(out.error.has_value());
    CHECK(out.results.empty());
    return *out.error;
}

backend::QueryResult TestDb::q(const std::string& sql, std::vector<Value> params) {
    auto r = driver_->query({st(sql, std::move(params))});
    REQUIRE(r.size() == 1);
    return r[0];
}

std::vector<Row> TestDb::rows(const std::string& sql, std::vector<Value> params) {
    return q(sql, std::move(params)).rows;
}

Value TestDb::one(const std::string& sql, std::vector<Value> params) {
    auto r = rows(sql, std::move(params));
    REQUIRE(r.size() == 1);
    REQUIRE(r[0].size() == 1);
    return r[0][0];
}

}  // namespace orcraft::conformance

std::string Catch::StringMaker<orcraft::backend::Value>::convert(const orcraft::backend::Value& v) {
    switch (v.index()) {
        case 0:
            return "NULL";
        case 1:
            return std::to_string(std::get<std::int64_t>(v));
        case 2: {
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.17g (double)", std::get<double>(v));
            return buf;
        }
        case 3:
            return "'" + std::get<std::string>(v) + "'";
        default:
            return "blob(" + std::to_string(std::get<orcraft::backend::Blob>(v).bytes.size()) +
                   " bytes)";
    }
}
