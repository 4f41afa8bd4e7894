// Time and randomness come from the entry's stamp, never from the node's clock.

#include "backend/sql_rand.hpp"
#include "tests/conformance/harness.hpp"

using namespace orcraft::conformance;
namespace dialect = orcraft::backend::dialect;

namespace {
// Stores the results of expressions evaluated inside a batch (where the stamp applies).
void capture(TestDb& db, const std::string& expr,
             orcraft::backend::Stamp stamp = {kStampMicros, kSeed}) {
    db.ok({st("CREATE TABLE IF NOT EXISTS cap (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)"),
           st("INSERT INTO cap (v) VALUES (" + expr + ")")},
          stamp);
}
Value last_capture(TestDb& db) {
    return db.one("SELECT v FROM cap ORDER BY id DESC LIMIT 1");
}
}  // namespace

TEST_CASE("NOW() is the stamp's time, fraction truncated", "[conformance][time]") {
    OPEN_DB();
    capture(db, "NOW()");
    CHECK(last_capture(db) == S("2023-11-14 22:13:20"));
    capture(db, "NOW()", {1700000000999999LL, 1});
    CHECK(last_capture(db) == S("2023-11-14 22:13:20"));
    capture(db, "NOW()", {1000000, 1});
    CHECK(last_capture(db) == S("1970-01-01 00:00:01"));
}

TEST_CASE("CURRENT_TIMESTAMP, UTC_TIMESTAMP() and LOCALTIMESTAMP equal NOW()",
          "[conformance][time]") {
    OPEN_DB();
    capture(db,
            "CONCAT(CURRENT_TIMESTAMP, '|', CURRENT_TIMESTAMP(), '|', UTC_TIMESTAMP(), '|', "
            "LOCALTIMESTAMP)");
    CHECK(last_capture(db) ==
          S("2023-11-14 22:13:20|2023-11-14 22:13:20|2023-11-14 22:13:20|2023-11-14 22:13:20"));
}

TEST_CASE("UNIX_TIMESTAMP() and UNIX_TIMESTAMP(x)", "[conformance][time]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, a BIGINT, b BIGINT)");
    db.ok1(
        "INSERT INTO t (id, a, b) VALUES (1, UNIX_TIMESTAMP(), UNIX_TIMESTAMP('2024-01-01 "
        "00:00:00'))");
    CHECK(db.rows("SELECT a, b FROM t") == std::vector<Row>{{I(1700000000), I(1704067200)}});
    CHECK(db.one("SELECT UNIX_TIMESTAMP('2001-09-09 01:46:40')") == I(1000000000));
}

TEST_CASE("the same batch at another stamp gives another time", "[conformance][time]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, at DATETIME)");
    db.ok({st("INSERT INTO t (id, at) VALUES (1, NOW())")}, {1600000000000000LL, 1});
    db.ok({st("INSERT INTO t (id, at) VALUES (2, NOW())")}, {1600000060000000LL, 1});
    CHECK(db.rows("SELECT at FROM t ORDER BY id") ==
          std::vector<Row>{{S("2020-09-13 12:26:40")}, {S("2020-09-13 12:27:40")}});
}

TEST_CASE("DEFAULT CURRENT_TIMESTAMP columns take the stamp's time", "[conformance][time]") {
    OPEN_DB();
    db.ok1(
        "CREATE TABLE t (id INT PRIMARY KEY, created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, "
        "d DATETIME DEFAULT CURRENT_TIMESTAMP)");
    db.ok({st("INSERT INTO t (id) VALUES (1)")}, {1500000000250000LL, 9});
    db.ok({st("INSERT INTO t (id) VALUES (2)")}, {1500000100000000LL, 9});
    CHECK(db.rows("SELECT created, d FROM t ORDER BY id") ==
          std::vector<Row>{{S("2017-07-14 02:40:00"), S("2017-07-14 02:40:00")},
                           {S("2017-07-14 02:41:40"), S("2017-07-14 02:41:40")}});
}

TEST_CASE("RAND() gives the documented value per statement and occurrence", "[conformance][time]") {
    OPEN_DB();
    db.ok1("CREATE TABLE r (id INT PRIMARY KEY, a DOUBLE, b DOUBLE)");
    const auto results = db.ok({st("INSERT INTO r (id, a, b) VALUES (1, RAND(), RAND())"),
                                st("INSERT INTO r (id, a, b) VALUES (2, RAND(), RAND() * 100)")},
                               {kStampMicros, 77});
    CHECK(db.rows("SELECT a, b FROM r ORDER BY id") ==
          std::vector<Row>{
              {D(dialect::rand_value(77, 0, 0)), D(dialect::rand_value(77, 0, 1))},
              {D(dialect::rand_value(77, 1, 0)), D(dialect::rand_value(77, 1, 1) * 100)}});
    CHECK(results.size() == 2);
}

TEST_CASE("RAND() depends on the seed only", "[conformance][time]") {
    OPEN_DB();
    db.ok1("CREATE TABLE r (id INT PRIMARY KEY, a DOUBLE)");
    db.ok({st("INSERT INTO r (id, a) VALUES (1, RAND())")}, {1, 5});
    db.ok({st("INSERT INTO r (id, a) VALUES (2, RAND())")}, {999999999, 5});
    db.ok({st("INSERT INTO r (id, a) VALUES (3, RAND())")}, {1, 6});
    const auto r = db.rows("SELECT a FROM r ORDER BY id");
    CHECK(r[0] == r[1]);
    CHECK(r[0] != r[2]);
    CHECK(r[0][0] == D(dialect::rand_value(5, 0, 0)));
}

TEST_CASE("x + INTERVAL n UNIT for every unit", "[conformance][time]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (d DATETIME)");
    db.ok1("INSERT INTO t (d) VALUES ('2024-01-31 10:00:00')");
    CHECK(db.rows("SELECT d + INTERVAL 1 SECOND, d + INTERVAL 2 MINUTE, d + INTERVAL 3 HOUR, "
                  "d + INTERVAL 1 DAY, d + INTERVAL 1 WEEK, d + INTERVAL 1 MONTH, d + INTERVAL 1 "
                  "QUARTER, "
                  "d + INTERVAL 1 YEAR FROM t") ==
          std::vector<Row>{{S("2024-01-31 10:00:01"), S("2024-01-31 10:02:00"),
                            S("2024-01-31 13:00:00"), S("2024-02-01 10:00:00"),
                            S("2024-02-07 10:00:00"), S("2024-02-29 10:00:00"),
                            S("2024-04-30 10:00:00"), S("2025-01-31 10:00:00")}});
}

TEST_CASE("interval subtraction, placeholders and month ends", "[conformance][time]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (d DATETIME)");
    db.ok1("INSERT INTO t (d) VALUES ('2024-03-31 00:00:00')");
    CHECK(db.rows("SELECT d - INTERVAL 1 MONTH, d - INTERVAL ? DAY, d + INTERVAL -1 SECOND FROM t",
                  {I(31)}) == std::vector<Row>{{S("2024-02-29 00:00:00"), S("2024-02-29 00:00:00"),
                                                S("2024-03-30 23:59:59")}});
    CHECK(db.one("SELECT DATE_ADD(d, INTERVAL 1 YEAR) FROM t") == S("2025-03-31 00:00:00"));
    CHECK(db.one("SELECT DATE_SUB(d, INTERVAL 1 MICROSECOND) FROM t") ==
          S("2024-03-30 23:59:59.999999"));
}

TEST_CASE("NOW() - INTERVAL in a write uses the stamp", "[conformance][time]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, at DATETIME)");
    db.ok({st("INSERT INTO t (id, at) VALUES (1, NOW() - INTERVAL 5 MINUTE)"),
           st("INSERT INTO t (id, at) VALUES (2, NOW() + INTERVAL ? HOUR)", {I(2)})});
    CHECK(db.rows("SELECT at FROM t ORDER BY id") ==
          std::vector<Row>{{S("2023-11-14 22:08:20")}, {S("2023-11-15 00:13:20")}});
    db.ok1("DELETE FROM t WHERE at < NOW() - INTERVAL 1 MINUTE");
    CHECK(db.rows("SELECT id FROM t") == std::vector<Row>{{I(2)}});
}

TEST_CASE("datetime comparisons and ordering", "[conformance][time]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, at DATETIME)");
    db.ok({st("INSERT INTO t VALUES (1, '2024-01-02 00:00:00')"),
           st("INSERT INTO t VALUES (2, '2023-12-31 23:59:59')"),
           st("INSERT INTO t VALUES (3, '2024-01-01 12:00:00')")});
    CHECK(db.rows("SELECT id FROM t WHERE at >= '2024-01-01 00:00:00' ORDER BY at") ==
          std::vector<Row>{{I(3)}, {I(1)}});
    CHECK(db.rows("SELECT MIN(at), MAX(at) FROM t") ==
          std::vector<Row>{{S("2023-12-31 23:59:59"), S("2024-01-02 00:00:00")}});
}
