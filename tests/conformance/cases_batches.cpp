// Batches: one transaction each, rolled back whole on a failing statement, applied exactly once.

#include "tests/conformance/harness.hpp"

using namespace orcraft::conformance;

TEST_CASE("a new database has applied index 0", "[conformance][batch]") {
    OPEN_DB();
    CHECK(db.driver().applied_index() == 0);
    db.ok1("CREATE TABLE t (a INT)");
    CHECK(db.driver().applied_index() == 1);
}

TEST_CASE("a failing statement rolls back the whole batch and names its index",
          "[conformance][batch]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
    db.ok1("INSERT INTO t (id, v) VALUES (1, 1)");
    const auto e = db.fails(
        {st("UPDATE t SET v = 2 WHERE id = 1"), st("INSERT INTO t (id, v) VALUES (2, 2)"),
         st("INSERT INTO t (id, v) VALUES (1, 3)"), st("INSERT INTO t (id, v) VALUES (4, 4)")});
    CHECK(e.statement == 2);
    CHECK_FALSE(e.message.empty());
    CHECK(db.rows("SELECT id, v FROM t ORDER BY id") == std::vector<Row>{{I(1), I(1)}});
}

TEST_CASE("a failed batch still records its index", "[conformance][batch]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY)");
    db.fails({st("INSERT INTO no_such_table (a) VALUES (1)")});
    CHECK(db.driver().applied_index() == 2);
    const auto again =
        db.driver().execute({st("INSERT INTO t (id) VALUES (1)")}, {kStampMicros, kSeed}, 2);
    CHECK(again.already_applied);
    CHECK(db.rows("SELECT id FROM t").empty());
}

TEST_CASE("an index not above the applied index runs nothing", "[conformance][batch]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY)");
    db.set_next_index(10);
    db.ok1("INSERT INTO t (id) VALUES (1)");
    auto& d = db.driver();
    for (std::uint64_t index : {1u, 9u, 10u}) {
        const auto out = d.execute(
            {st("INSERT INTO t (id) VALUES (?)", {I(static_cast<std::int64_t>(index) + 100)})},
            {kStampMicros, kSeed}, index);
        CHECK(out.already_applied);
        CHECK(out.results.empty());
        CHECK_FALSE(out.error);
    }
    CHECK(d.applied_index() == 10);
    CHECK(db.rows("SELECT id FROM t") == std::vector<Row>{{I(1)}});
    const auto out = d.execute({st("INSERT INTO t (id) VALUES (2)")}, {kStampMicros, kSeed}, 12);
    CHECK_FALSE(out.already_applied);
    CHECK(d.applied_index() == 12);
}

TEST_CASE("the applied index survives a clean reopen", "[conformance][batch]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY)");
    db.set_next_index(41);
    db.ok1("INSERT INTO t (id) VALUES (1)");
    if (!db.reopen()) {
        WARN("reopen not supported by this backend's fixture");
        return;
    }
    CHECK(db.driver().applied_index() == 41);
    CHECK(db.rows("SELECT id FROM t") == std::vector<Row>{{I(1)}});
}

TEST_CASE("a wrong number of parameters fails the statement", "[conformance][batch]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (a INT, b INT)");
    CHECK(db.fails({st("INSERT INTO t (a, b) VALUES (?, ?)", {I(1)})}).statement == 0);
    CHECK(db.fails({st("INSERT INTO t (a) VALUES (1)"),
                    st("INSERT INTO t (a) VALUES (?)", {I(1), I(2)})})
              .statement == 1);
    CHECK(db.rows("SELECT a FROM t").empty());
}

TEST_CASE("SQL outside the dialect fails the statement with the construct's name",
          "[conformance][batch]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (a VARCHAR(40))");
    const auto e =
        db.fails({st("INSERT INTO t (a) VALUES ('ok')"), st("INSERT INTO t (a) VALUES (UUID())")});
    CHECK(e.statement == 1);
    CHECK_THAT(e.message, Catch::Contains("UUID()"));
    CHECK(db.rows("SELECT a FROM t").empty());
}

TEST_CASE("errors from the engine fail the statement: unknown table and column",
          "[conformance][batch]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (a INT)");
    CHECK(db.fails({st("SELECT * FROM missing")}).statement == 0);
    CHECK(db.fails({st("INSERT INTO t (nope) VALUES (1)")}).statement == 0);
    CHECK(db.fails({st("CREATE TABLE t (a INT)")}).statement == 0);
}

TEST_CASE("a batch of many statements applies all of them", "[conformance][batch]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))");
    std::vector<orcraft::backend::Statement> batch;
    for (int i = 0; i < 500; ++i) {
        batch.push_back(
            st("INSERT INTO t (id, v) VALUES (?, ?)", {I(i), S("v" + std::to_string(i))}));
    }
    const auto r = db.ok(batch);
    CHECK(r.size() == 500);
    CHECK(db.one("SELECT COUNT(*) FROM t") == I(500));
    CHECK(db.one("SELECT v FROM t WHERE id = 499") == S("v499"));
}

TEST_CASE("UPDATE counts matched rows, DELETE counts deleted rows", "[conformance][batch]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, v INT)");
    db.ok({st("INSERT INTO t VALUES (1, 1)"), st("INSERT INTO t VALUES (2, 1)"),
           st("INSERT INTO t VALUES (3, 2)")});
    const auto r =
        db.ok({st("UPDATE t SET v = 1 WHERE id <= 2"), st("UPDATE t SET v = 5 WHERE v = 2"),
               st("UPDATE t SET v = 0 WHERE id > 10"), st("DELETE FROM t WHERE v = 1")});
    CHECK(r[0].rows_affected == 2);
    CHECK(r[1].rows_affected == 1);
    CHECK(r[2].rows_affected == 0);
    CHECK(r[3].rows_affected == 2);
}

TEST_CASE("schema changes: indexes, added and dropped columns, dropped tables",
          "[conformance][batch]") {
    OPEN_DB();
    db.ok({st("CREATE TABLE t (id INT PRIMARY KEY, a INT, KEY a_idx (a))"),
           st("INSERT INTO t (id, a) VALUES (1, 1)"),
           st("ALTER TABLE t ADD COLUMN b VARCHAR(10) NOT NULL DEFAULT 'z'"),
           st("CREATE UNIQUE INDEX b_uq ON t (b)"), st("DROP INDEX a_idx ON t"),
           st("ALTER TABLE t ADD INDEX a2 (a)")});
    CHECK(db.rows("SELECT id, a, b FROM t") == std::vector<Row>{{I(1), I(1), S("z")}});
    db.fails({st("INSERT INTO t (id, a, b) VALUES (2, 2, 'z')")});
    db.ok({st("ALTER TABLE t DROP INDEX b_uq"), st("INSERT INTO t (id, a, b) VALUES (2, 2, 'z')")});
    db.ok({st("DROP TABLE t"), st("DROP TABLE IF EXISTS t")});
    db.fails({st("SELECT * FROM t")});
}
