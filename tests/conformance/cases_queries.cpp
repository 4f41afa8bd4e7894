// Queries: LIMIT forms, string functions, NULL handling, joins, grouping, comparisons.

#include "tests/conformance/harness.hpp"

using namespace orcraft::conformance;

namespace {
void people(TestDb& db) {
    db.ok(
        {st("CREATE TABLE p (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, team INT, score INT)"),
         st("INSERT INTO p VALUES (1, 'ann', 1, 10), (2, 'bob', 1, 20), (3, 'cid', 2, 5), "
            "(4, 'dee', NULL, 7), (5, 'eve', 2, NULL)"),
         st("CREATE TABLE teams (id INT PRIMARY KEY, title VARCHAR(20))"),
         st("INSERT INTO teams VALUES (1, 'red'), (2, 'blue'), (3, 'empty')")});
}
std::vector<Row> ids(std::initializer_list<std::int64_t> v) {
    std::vector<Row> out;
    for (auto i : v) {
        out.push_back({I(i)});
    }
    return out;
}
}  // namespace

TEST_CASE("LIMIT n, LIMIT m, n and LIMIT n OFFSET m", "[conformance][query]") {
    OPEN_DB();
    people(db);
    CHECK(db.rows("SELECT id FROM p ORDER BY id LIMIT 2") == ids({1, 2}));
    CHECK(db.rows("SELECT id FROM p ORDER BY id LIMIT 1, 2") == ids({2, 3}));
    CHECK(db.rows("SELECT id FROM p ORDER BY id LIMIT 2 OFFSET 3") == ids({4, 5}));
    CHECK(db.rows("SELECT id FROM p ORDER BY id LIMIT ?, ?", {I(4), I(10)}) == ids({5}));
    CHECK(db.rows("SELECT id FROM p ORDER BY id LIMIT 0").empty());
}

TEST_CASE("CONCAT of any arity, NULL when any argument is NULL", "[conformance][query]") {
    OPEN_DB();
    people(db);
    CHECK(db.rows(
              "SELECT CONCAT(name, '-', team, '-', score) FROM p WHERE id IN (1, 4) ORDER BY id") ==
          std::vector<Row>{{S("ann-1-10")}, {N}});
    CHECK(db.one("SELECT CONCAT('a', 'b', 'c', 'd', 'e')") == S("abcde"));
    CHECK(db.one("SELECT CONCAT(name) FROM p WHERE id = 2") == S("bob"));
    CHECK(db.one("SELECT CONCAT(score, name) FROM p WHERE id = 3") == S("5cid"));
}

TEST_CASE("IFNULL, COALESCE, NULLIF and IF", "[conformance][query]") {
    OPEN_DB();
    people(db);
    CHECK(db.rows("SELECT IFNULL(team, 0), COALESCE(score, team, -1), NULLIF(score, 10) FROM p "
                  "ORDER BY id") == std::vector<Row>{{I(1), I(10), N},
                                                     {I(1), I(20), I(20)},
                                                     {I(2), I(5), I(5)},
                                                     {I(0), I(7), I(7)},
                                                     {I(2), I(2), N}});
    CHECK(db.rows("SELECT IF(score > 8, 'hi', 'lo') FROM p WHERE score IS NOT NULL ORDER BY id") ==
          std::vector<Row>{{S("hi")}, {S("hi")}, {S("lo")}, {S("lo")}});
    CHECK(db.rows("SELECT CASE WHEN team = 1 THEN 'one' WHEN team IS NULL THEN 'none' ELSE 'other' "
                  "END FROM p "
                  "ORDER BY id") ==
          std::vector<Row>{{S("one")}, {S("one")}, {S("other")}, {S("none")}, {S("other")}});
}

TEST_CASE("inner and left joins", "[conformance][query]") {
    OPEN_DB();
    people(db);
    CHECK(db.rows("SELECT p.name, t.title FROM p JOIN teams t ON t.id = p.team ORDER BY p.id") ==
          std::vector<Row>{{S("ann"), S("red")},
                           {S("bob"), S("red")},
                           {S("cid"), S("blue")},
                           {S("eve"), S("blue")}});
    CHECK(db.rows(
              "SELECT t.title, p.name FROM teams t LEFT JOIN p ON p.team = t.id WHERE t.id = 3") ==
          std::vector<Row>{{S("empty"), N}});
    CHECK(db.rows("SELECT `p`.`id` FROM `p` INNER JOIN `teams` ON `teams`.`id` = `p`.`team` WHERE "
                  "`teams`.`title` = ? "
                  "ORDER BY `p`.`id` DESC",
                  {S("red")}) == ids({2, 1}));
}

TEST_CASE("GROUP BY with COUNT, SUM, MIN, MAX and HAVING", "[conformance][query]") {
    OPEN_DB();
    people(db);
    CHECK(db.rows("SELECT team, COUNT(*), COUNT(score), SUM(score), MIN(score), MAX(name) FROM p "
                  "GROUP BY team "
                  "ORDER BY team") == std::vector<Row>{{N, I(1), I(1), I(7), I(7), S("dee")},
                                                       {I(1), I(2), I(2), I(30), I(10), S("bob")},
                                                       {I(2), I(2), I(1), I(5), I(5), S("eve")}});
    CHECK(db.rows("SELECT team FROM p WHERE team IS NOT NULL GROUP BY team HAVING COUNT(*) > 1 AND "
                  "SUM(score) > 10") == ids({1}));
    CHECK(db.one("SELECT COUNT(DISTINCT team) FROM p") == I(2));
}

TEST_CASE("NULLs sort first ascending and last descending", "[conformance][query]") {
    OPEN_DB();
    people(db);
    CHECK(db.rows("SELECT id FROM p ORDER BY score, id") == ids({5, 3, 4, 1, 2}));
    CHECK(db.rows("SELECT id FROM p ORDER BY score DESC, id") == ids({2, 1, 4, 3, 5}));
}

TEST_CASE("IN, NOT IN, EXISTS and subqueries", "[conformance][query]") {
    OPEN_DB();
    people(db);
    CHECK(db.rows("SELECT id FROM p WHERE team IN (SELECT id FROM teams WHERE title = 'blue') "
                  "ORDER BY id") == ids({3, 5}));
    CHECK(
        db.rows("SELECT id FROM teams t WHERE NOT EXISTS (SELECT 1 FROM p WHERE p.team = t.id)") ==
        ids({3}));
    CHECK(db.rows("SELECT id FROM p WHERE id NOT IN (1, 2, 3) ORDER BY id") == ids({4, 5}));
    CHECK(db.one("SELECT (SELECT MAX(score) FROM p) + 1") == I(21));
}

TEST_CASE("string comparison and LIKE are case-sensitive", "[conformance][query]") {
    OPEN_DB();
    people(db);
    CHECK(db.rows("SELECT id FROM p WHERE name = 'ANN'").empty());
    CHECK(db.rows("SELECT id FROM p WHERE name LIKE 'A%'").empty());
    CHECK(db.rows("SELECT id FROM p WHERE name LIKE 'a%' OR name LIKE '_ob'") == ids({1, 2}));
    CHECK(db.rows("SELECT id FROM p WHERE name = 'ann '").empty());
}

TEST_CASE("unique keys on text are case-sensitive", "[conformance][query]") {
    OPEN_DB();
    db.ok1("CREATE TABLE u (name VARCHAR(20) NOT NULL, UNIQUE KEY (name))");
    db.ok({st("INSERT INTO u (name) VALUES ('abc')"), st("INSERT INTO u (name) VALUES ('ABC')"),
           st("INSERT INTO u (name) VALUES ('abc ')")});
    db.fails({st("INSERT INTO u (name) VALUES ('abc')")});
    CHECK(db.one("SELECT COUNT(*) FROM u") == I(3));
}

TEST_CASE("integer arithmetic: DIV, MOD, %, negative numbers", "[conformance][query]") {
    OPEN_DB();
    CHECK(db.rows("SELECT 7 DIV 2, -7 DIV 2, 7 MOD 3, -7 % 3, 2 * -3 + 1") ==
          std::vector<Row>{{I(3), I(-3), I(1), I(-1), I(-5)}});
}

TEST_CASE("placeholders bind every value type in queries", "[conformance][query]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (i BIGINT, d DOUBLE, s TEXT, b BLOB)");
    db.ok1("INSERT INTO t VALUES (?, ?, ?, ?)",
           {I(-5), D(2.5), S("x'y"), B(std::string("\0\1", 2))});
    CHECK(db.rows("SELECT i, d, s, b FROM t WHERE i = ? AND d = ? AND s = ? AND b = ?",
                  {I(-5), D(2.5), S("x'y"), B(std::string("\0\1", 2))}) ==
          std::vector<Row>{{I(-5), D(2.5), S("x'y"), B(std::string("\0\1", 2))}});
    CHECK(db.rows("SELECT i FROM t WHERE ? IS NULL", {N}).size() == 1);
}

TEST_CASE("column names and types of a query", "[conformance][query]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT, d DOUBLE, s VARCHAR(5), b BLOB, at DATETIME)");
    db.ok1("INSERT INTO t VALUES (1, 1.5, 'x', X'01', '2024-01-01 00:00:00')");
    const auto r = db.q("SELECT id, d AS dd, s, b, at FROM t");
    CHECK(r.columns == std::vector<std::string>{"id", "dd", "s", "b", "at"});
    CHECK(r.types == std::vector<std::string>{"integer", "real", "text", "blob", "datetime"});
}
