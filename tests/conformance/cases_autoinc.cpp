// AUTO_INCREMENT values and last_insert_id come out the same on every backend.

#include "tests/conformance/harness.hpp"

using namespace orcraft::conformance;
using orcraft::backend::ExecResult;

namespace {
const char* kTable = "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))";
}

TEST_CASE("AUTO_INCREMENT starts at 1 and reports last_insert_id", "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(kTable);
    const auto r =
        db.ok({st("INSERT INTO t (v) VALUES ('a')"), st("INSERT INTO t (v) VALUES (?)", {S("b")}),
               st("INSERT INTO t VALUES (NULL, 'c')")});
    CHECK(r[0] == ExecResult{1, 1});
    CHECK(r[1] == ExecResult{1, 2});
    CHECK(r[2] == ExecResult{1, 3});
    CHECK(db.rows("SELECT id, v FROM t ORDER BY id") ==
          std::vector<Row>{{I(1), S("a")}, {I(2), S("b")}, {I(3), S("c")}});
}

TEST_CASE("AUTO_INCREMENT does not reuse ids after deletes", "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(kTable);
    db.ok({st("INSERT INTO t (v) VALUES ('a')"), st("INSERT INTO t (v) VALUES ('b')"),
           st("INSERT INTO t (v) VALUES ('c')")});
    CHECK(db.ok1("DELETE FROM t WHERE id >= 2").rows_affected == 2);
    CHECK(db.ok1("INSERT INTO t (v) VALUES ('d')") == ExecResult{1, 4});
    CHECK(db.ok1("DELETE FROM t").rows_affected == 2);
    CHECK(db.ok1("INSERT INTO t (v) VALUES ('e')") == ExecResult{1, 5});
}

TEST_CASE("AUTO_INCREMENT continues above an explicit id", "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(kTable);
    db.ok1("INSERT INTO t (v) VALUES ('a')");
    CHECK(db.ok1("INSERT INTO t (id, v) VALUES (100, 'b')") == ExecResult{1, 0});
    CHECK(db.ok1("INSERT INTO t (v) VALUES ('c')") == ExecResult{1, 101});
    CHECK(db.ok1("INSERT INTO t (id, v) VALUES (50, 'd')") == ExecResult{1, 0});
    CHECK(db.ok1("INSERT INTO t (v) VALUES ('e')") == ExecResult{1, 102});
}

TEST_CASE("multi-row INSERT reports the first generated id", "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(kTable);
    db.ok1("INSERT INTO t (v) VALUES ('x')");
    CHECK(db.ok1("INSERT INTO t (v) VALUES ('a'), ('b'), ('c')") == ExecResult{3, 2});
    CHECK(db.one("SELECT MAX(id) FROM t") == I(4));
}

TEST_CASE("last_insert_id is 0 for UPDATE, DELETE and DDL", "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(kTable);
    const auto r = db.ok({st("INSERT INTO t (v) VALUES ('a')"), st("UPDATE t SET v = 'b'"),
                          st("DELETE FROM t WHERE id = 99"), st("CREATE TABLE u (x INT)")});
    CHECK(r[0] == ExecResult{1, 1});
    CHECK(r[1] == ExecResult{1, 0});
    CHECK(r[2] == ExecResult{0, 0});
    CHECK(r[3] == ExecResult{0, 0});
}

TEST_CASE("INSERT IGNORE that inserts nothing reports 0 rows and id 0", "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(
        "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, u VARCHAR(10) NOT NULL, UNIQUE KEY "
        "(u))");
    CHECK(db.ok1("INSERT IGNORE INTO t (u) VALUES ('a')") == ExecResult{1, 1});
    CHECK(db.ok1("INSERT IGNORE INTO t (u) VALUES ('a')") == ExecResult{0, 0});
    CHECK(db.rows("SELECT id, u FROM t") == std::vector<Row>{{I(1), S("a")}});
}

TEST_CASE("TRUNCATE empties the table and restarts AUTO_INCREMENT", "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(kTable);
    db.ok({st("INSERT INTO t (v) VALUES ('a')"), st("INSERT INTO t (v) VALUES ('b')")});
    db.ok1("TRUNCATE TABLE t");
    CHECK(db.rows("SELECT * FROM t").empty());
    CHECK(db.ok1("INSERT INTO t (v) VALUES ('c')") == ExecResult{1, 1});
}

TEST_CASE("AUTO_INCREMENT with a table-level primary key and BIGINT UNSIGNED",
          "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(
        "CREATE TABLE `t` (`id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, `v` TEXT, PRIMARY KEY "
        "(`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    CHECK(db.ok1("INSERT INTO `t` (`v`) VALUES ('a')") == ExecResult{1, 1});
    CHECK(db.ok1("INSERT INTO `t` (`v`) VALUES ('b')") == ExecResult{1, 2});
    db.fails({st("INSERT INTO t (id, v) VALUES (1, 'dup')")});
}

TEST_CASE("AUTO_INCREMENT survives reopening the database", "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(kTable);
    db.ok({st("INSERT INTO t (v) VALUES ('a')"), st("INSERT INTO t (v) VALUES ('b')")});
    db.ok1("DELETE FROM t WHERE id = 2");
    if (!db.reopen()) {
        WARN("reopen not supported by this backend's fixture");
        return;
    }
    CHECK(db.ok1("INSERT INTO t (v) VALUES ('c')") == ExecResult{1, 3});
}

// Which AUTO_INCREMENT values a statement uses (SQLite's AUTOINCREMENT, which InnoDB matches
// for committed statements): one per row the statement tries to insert, so rows skipped by
// IGNORE or turned into updates by ON DUPLICATE KEY UPDATE use theirs; a rolled-back batch or a
// failing statement gives its values back.
namespace {
const char* kUniqueTable =
    "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, u VARCHAR(10) NOT NULL, n INT DEFAULT 0, "
    "UNIQUE KEY (u))";
}

TEST_CASE("rows skipped by IGNORE or updated by an upsert use an AUTO_INCREMENT value",
          "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(kUniqueTable);
    CHECK(db.ok1("INSERT INTO t (u) VALUES ('a')") == ExecResult{1, 1});
    CHECK(db.ok1("INSERT IGNORE INTO t (u) VALUES ('a')") == ExecResult{0, 0});
    CHECK(db.ok1("INSERT INTO t (u) VALUES ('b')") == ExecResult{1, 3});
    CHECK(db.ok1("INSERT INTO t (u) VALUES ('a') ON DUPLICATE KEY UPDATE n = n + 1") ==
          ExecResult{2, 0});
    CHECK(db.ok1("INSERT INTO t (u) VALUES ('c')") == ExecResult{1, 5});
    CHECK(db.rows("SELECT id, u, n FROM t ORDER BY id") ==
          std::vector<Row>{{I(1), S("a"), I(1)}, {I(3), S("b"), I(0)}, {I(5), S("c"), I(0)}});
}

TEST_CASE("multi-row INSERT IGNORE uses a value for every row", "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(kUniqueTable);
    db.ok1("INSERT INTO t (u) VALUES ('a')");
    CHECK(db.ok1("INSERT IGNORE INTO t (u) VALUES ('l'), ('m'), ('a')") == ExecResult{2, 2});
    CHECK(db.ok1("INSERT INTO t (u) VALUES ('n')") == ExecResult{1, 5});
    CHECK(db.rows("SELECT id FROM t ORDER BY id") ==
          std::vector<Row>{{I(1)}, {I(2)}, {I(3)}, {I(5)}});
}

TEST_CASE("AUTO_INCREMENT values of a rolled-back batch are used again", "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(kUniqueTable);
    db.ok1("INSERT INTO t (u) VALUES ('a')");
    const auto e =
        db.fails({st("INSERT INTO t (u) VALUES ('d')"), st("INSERT INTO t (u) VALUES ('e')"),
                  st("INSERT INTO t (u) VALUES ('g'), ('a'), ('h')")});
    CHECK(e.statement == 2);
    CHECK(db.ok1("INSERT INTO t (u) VALUES ('f')") == ExecResult{1, 2});
}

TEST_CASE("failing statements use no AUTO_INCREMENT value", "[conformance][autoinc]") {
    OPEN_DB();
    db.ok1(kUniqueTable);
    db.ok1("INSERT INTO t (u) VALUES ('a')");
    db.fails({st("INSERT INTO t (u) VALUES (NULL)")});
    db.fails({st("INSERT INTO t (u) VALUES ('much too long')")});
    CHECK(db.ok1("INSERT INTO t (u) VALUES ('b')") == ExecResult{1, 2});
    db.fails({st("INSERT INTO t (u) VALUES ('b')")});
    CHECK(db.ok1("INSERT INTO t (u) VALUES ('c')") == ExecResult{1, 3});
}
