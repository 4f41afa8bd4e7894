// Behaviour specific to the SQLite driver (the shared behaviour is in tests/conformance).

#include <sqlite3.h>
#include <stdlib.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "storage_sqlite/sqlite_driver.hpp"

using namespace orcraft;
using backend::Statement;
using backend::Value;
using storage_sqlite::SqliteDriver;
using storage_sqlite::SqliteOptions;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        std::string t = "/tmp/orcraft-sqlite-XXXXXX";
        REQUIRE(mkdtemp(t.data()) != nullptr);
        path = t;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

Value one(SqliteDriver& d, const std::string& sql) {
    auto r = d.query({Statement{sql, {}}});
    REQUIRE(r.at(0).rows.size() == 1);
    return r[0].rows[0].at(0);
}

std::string pragma(const std::string& file, const std::string& name) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, ("PRAGMA " + name).c_str(), -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    std::string v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

}  // namespace

TEST_CASE("the database runs in WAL mode") {
    TempDir dir;
    const std::string file = dir.path + "/db.sqlite";
    SqliteDriver d(file);
    CHECK(pragma(file, "journal_mode") == "wal");
    CHECK(d.kind() == "sqlite");
}

TEST_CASE("two drivers in one process keep their own stamps") {
    TempDir a_dir, b_dir;
    SqliteDriver a(a_dir.path + "/a.sqlite");
    SqliteDriver b(b_dir.path + "/b.sqlite");
    const std::string ddl =
        "CREATE TABLE t (id INT PRIMARY KEY, at DATETIME DEFAULT CURRENT_TIMESTAMP)";
    a.execute({{ddl, {}}}, {1, 1}, 1);
    b.execute({{ddl, {}}}, {1, 1}, 1);
    // Interleave: a's stamp must not leak into b's batch and the other way round.
    std::atomic<bool> stop{false};
    std::thread other([&] {
        for (std::uint64_t i = 2; !stop.load(); ++i) {
            b.execute({{"INSERT INTO t (id) VALUES (?)", {Value{static_cast<std::int64_t>(i)}}}},
                      {2000000000000000LL, 1}, i);
        }
    });
    for (std::int64_t i = 2; i < 200; ++i) {
        a.execute({{"INSERT INTO t (id) VALUES (?)", {Value{i}}}}, {1000000000000000LL, 1},
                  static_cast<std::uint64_t>(i));
    }
    stop = true;
    other.join();
    CHECK(one(a, "SELECT COUNT(DISTINCT at) FROM t") == Value{std::int64_t{1}});
    CHECK(one(a, "SELECT MIN(at) FROM t") == Value{std::string("2001-09-09 01:46:40")});
    CHECK(one(b, "SELECT COUNT(DISTINCT at) FROM t") == Value{std::int64_t{1}});
    CHECK(one(b, "SELECT MIN(at) FROM t") == Value{std::string("2033-05-18 03:33:20")});
}

TEST_CASE("queries take the time from the injected clock") {
    TempDir dir;
    SqliteOptions o;
    o.clock = [] { return std::int64_t{1234567890123456}; };
    SqliteDriver d(dir.path + "/db.sqlite", o);
    CHECK(one(d, "SELECT NOW()") == Value{std::string("2009-02-13 23:31:30")});
    CHECK(one(d, "SELECT UNIX_TIMESTAMP()") == Value{std::int64_t{1234567890}});
}

TEST_CASE("integer literals outside int64 are refused") {
    TempDir dir;
    SqliteDriver d(dir.path + "/db.sqlite");
    d.execute({{"CREATE TABLE t (v BIGINT UNSIGNED)", {}}}, {1, 1}, 1);
    const auto out =
        d.execute({{"INSERT INTO t (v) VALUES (18446744073709551615)", {}}}, {1, 1}, 2);
    REQUIRE(out.error);
    CHECK_THAT(out.error->message, Catch::Contains("outside the signed 64-bit range"));
}

TEST_CASE("the applied index table cannot be reached from SQL") {
    TempDir dir;
    SqliteDriver d(dir.path + "/db.sqlite");
    const auto out = d.execute({{"UPDATE orcraft_applied_index SET applied = 0", {}}}, {1, 1}, 5);
    REQUIRE(out.error);
    CHECK_THAT(out.error->message, Catch::Contains("reserved name"));
    CHECK(d.applied_index() == 5);
}

TEST_CASE("opening an impossible path is a backend error") {
    CHECK_THROWS_AS(SqliteDriver("/nonexistent-dir/x/db.sqlite"), backend::BackendError);
}

TEST_CASE("more concurrent queries than read connections all complete") {
    TempDir dir;
    SqliteOptions o;
    o.read_connections = 2;
    SqliteDriver d(dir.path + "/db.sqlite", o);
    d.execute(
        {{"CREATE TABLE t (id INT PRIMARY KEY)", {}}, {"INSERT INTO t VALUES (1), (2), (3)", {}}},
        {1, 1}, 1);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                if (d.query({{"SELECT COUNT(*) FROM t", {}}}).at(0).rows.at(0).at(0) ==
                    Value{std::int64_t{3}}) {
                    ++ok;
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(ok.load() == 400);
}

TEST_CASE("values are stored in plain SQLite form readable by other tools") {
    TempDir dir;
    const std::string file = dir.path + "/db.sqlite";
    {
        SqliteDriver d(file);
        d.execute({{"CREATE TABLE `t` (`id` INT AUTO_INCREMENT PRIMARY KEY, at DATETIME DEFAULT "
                    "CURRENT_TIMESTAMP)",
                    {}},
                   {"INSERT INTO t (id) VALUES (NULL)", {}}},
                  {1700000000000000LL, 1}, 7);
    }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db,
                               "SELECT id, at, (SELECT applied FROM orcraft_applied_index) FROM t",
                               -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(sqlite3_column_int64(st, 0) == 1);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))) ==
          "2023-11-14 22:13:20");
    CHECK(sqlite3_column_int64(st, 2) == 7);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

TEST_CASE("an apply group commits its batches at once, and abandoning it undoes them all") {
    TempDir dir;
    const std::string file = dir.path + "/db.sqlite";
    SqliteOptions options;
    options.durable_commits = false;
    {
        SqliteDriver d(file, options);
        REQUIRE(!d.execute({{"CREATE TABLE t (id INT PRIMARY KEY)", {}}}, {}, 1).error);

        d.begin_group();
        CHECK(d.execute({{"INSERT INTO t VALUES (1)", {}}}, {}, 2).results.size() == 1);
        // A failing batch undoes itself only, and its index still counts.
        const auto failed =
            d.execute({{"INSERT INTO t VALUES (2)", {}}, {"INSERT INTO t VALUES (1)", {}}}, {}, 3);
        REQUIRE(failed.error);
        CHECK(failed.error->statement == 1);
        CHECK(d.execute({{"INSERT INTO t VALUES (3)", {}}}, {}, 4).results.size() == 1);
        CHECK(d.execute({{"INSERT INTO t VALUES (9)", {}}}, {}, 4).already_applied);
        CHECK(d.applied_index() == 4);
        // Other threads read the state before the group until it commits; the group's own
        // thread reads the group's rows.
        auto elsewhere = std::async(std::launch::async, [&d] {
            return d.query({Statement{"SELECT COUNT(*) FROM t", {}}})[0].rows.at(0).at(0);
        });
        CHECK(elsewhere.get() == Value{std::int64_t{0}});
        CHECK(one(d, "SELECT COUNT(*) FROM t") == Value{std::int64_t{2}});
        d.end_group();
        CHECK(one(d, "SELECT COUNT(*) FROM t") == Value{std::int64_t{2}});
        CHECK(one(d, "SELECT SUM(id) FROM t") == Value{std::int64_t{4}});

        d.begin_group();
        d.execute({{"INSERT INTO t VALUES (5)", {}}}, {}, 5);
        d.execute({{"DROP TABLE t", {}}}, {}, 6);
        CHECK(d.applied_index() == 6);
        d.abandon_group();
        CHECK(d.applied_index() == 4);
        CHECK(one(d, "SELECT COUNT(*) FROM t") == Value{std::int64_t{2}});
        // The same indexes apply again after the abandoned group.
        CHECK(!d.execute({{"INSERT INTO t VALUES (5)", {}}}, {}, 5).already_applied);
    }
    SqliteDriver reopened(file, options);
    CHECK(reopened.applied_index() == 5);
    CHECK(one(reopened, "SELECT SUM(id) FROM t") == Value{std::int64_t{9}});
}
