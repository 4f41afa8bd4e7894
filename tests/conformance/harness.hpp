#pragma once
// Test harness shared by the conformance cases: one fresh database per case on the backend
// chosen by GENERATE, batches with increasing indexes and a fixed stamp, and value helpers.

#include <catch2/catch.hpp>

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "backend/driver.hpp"

namespace orcraft::conformance {

using backend::Row;
using backend::Value;

// The backends compiled into this build: "sqlite", plus "mysql" when the MySQL driver is built.
std::vector<std::string> backend_names();

inline Value I(std::int64_t v) {
    return Value{v};
}
inline Value D(double v) {
    return Value{v};
}
inline Value S(std::string v) {
    return Value{std::move(v)};
}
inline Value B(std::string bytes) {
    return Value{backend::Blob{std::move(bytes)}};
}
inline const Value N{};

// The stamp every case uses unless it says otherwise: 2023-11-14 22:13:20.700000 UTC.
constexpr std::int64_t kStampMicros = 1700000000700000LL;
constexpr std::uint64_t kSeed = 0x5eed5eed12345678ULL;

backend::Statement st(std::string sql, std::vector<Value> params = {});

// One case's database. Empty (driver == nullptr) when the backend is skipped; each case
// returns early in that case (the reason is printed once).
class TestDb {
  public:
    explicit TestDb(const std::string& backend);
    ~TestDb();
    TestDb(const TestDb&) = delete;
    TestDb& operator=(const TestDb&) = delete;

    explicit operator bool() const { return driver_ != nullptr; }
    backend::Driver& driver() { return *driver_; }
    const std::string& backend() const { return backend_; }

    // Runs a batch at the next index with the given stamp.
    backend::BatchOutcome run(const std::vector<backend::Statement>& batch,
                              backend::Stamp stamp = {kStampMicros, kSeed});
    // Runs a batch that must succeed; returns its results.
    std::vector<backend::ExecResult> ok(const std::vector<backend::Statement>& batch,
                                        backend::Stamp stamp = {kStampMicros, kSeed});
    // Runs one statement that must succeed.
    backend::ExecResult ok1(const std::string& sql, std::vector<Value> params = {});
    // Runs a batch that must fail; returns the error.
    backend::StatementError fails(const std::vector<backend::Statement>& batch);
    // One query; returns its result.
    backend::QueryResult q(const std::string& sql, std::vector<Value> params = {});
    // The rows of one query.
    std::vector<Row> rows(const std::string& sql, std::vector<Value> params = {});
    // The single value of a one-row, one-column query.
    Value one(const std::string& sql, std::vector<Value> params = {});

    std::uint64_t next_index() const { return next_index_; }
    void set_next_index(std::uint64_t i) { next_index_ = i; }

    // Closes and reopens the same database (false when the backend cannot reopen).
    bool reopen();
    // Closes the database (until reopen()).
    void close() { driver_.reset(); }
    // The location handed to the fixture: a directory (SQLite) or a database name (MySQL).
    const std::string& location() const { return location_; }

  private:
    std::string backend_;
    std::string location_;
    std::unique_ptr<backend::Driver> driver_;
    std::uint64_t next_index_ = 1;
};

}  // namespace orcraft::conformance

namespace Catch {
template <>
struct StringMaker<orcraft::backend::Value> {
    static std::string convert(const orcraft::backend::Value& v);
};
template <>
struct StringMaker<orcraft::backend::ExecResult> {
    static std::string convert(const orcraft::backend::ExecResult& r) {
        return "{rows_affected " + std::to_string(r.rows_affected) + ", last_insert_id " +
               std::to_string(r.last_insert_id) + "}";
    }
};
}  // namespace Catch

// Opens `db` on each compiled-in backend in turn (one run of the case per backend).
#define OPEN_DB()                                                      \
    const std::string backend_name =                                   \
        GENERATE(from_range(::orcraft::conformance::backend_names())); \
    ::orcraft::conformance::TestDb db(backend_name);                   \
    if (!db) return;                                                   \
    INFO("backend " << backend_name)
