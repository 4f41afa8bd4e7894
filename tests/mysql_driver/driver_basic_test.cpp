// The MySQL driver against the real test server: batches, the applied index, values and the
// session settings. The cross-backend behaviour is the conformance suite's job; these cases pin
// what is specific to MySQL (step-wise DDL batches, stored results, the read-only guard).

#include <catch2/catch.hpp>

#include "storage_mysql/mysql_driver.hpp"
#include "test_server.hpp"

using orcraft::backend::Blob;
using orcraft::backend::Stamp;
using orcraft::backend::Statement;
using orcraft::backend::Value;
using orcraft::storage_mysql::MysqlDriver;

namespace {

constexpr std::int64_t kStampMicros = 1700000000123456;  // 2023-11-14 22:13:20.123456 UTC

std::unique_ptr<MysqlDriver> fresh(const std::string& db) {
    orcraft::mysql_test::AdminSession admin;
    admin.drop_database(db);
    return std::make_unique<MysqlDriver>(orcraft::mysql_test::test_options(db));
}

Statement st(std::string sql, std::vector<Value> params = {}) {
    return Statement{std::move(sql), std::move(params)};
}

}  // namespace

TEST_CASE("a new database starts at applied index 0 and records each batch", "[mysql]") {
    auto d = fresh("orcraft_t_basic");
    CHECK(d->kind() == "mysql");
    CHECK(d->applied_index() == 0);
    auto out =
        d->execute({st("CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v TEXT)"),
                    st("INSERT INTO t (v) VALUES (?), (?)", {std::string("a"), std::string("b")})},
                   Stamp{kStampMicros, 1}, 1);
    REQUIRE_FALSE(out.error);
    REQUIRE(out.results.size() == 2);
    CHECK(out.results[1].rows_affected == 2);
    CHECK(out.results[1].last_insert_id == 1);
    CHECK(d->applied_index() == 1);

    auto again = d->execute({st("INSERT INTO t (v) VALUES ('c')")}, Stamp{kStampMicros, 1}, 1);
    CHECK(again.already_applied);
    auto rows = d->query({st("SELECT COUNT(*) AS n FROM t")});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].columns == std::vector<std::string>{"n"});
    CHECK(rows[0].types == std::vector<std::string>{"integer"});
    CHECK(rows[0].rows.at(0).at(0) == Value{std::int64_t{2}});

    // The applied index is durable: a new driver on the same database sees it.
    d.reset();
    MysqlDriver reopened(orcraft::mysql_test::test_options("orcraft_t_basic"));
    CHECK(reopened.applied_index() == 1);
}

TEST_CASE("a failing statement rolls the batch back and still records the index", "[mysql]") {
    auto d = fresh("orcraft_t_fail");
    REQUIRE_FALSE(d->execute({st("CREATE TABLE t (id INT PRIMARY KEY)")}, {}, 1).error);
    auto out = d->execute({st("INSERT INTO t VALUES (1)"), st("INSERT INTO t VALUES (1)")}, {}, 2);
    REQUIRE(out.error);
    CHECK(out.error->statement == 1);
    CHECK(out.error->message.find("Duplicate") != std::string::npos);
    CHECK(d->applied_index() == 2);
    CHECK(d->query({st("SELECT COUNT(*) FROM t")})[0].rows[0][0] == Value{std::int64_t{0}});
}

TEST_CASE("transaction control inside a batch is refused", "[mysql]") {
    auto d = fresh("orcraft_t_txn");
    auto out = d->execute({st("CREATE TABLE t (id INT)"), st("COMMIT")}, {}, 1);
    REQUIRE(out.error);
    CHECK(out.error->statement == 1);
    CHECK(d->applied_index() == 1);
}

TEST_CASE("a batch mixing DML and DDL applies step by step", "[mysql]") {
    auto d = fresh("orcraft_t_mixed");
    auto out =
        d->execute({st("CREATE TABLE a (id INT PRIMARY KEY)"), st("INSERT INTO a VALUES (1)"),
                    st("CREATE TABLE b (id INT PRIMARY KEY)"), st("INSERT INTO b VALUES (2)"),
                    st("INSERT INTO a VALUES (3)")},
                   {}, 1);
    REQUIRE_FALSE(out.error);
    CHECK(out.results.size() == 5);
    CHECK(d->applied_index() == 1);
    auto r = d->query({st("SELECT COUNT(*) FROM a"), st("SELECT COUNT(*) FROM b")});
    CHECK(r[0].rows[0][0] == Value{std::int64_t{2}});
    CHECK(r[1].rows[0][0] == Value{std::int64_t{1}});
}

TEST_CASE("time and values come back in portable form", "[mysql]") {
    auto d = fresh("orcraft_t_values");
    REQUIRE_FALSE(
        d->execute({st("CREATE TABLE v (i BIGINT, u BIGINT UNSIGNED, r DOUBLE, s VARCHAR(20), "
                       "b BLOB, dt DATETIME, ts TIMESTAMP NULL, n INT)"),
                    st("INSERT INTO v VALUES (?, ?, ?, ?, ?, NOW(), NOW(), ?)",
                       {std::int64_t{-5}, std::int64_t{9223372036854775807}, 2.5,
                        std::string("h\xc3\xa9llo"), Blob{std::string("a\0b", 3)}, Value{}})},
                   Stamp{kStampMicros, 7}, 1)
            .error);
    auto r = d->query({st("SELECT * FROM v")});
    REQUIRE(r[0].rows.size() == 1);
    CHECK(r[0].types == std::vector<std::string>{"integer", "integer", "real", "text", "blob",
                                                 "datetime", "datetime", "integer"});
    const auto& row = r[0].rows[0];
    CHECK(row[0] == Value{std::int64_t{-5}});
    CHECK(row[1] == Value{std::int64_t{9223372036854775807}});
    CHECK(row[2] == Value{2.5});
    CHECK(row[3] == Value{std::string("h\xc3\xa9llo")});
    CHECK(row[4] == Value{Blob{std::string("a\0b", 3)}});
    CHECK(row[5] == Value{std::string("2023-11-14 22:13:20")});
    CHECK(row[6] == Value{std::string("2023-11-14 22:13:20")});
    CHECK(row[7] == Value{});

    // With parameters (interpolated as literals) the values read the same.
    auto p = d->query({st("SELECT dt, ts, b FROM v WHERE i = ?", {std::int64_t{-5}})});
    CHECK(p[0].rows.at(0)[0] == Value{std::string("2023-11-14 22:13:20")});
    CHECK(p[0].rows.at(0)[1] == Value{std::string("2023-11-14 22:13:20")});
    CHECK(p[0].rows.at(0)[2] == Value{Blob{std::string("a\0b", 3)}});
}

TEST_CASE("an unsigned value above 2^63-1 is refused, not changed", "[mysql]") {
    auto d = fresh("orcraft_t_unsigned");
    // The dialect refuses such a literal; unsigned arithmetic can still get there.
    REQUIRE_FALSE(
        d->execute({st("CREATE TABLE u (x BIGINT UNSIGNED)"),
                    st("INSERT INTO u VALUES (9223372036854775807)"), st("UPDATE u SET x = x + 1")},
                   {}, 1)
            .error);
    CHECK_THROWS_AS(d->query({st("SELECT x FROM u")}), orcraft::backend::StatementQueryError);
    // The reader connection is still usable afterwards.
    CHECK(d->query({st("SELECT COUNT(*) FROM u")})[0].rows[0][0] == Value{std::int64_t{1}});
}

TEST_CASE("query refuses statements that write", "[mysql]") {
    auto d = fresh("orcraft_t_readonly");
    REQUIRE_FALSE(d->execute({st("CREATE TABLE t (id INT)")}, {}, 1).error);
    for (const char* sql : {"INSERT INTO t VALUES (1)", "CREATE TABLE x (id INT)", "DROP TABLE t",
                            "UPDATE t SET id = 2"}) {
        CHECK_THROWS_AS(d->query({st(sql)}), orcraft::backend::StatementQueryError);
    }
    CHECK(d->query({st("SELECT COUNT(*) FROM t")})[0].rows[0][0] == Value{std::int64_t{0}});
    try {
        d->query({st("SELECT 1"), st("SELECT nope FROM t")});
        FAIL("expected an error");
    } catch (const orcraft::backend::StatementQueryError& e) {
        CHECK(e.statement() == 1);
    }
}

TEST_CASE("string comparison is binary, as on SQLite", "[mysql]") {
    auto d = fresh("orcraft_t_collation");
    REQUIRE_FALSE(d->execute({st("CREATE TABLE c (s VARCHAR(10) PRIMARY KEY)"),
                              st("INSERT INTO c VALUES ('abc'), ('ABC'), ('ab')")},
                             {}, 1)
                      .error);
    CHECK(d->query({st("SELECT COUNT(*) FROM c WHERE s = 'abc'")})[0].rows[0][0] ==
          Value{std::int64_t{1}});
}

TEST_CASE("an interrupted attempt does not change the ids a batch gives", "[mysql][autoinc]") {
    // The same entries on two databases; on the second, the writer's session is killed in the
    // middle of entry 3, after InnoDB handed out ids that the retry must hand out again.
    const std::vector<std::vector<Statement>> entries = {
        {st("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, k VARCHAR(8) UNIQUE)")},
        {st("INSERT INTO t (k) VALUES ('a')")},
        {st("INSERT INTO t (k) VALUES ('b'), ('c')"), st("INSERT IGNORE INTO t (k) VALUES ('a')"),
         st("INSERT INTO t (k) VALUES ('d')")},
        {st("INSERT INTO t (k) VALUES ('e')")},
    };
    auto run_all = [&](const std::string& db, bool interrupt) {
        orcraft::mysql_test::AdminSession admin;
        admin.drop_database(db);
        auto o = orcraft::mysql_test::test_options(db);
        MysqlDriver* self = nullptr;
        int seen = 0;
        o.test_hook = [&](std::string_view point) {
            // The second statement of entry 3 has run: ids 2 to 4 are handed out.
            if (interrupt && self != nullptr && point == "after-statement" && ++seen == 3)
                admin.kill_connection(self->writer_connection_id());
        };
        MysqlDriver d(o);
        self = &d;
        std::uint64_t index = 0;
        for (const auto& e : entries)
            REQUIRE_FALSE(d.execute(e, {}, ++index).error);
        return d.query({st("SELECT id, k FROM t ORDER BY id")})[0].rows;
    };
    const auto plain = run_all("orcraft_t_autoinc_a", false);
    const auto interrupted = run_all("orcraft_t_autoinc_b", true);
    CHECK(plain.size() == 5);
    CHECK(interrupted == plain);
}

TEST_CASE("rows_affected counts matched rows and last_insert_id only generated ids",
          "[mysql][counts]") {
    auto d = fresh("orcraft_t_counts");
    std::uint64_t index = 0;
    auto one = [&](const std::string& sql) {
        auto out = d->execute({st(sql)}, {}, ++index);
        REQUIRE_FALSE(out.error);
        return out.results.at(0);
    };
    one("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, k VARCHAR(8) UNIQUE, n INT)");
    CHECK(one("INSERT INTO t (k, n) VALUES ('a', 1), ('b', 2)") ==
          orcraft::backend::ExecResult{2, 1});
    CHECK(one("UPDATE t SET n = n") == orcraft::backend::ExecResult{2, 0});
    CHECK(one("INSERT INTO t (k, n) VALUES ('a', 5) ON DUPLICATE KEY UPDATE n = VALUES(n)") ==
          orcraft::backend::ExecResult{2, 0});
    CHECK(one("INSERT INTO t (k, n) VALUES ('a', 5) ON DUPLICATE KEY UPDATE n = VALUES(n)") ==
          orcraft::backend::ExecResult{1, 0});
    CHECK(one("INSERT INTO t (k, n) VALUES ('c', 3) ON DUPLICATE KEY UPDATE n = VALUES(n)") ==
          orcraft::backend::ExecResult{1, 5});  // the two updating upserts used ids 3 and 4
    CHECK(one("INSERT INTO t (id, k, n) VALUES (10, 'd', 4)") ==
          orcraft::backend::ExecResult{1, 0});
    CHECK(one("REPLACE INTO t (k, n) VALUES ('d', 9)") == orcraft::backend::ExecResult{2, 11});
    CHECK(one("DELETE FROM t WHERE n > 100") == orcraft::backend::ExecResult{0, 0});
}

TEST_CASE("a 16 MiB blob goes in as a parameter and comes back intact", "[mysql][blob]") {
    auto d = fresh("orcraft_t_blob");
    std::string bytes(16 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>((i * 131) >> 3);
    auto out = d->execute({st("CREATE TABLE b (id INT PRIMARY KEY, data LONGBLOB)"),
                           st("INSERT INTO b VALUES (1, ?)", {Blob{bytes}})},
                          {}, 1);
    REQUIRE_FALSE(out.error);
    auto r = d->query(
        {st("SELECT data FROM b WHERE id = ?", {std::int64_t{1}}), st("SELECT data FROM b")});
    REQUIRE(r[0].rows.size() == 1);
    CHECK(std::get<Blob>(r[0].rows[0][0]).bytes == bytes);
    CHECK(std::get<Blob>(r[1].rows[0][0]).bytes == bytes);
}

TEST_CASE("index 0 runs a batch unlogged on the server clock", "[mysql][unlogged]") {
    auto d = fresh("orcraft_t_unlogged");
    REQUIRE_FALSE(
        d->execute({st("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME)")}, {}, 1)
            .error);
    auto out = d->execute({st("INSERT INTO t (at) VALUES (NOW())")}, Stamp{0, 5}, 0);
    REQUIRE_FALSE(out.error);
    CHECK(out.results.at(0).last_insert_id == 1);
    CHECK(d->applied_index() == 1);
    // The server's clock, not the epoch: the year is well past 1970.
    auto r = d->query({st("SELECT SUBSTR(at, 1, 4) FROM t")});
    CHECK(std::stoi(std::get<std::string>(r[0].rows.at(0).at(0))) >= 2024);
    // A failing unlogged batch rolls back and reports the statement.
    auto bad =
        d->execute({st("INSERT INTO t (at) VALUES (NOW())"), st("INSERT INTO t (id) VALUES (1)")},
                   Stamp{0, 5}, 0);
    REQUIRE(bad.error);
    CHECK(bad.error->statement == 1);
    CHECK(d->query({st("SELECT COUNT(*) FROM t")})[0].rows[0][0] == Value{std::int64_t{1}});
}

TEST_CASE("a failing batch takes back the tables and indexes it created", "[mysql][undo]") {
    auto d = fresh("orcraft_t_undo");
    auto out = d->execute({st("CREATE TABLE x (a INT NOT NULL)"), st("CREATE INDEX ix ON x (a)"),
                           st("CREATE TABLE y (b INT)"), st("INSERT INTO x VALUES (1)"),
                           st("INSERT INTO x VALUES (NULL)")},
                          {}, 1);
    REQUIRE(out.error);
    CHECK(out.error->statement == 4);
    CHECK(d->applied_index() == 1);
    CHECK_THROWS_AS(d->query({st("SELECT * FROM x")}), orcraft::backend::StatementQueryError);
    CHECK_THROWS_AS(d->query({st("SELECT * FROM y")}), orcraft::backend::StatementQueryError);
    // The same batch without the bad row applies in full.
    REQUIRE_FALSE(d->execute({st("CREATE TABLE x (a INT NOT NULL)"), st("CREATE INDEX ix ON x (a)"),
                              st("INSERT INTO x VALUES (1)")},
                             {}, 2)
                      .error);
    CHECK(d->query({st("SELECT COUNT(*) FROM x")})[0].rows[0][0] == Value{std::int64_t{1}});
    // Text results read back through both protocols (the collation is one Connector/C++ knows).
    CHECK(d->query({st("SELECT 'abc', CONCAT('a', ?)", {std::string("b")})})[0].rows.at(0) ==
          orcraft::backend::Row{Value{std::string("abc")}, Value{std::string("ab")}});
}
