// Column types: every value reads back the same on every backend, and out-of-range values are
// refused the same way.

#include <string>

#include "tests/conformance/harness.hpp"

using namespace orcraft::conformance;

TEST_CASE("TINYINT range is enforced", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (v TINYINT)");
    db.ok({st("INSERT INTO t (v) VALUES (-128)"), st("INSERT INTO t (v) VALUES (127)")});
    db.fails({st("INSERT INTO t (v) VALUES (128)")});
    db.fails({st("INSERT INTO t (v) VALUES (?)", {I(-129)})});
    CHECK(db.rows("SELECT v FROM t ORDER BY v") == std::vector<Row>{{I(-128)}, {I(127)}});
}

TEST_CASE("TINYINT UNSIGNED range is enforced", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (v TINYINT UNSIGNED)");
    db.ok({st("INSERT INTO t (v) VALUES (0)"), st("INSERT INTO t (v) VALUES (255)")});
    db.fails({st("INSERT INTO t (v) VALUES (256)")});
    db.fails({st("INSERT INTO t (v) VALUES (-1)")});
    CHECK(db.rows("SELECT v FROM t ORDER BY v") == std::vector<Row>{{I(0)}, {I(255)}});
}

TEST_CASE("SMALLINT and MEDIUMINT bounds", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (s SMALLINT, m MEDIUMINT, su SMALLINT UNSIGNED)");
    db.ok1("INSERT INTO t (s, m, su) VALUES (-32768, 8388607, 65535)");
    db.fails({st("INSERT INTO t (s) VALUES (32768)")});
    db.fails({st("INSERT INTO t (m) VALUES (-8388609)")});
    db.fails({st("INSERT INTO t (su) VALUES (65536)")});
    CHECK(db.rows("SELECT s, m, su FROM t") == std::vector<Row>{{I(-32768), I(8388607), I(65535)}});
}

TEST_CASE("INT and INT UNSIGNED bounds", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (i INT(11), u INT UNSIGNED)");
    db.ok1("INSERT INTO t (i, u) VALUES (?, ?)", {I(-2147483648LL), I(4294967295LL)});
    db.fails({st("INSERT INTO t (i) VALUES (?)", {I(2147483648LL)})});
    db.fails({st("INSERT INTO t (u) VALUES (?)", {I(4294967296LL)})});
    CHECK(db.rows("SELECT i, u FROM t") == std::vector<Row>{{I(-2147483648LL), I(4294967295LL)}});
}

TEST_CASE("BIGINT holds the whole signed 64-bit range", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, v BIGINT)");
    const std::int64_t lo = std::numeric_limits<std::int64_t>::min();
    const std::int64_t hi = std::numeric_limits<std::int64_t>::max();
    db.ok({st("INSERT INTO t (id, v) VALUES (1, ?)", {I(lo)}),
           st("INSERT INTO t (id, v) VALUES (2, ?)", {I(hi)}),
           st("INSERT INTO t (id, v) VALUES (3, 9223372036854775807)"),
           st("INSERT INTO t (id, v) VALUES (4, -9223372036854775808)")});
    CHECK(db.rows("SELECT v FROM t ORDER BY id") ==
          std::vector<Row>{{I(lo)}, {I(hi)}, {I(hi)}, {I(lo)}});
    const auto r = db.q("SELECT id, v FROM t");
    CHECK(r.types == std::vector<std::string>{"integer", "integer"});
}

TEST_CASE("BIGINT UNSIGNED accepts the signed range's top and refuses negatives",
          "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (v BIGINT UNSIGNED)");
    db.ok1("INSERT INTO t (v) VALUES (?)", {I(std::numeric_limits<std::int64_t>::max())});
    db.fails({st("INSERT INTO t (v) VALUES (-1)")});
    CHECK(db.one("SELECT v FROM t") == I(std::numeric_limits<std::int64_t>::max()));
}

TEST_CASE("DOUBLE values round-trip exactly", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, d DOUBLE)");
    db.ok({st("INSERT INTO t (id, d) VALUES (1, ?)", {D(0.1)}),
           st("INSERT INTO t (id, d) VALUES (2, ?)", {D(-1.5e300)}),
           st("INSERT INTO t (id, d) VALUES (3, ?)", {D(4.9406564584124654e-324)}),
           st("INSERT INTO t (id, d) VALUES (4, 2)"),
           st("INSERT INTO t (id, d) VALUES (5, 2.5e0)")});
    CHECK(db.rows("SELECT d FROM t ORDER BY id") ==
          std::vector<Row>{
              {D(0.1)}, {D(-1.5e300)}, {D(4.9406564584124654e-324)}, {D(2.0)}, {D(2.5)}});
    CHECK(db.q("SELECT d FROM t").types == std::vector<std::string>{"real"});
}

TEST_CASE("DOUBLE refuses text that is not a number", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (d DOUBLE)");
    db.fails({st("INSERT INTO t (d) VALUES ('abc')")});
    db.ok1("INSERT INTO t (d) VALUES ('1.25')");
    CHECK(db.one("SELECT d FROM t") == D(1.25));
}

TEST_CASE("VARCHAR keeps multi-byte UTF-8 and counts characters", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(4))");
    const std::string text = "h\xc3\xa9\xe2\x9c\x93\xf0\x9d\x84\x9e";  // h é ✓ 𝄞: 4 characters
    db.ok1("INSERT INTO t (id, v) VALUES (1, ?)", {S(text)});
    db.ok1("INSERT INTO t (id, v) VALUES (2, '\xc3\xa9\xc3\xa9')");
    db.fails({st("INSERT INTO t (id, v) VALUES (3, 'abcde')")});
    CHECK(db.rows("SELECT v FROM t ORDER BY id") ==
          std::vector<Row>{{S(text)}, {S("\xc3\xa9\xc3\xa9")}});
    CHECK(db.rows("SELECT CHAR_LENGTH(v), LENGTH(v) FROM t ORDER BY id") ==
          std::vector<Row>{{I(4), I(10)}, {I(2), I(4)}});
    CHECK(db.q("SELECT v FROM t").types == std::vector<std::string>{"text"});
}

TEST_CASE("TEXT keeps empty strings distinct from NULL", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    db.ok(
        {st("INSERT INTO t (id, v) VALUES (1, '')"), st("INSERT INTO t (id, v) VALUES (2, NULL)"),
         st("INSERT INTO t (id, v) VALUES (3, ?)", {S(std::string(70000, 'x').substr(0, 65535))})});
    CHECK(db.rows("SELECT v IS NULL, LENGTH(v) FROM t ORDER BY id") ==
          std::vector<Row>{{I(0), I(0)}, {I(1), N}, {I(0), I(65535)}});
    db.fails({st("INSERT INTO t (id, v) VALUES (4, ?)", {S(std::string(65536, 'x'))})});
}

TEST_CASE("string literals with quotes and backslash escapes", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    db.ok({st("INSERT INTO t (id, v) VALUES (1, 'it''s')"),
           st("INSERT INTO t (id, v) VALUES (2, 'a\\nb\\\\c')"),
           st("INSERT INTO t (id, v) VALUES (3, \"dq\")")});
    CHECK(db.rows("SELECT v FROM t ORDER BY id") ==
          std::vector<Row>{{S("it's")}, {S("a\nb\\c")}, {S("dq")}});
}

TEST_CASE("BLOB keeps every byte value", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, b BLOB, vb VARBINARY(300))");
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes += static_cast<char>(i);
    }
    db.ok1("INSERT INTO t (id, b, vb) VALUES (1, ?, ?)", {B(bytes), B(bytes)});
    db.ok1("INSERT INTO t (id, b, vb) VALUES (2, X'00FF10', NULL)");
    const auto r = db.q("SELECT b, vb FROM t ORDER BY id");
    CHECK(r.types == std::vector<std::string>{"blob", "blob"});
    CHECK(r.rows == std::vector<Row>{{B(bytes), B(bytes)}, {B(std::string("\x00\xff\x10", 3)), N}});
}

TEST_CASE("LONGBLOB of 16 MiB round-trips", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, b LONGBLOB)");
    std::string big(16 * 1024 * 1024, '\0');
    std::uint32_t x = 12345;
    for (auto& c : big) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 24);
    }
    db.ok1("INSERT INTO t (id, b) VALUES (1, ?)", {B(big)});
    CHECK(db.one("SELECT LENGTH(b) FROM t") == I(16 * 1024 * 1024));
    const auto v = db.one("SELECT b FROM t WHERE id = 1");
    REQUIRE(std::holds_alternative<orcraft::backend::Blob>(v));
    CHECK(std::get<orcraft::backend::Blob>(v).bytes == big);
}

TEST_CASE("NULL reads back as NULL in every type", "[conformance][types]") {
    OPEN_DB();
    db.ok1(
        "CREATE TABLE t (a INT, b BIGINT, c DOUBLE, d VARCHAR(5), e TEXT, f BLOB, g DATETIME, "
        "h TIMESTAMP NULL, i ENUM('x','y'))");
    db.ok1("INSERT INTO t (a) VALUES (NULL)");
    CHECK(db.rows("SELECT a, b, c, d, e, f, g, h, i FROM t") ==
          std::vector<Row>{{N, N, N, N, N, N, N, N, N}});
}

TEST_CASE("DATETIME and TIMESTAMP read back as written and report datetime",
          "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, d DATETIME, ts TIMESTAMP NULL)");
    db.ok1("INSERT INTO t (id, d, ts) VALUES (1, '2024-02-29 23:59:59', '2038-01-19 03:14:07')");
    db.ok1("INSERT INTO t (id, d, ts) VALUES (2, ?, ?)",
           {S("1000-01-01 00:00:00"), S("1970-01-01 00:00:01")});
    const auto r = db.q("SELECT d, ts FROM t ORDER BY id");
    CHECK(r.types == std::vector<std::string>{"datetime", "datetime"});
    CHECK(r.rows == std::vector<Row>{{S("2024-02-29 23:59:59"), S("2038-01-19 03:14:07")},
                                     {S("1000-01-01 00:00:00"), S("1970-01-01 00:00:01")}});
}

TEST_CASE("invalid datetimes are refused", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (d DATETIME, ts TIMESTAMP NULL)");
    db.fails({st("INSERT INTO t (d) VALUES ('2023-02-29 00:00:00')")});
    db.fails({st("INSERT INTO t (d) VALUES ('not a date')")});
    db.fails({st("INSERT INTO t (ts) VALUES ('2038-01-19 03:14:08')")});
    CHECK(db.rows("SELECT d FROM t").empty());
}

TEST_CASE("ENUM accepts only its values", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, e ENUM('red','green') NOT NULL DEFAULT 'red')");
    db.ok({st("INSERT INTO t (id, e) VALUES (1, 'green')"), st("INSERT INTO t (id) VALUES (2)")});
    db.fails({st("INSERT INTO t (id, e) VALUES (3, 'blue')")});
    db.fails({st("INSERT INTO t (id, e) VALUES (3, 'Green')")});
    const auto r = db.q("SELECT e FROM t ORDER BY id");
    CHECK(r.types == std::vector<std::string>{"text"});
    CHECK(r.rows == std::vector<Row>{{S("green")}, {S("red")}});
}

TEST_CASE("integer columns refuse text that is not a number", "[conformance][types]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (v INT)");
    db.fails({st("INSERT INTO t (v) VALUES ('abc')")});
    db.ok1("INSERT INTO t (v) VALUES ('42')");
    CHECK(db.one("SELECT v FROM t") == I(42));
}

TEST_CASE("NOT NULL and column defaults", "[conformance][types]") {
    OPEN_DB();
    db.ok1(
        "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, n INT NOT NULL DEFAULT -1, "
        "s VARCHAR(10) DEFAULT 'x', d DOUBLE DEFAULT 1.5)");
    db.ok1("INSERT INTO t (id) VALUES (1)");
    db.fails({st("INSERT INTO t (id, n) VALUES (2, NULL)")});
    db.fails({st("INSERT INTO t (n) VALUES (5)")});
    CHECK(db.rows("SELECT id, n, s, d FROM t") == std::vector<Row>{{I(1), I(-1), S("x"), D(1.5)}});
}
