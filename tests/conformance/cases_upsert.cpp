// INSERT IGNORE, INSERT ... ON DUPLICATE KEY UPDATE and REPLACE.

#include "tests/conformance/harness.hpp"

using namespace orcraft::conformance;
using orcraft::backend::ExecResult;

namespace {
const char* kTable =
    "CREATE TABLE t (k VARCHAR(10) NOT NULL PRIMARY KEY, a INT DEFAULT 0, b VARCHAR(10) DEFAULT "
    "'none', n INT NOT NULL DEFAULT 0)";
}

TEST_CASE("INSERT IGNORE skips duplicates and inserts the rest", "[conformance][upsert]") {
    OPEN_DB();
    db.ok1(kTable);
    db.ok1("INSERT INTO t (k, a) VALUES ('x', 1)");
    CHECK(db.ok1("INSERT IGNORE INTO t (k, a) VALUES ('x', 2), ('y', 3)").rows_affected == 1);
    CHECK(db.rows("SELECT k, a FROM t ORDER BY k") ==
          std::vector<Row>{{S("x"), I(1)}, {S("y"), I(3)}});
}

TEST_CASE("a duplicate key without IGNORE fails the batch", "[conformance][upsert]") {
    OPEN_DB();
    db.ok1(kTable);
    db.ok1("INSERT INTO t (k) VALUES ('x')");
    const auto e =
        db.fails({st("INSERT INTO t (k) VALUES ('y')"), st("INSERT INTO t (k) VALUES ('x')")});
    CHECK(e.statement == 1);
    CHECK(db.rows("SELECT k FROM t") == std::vector<Row>{{S("x")}});
}

TEST_CASE("ON DUPLICATE KEY UPDATE inserts when there is no conflict", "[conformance][upsert]") {
    OPEN_DB();
    db.ok1(kTable);
    CHECK(db.ok1("INSERT INTO t (k, a) VALUES ('x', 1) ON DUPLICATE KEY UPDATE a = VALUES(a)")
              .rows_affected == 1);
    CHECK(db.rows("SELECT k, a, b, n FROM t") == std::vector<Row>{{S("x"), I(1), S("none"), I(0)}});
}

TEST_CASE("ON DUPLICATE KEY UPDATE keeps unlisted columns", "[conformance][upsert]") {
    OPEN_DB();
    db.ok1(kTable);
    db.ok1("INSERT INTO t (k, a, b, n) VALUES ('x', 1, 'keep', 7)");
    CHECK(db.ok1("INSERT INTO t (k, a) VALUES ('x', 2) ON DUPLICATE KEY UPDATE a = VALUES(a)")
              .rows_affected == 2);
    CHECK(db.rows("SELECT k, a, b, n FROM t") == std::vector<Row>{{S("x"), I(2), S("keep"), I(7)}});
}

TEST_CASE("ON DUPLICATE KEY UPDATE can use the existing value", "[conformance][upsert]") {
    OPEN_DB();
    db.ok1(kTable);
    for (int i = 0; i < 3; ++i) {
        db.ok1("INSERT INTO t (k, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1", {S("c")});
    }
    CHECK(db.one("SELECT n FROM t WHERE k = 'c'") == I(3));
}

TEST_CASE("ON DUPLICATE KEY UPDATE with placeholders and several columns",
          "[conformance][upsert]") {
    OPEN_DB();
    db.ok1(kTable);
    db.ok1("INSERT INTO t (k, a, b) VALUES ('x', 1, 'one')");
    db.ok1(
        "INSERT INTO `t` (`k`, `a`, `b`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `a` = "
        "VALUES(`a`), "
        "b = CONCAT(b, '+', VALUES(b))",
        {S("x"), I(5), S("two")});
    CHECK(db.rows("SELECT a, b FROM t") == std::vector<Row>{{I(5), S("one+two")}});
}

TEST_CASE("ON DUPLICATE KEY UPDATE on a unique secondary key", "[conformance][upsert]") {
    OPEN_DB();
    db.ok1(
        "CREATE TABLE t (id INT PRIMARY KEY, email VARCHAR(50) NOT NULL, hits INT DEFAULT 0, "
        "UNIQUE KEY email_uq (email))");
    db.ok1("INSERT INTO t (id, email) VALUES (1, 'a@x')");
    db.ok1(
        "INSERT INTO t (id, email, hits) VALUES (2, 'a@x', 1) ON DUPLICATE KEY UPDATE hits = hits "
        "+ 10");
    CHECK(db.rows("SELECT id, email, hits FROM t") == std::vector<Row>{{I(1), S("a@x"), I(10)}});
}

TEST_CASE("REPLACE inserts, or deletes and inserts, resetting unlisted columns",
          "[conformance][upsert]") {
    OPEN_DB();
    db.ok1(kTable);
    CHECK(db.ok1("REPLACE INTO t (k, a, b) VALUES ('x', 1, 'first')").rows_affected == 1);
    CHECK(db.ok1("REPLACE INTO t (k, a) VALUES ('x', 2)").rows_affected == 2);
    CHECK(db.rows("SELECT k, a, b FROM t") == std::vector<Row>{{S("x"), I(2), S("none")}});
}

TEST_CASE("REPLACE into an AUTO_INCREMENT table reports the new id", "[conformance][upsert]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, u INT, v INT, UNIQUE KEY (u))");
    CHECK(db.ok1("INSERT INTO t (u, v) VALUES (1, 1)") == ExecResult{1, 1});
    CHECK(db.ok1("REPLACE INTO t (u, v) VALUES (1, 2)") == ExecResult{2, 2});
    CHECK(db.rows("SELECT id, u, v FROM t") == std::vector<Row>{{I(2), I(1), I(2)}});
}
