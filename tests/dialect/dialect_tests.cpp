#include <catch2/catch.hpp>

#include "backend/dialect.hpp"

using namespace orcraft::backend::dialect;

namespace {

std::string one(const std::string& sql) {
    const auto t = to_sqlite(sql);
    REQUIRE(t.sqlite.size() == 1);
    return t.sqlite[0];
}

}  // namespace

TEST_CASE("statement kinds") {
    CHECK(check("SELECT 1") == StatementKind::Read);
    CHECK(check("(SELECT a FROM t) UNION (SELECT b FROM u)") == StatementKind::Read);
    CHECK(check("INSERT INTO t (a) VALUES (1)") == StatementKind::Write);
    CHECK(check("UPDATE t SET a = 1 WHERE b = ?") == StatementKind::Write);
    CHECK(check("DELETE FROM t WHERE a = 1;") == StatementKind::Write);
    CHECK(check("REPLACE INTO t (a) VALUES (1)") == StatementKind::Write);
    CHECK(check("CREATE TABLE t (a INT)") == StatementKind::Schema);
    CHECK(check("DROP TABLE IF EXISTS t") == StatementKind::Schema);
    CHECK(check("TRUNCATE TABLE t") == StatementKind::Schema);
    CHECK(check("CREATE INDEX i ON t (a)") == StatementKind::Schema);
    CHECK(check("SELECT RAND()") == StatementKind::Read);
}

TEST_CASE("non-deterministic constructs are refused by name") {
    CHECK_THROWS_WITH(check("INSERT INTO t VALUES (UUID())"),
                      "non-deterministic in replicated SQL: UUID()");
    CHECK_THROWS_WITH(check("SELECT SYSDATE()"), "non-deterministic in replicated SQL: SYSDATE()");
    CHECK_THROWS_WITH(check("SELECT CONNECTION_ID()"), Catch::Contains("CONNECTION_ID()"));
    CHECK_THROWS_WITH(check("SELECT LOAD_FILE('/etc/passwd')"), Catch::Contains("LOAD_FILE()"));
    CHECK_THROWS_WITH(check("SELECT GET_LOCK('x', 1)"), Catch::Contains("GET_LOCK()"));
    CHECK_THROWS_WITH(check("SELECT RELEASE_LOCK('x')"), Catch::Contains("RELEASE_LOCK()"));
    CHECK_THROWS_WITH(check("SELECT SLEEP(1)"), Catch::Contains("SLEEP()"));
    CHECK_THROWS_WITH(check("SELECT LAST_INSERT_ID()"), Catch::Contains("LAST_INSERT_ID()"));
    CHECK_THROWS_WITH(check("UPDATE t SET a = @x"),
                      "non-deterministic in replicated SQL: user variable @x");
    CHECK_THROWS_WITH(check("SELECT @@version"), Catch::Contains("system variable @@version"));
    CHECK_THROWS_WITH(check("SELECT RAND(5)"), Catch::Contains("RAND(N)"));
}

TEST_CASE("unsupported constructs are refused by name") {
    CHECK_THROWS_WITH(check("CREATE TABLE t (a TEXT, FULLTEXT KEY f (a))"),
                      "unsupported in portable SQL: FULLTEXT index");
    CHECK_THROWS_WITH(check("SELECT 1; SELECT 2"), Catch::Contains("multiple statements"));
    CHECK_THROWS_WITH(check("BEGIN"), Catch::Contains("transaction control"));
    CHECK_THROWS_WITH(check("COMMIT"), Catch::Contains("transaction control"));
    CHECK_THROWS_WITH(check("ROLLBACK"), Catch::Contains("transaction control"));
    CHECK_THROWS_WITH(check("START TRANSACTION"), Catch::Contains("transaction control"));
    CHECK_THROWS_WITH(check("SET autocommit = 0"), Catch::Contains("transaction control"));
    CHECK_THROWS_WITH(check("SELECT * FROM t FOR UPDATE"), Catch::Contains("locking reads"));
    CHECK_THROWS_WITH(check("CREATE TABLE t (a DECIMAL(10,2))"), Catch::Contains("DECIMAL"));
    CHECK_THROWS_WITH(check("CREATE TABLE t (a FLOAT)"), Catch::Contains("FLOAT"));
    CHECK_THROWS_WITH(check("CREATE TABLE t (a INT, FOREIGN KEY (a) REFERENCES u (id))"),
                      Catch::Contains("foreign"));
    CHECK_THROWS_WITH(
        check("CREATE TABLE t (a TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)"),
        Catch::Contains("ON UPDATE CURRENT_TIMESTAMP"));
    CHECK_THROWS_WITH(check("CREATE TABLE t (a VARCHAR(10) COLLATE utf8mb4_general_ci)"),
                      Catch::Contains("COLLATE"));
    CHECK_THROWS_WITH(check("SELECT a / b FROM t"), Catch::Contains("division"));
    CHECK_THROWS_WITH(check("SELECT MD5(a) FROM t"), "unsupported in portable SQL: function MD5()");
    CHECK_THROWS_WITH(check("SELECT * FROM orcraft_applied_index"),
                      Catch::Contains("reserved name"));
    CHECK_THROWS_WITH(check("UPDATE t SET a = 1 LIMIT 1"), Catch::Contains("UPDATE ... LIMIT"));
    CHECK_THROWS_WITH(check("SELECT CURDATE()"), Catch::Contains("CURDATE"));
    CHECK_THROWS_WITH(check("SHOW TABLES"), Catch::Contains("statement SHOW"));
    CHECK_THROWS_WITH(check("INSERT INTO t SET a = 1"), Catch::Contains("INSERT ... SET"));
    CHECK_THROWS_WITH(check("SELECT 0x1F"), Catch::Contains("hexadecimal"));
    CHECK_THROWS_WITH(check("CREATE TABLE t (a INT) AUTO_INCREMENT=5"),
                      Catch::Contains("AUTO_INCREMENT=n"));
    CHECK_THROWS_WITH(check("CREATE TABLE t (id INT AUTO_INCREMENT, b INT, PRIMARY KEY (id, b))"),
                      Catch::Contains("not the whole primary key"));
    CHECK_THROWS_AS(check(""), DialectError);
    CHECK_THROWS_AS(check("SELECT (1"), DialectError);
}

TEST_CASE("identifiers, strings and operators are translated") {
    CHECK(one("SELECT `a`, \"text\" FROM `t` WHERE `a` <=> NULL || b && !c") ==
          "SELECT \"a\" , 'text' FROM \"t\" WHERE \"a\" IS NULL OR b AND NOT c");
    CHECK(one("SELECT 'it\\'s'") == "SELECT 'it''s'");
    CHECK(one("SELECT a DIV 2, a MOD 3 FROM t") == "SELECT a / 2 , a % 3 FROM t");
    CHECK(one("SELECT t.a, `t`.`b`, u.* FROM t JOIN u ON t.id = u.id") ==
          "SELECT t.a , \"t\".\"b\" , u.* FROM t JOIN u ON t.id = u.id");
}

TEST_CASE("INSERT IGNORE, REPLACE and ON DUPLICATE KEY UPDATE") {
    auto t = to_sqlite("INSERT IGNORE INTO t (a) VALUES (?)");
    CHECK(t.verb == Verb::InsertIgnore);
    CHECK(t.table == "t");
    CHECK(t.placeholders == 1);
    CHECK(t.sqlite[0] == "INSERT OR IGNORE INTO \"t\" (a) VALUES (?)");
    CHECK(one("REPLACE t (a) VALUES (1)") == "REPLACE INTO \"t\" (a) VALUES (1)");
    t = to_sqlite(
        "INSERT INTO t (a, b) VALUES (1, 2) ON DUPLICATE KEY UPDATE b = VALUES(b), c = c + 1");
    CHECK(t.verb == Verb::Upsert);
    CHECK(t.value_rows == 1);
    CHECK(t.columns == std::vector<std::string>{"a", "b"});
    CHECK(to_sqlite("INSERT INTO t VALUES (1), (2), (3)").value_rows == 3);
    CHECK(to_sqlite("INSERT INTO t (a) SELECT b FROM u").value_rows == 0);
    CHECK(t.sqlite[0] ==
          "INSERT INTO \"t\" (a , b) VALUES (1 , 2) ON CONFLICT DO UPDATE SET b = "
          "excluded.\"b\" , c = c + 1");
    CHECK_THROWS_WITH(check("SELECT VALUES(a) FROM t"), Catch::Contains("VALUES()"));
}

TEST_CASE("time functions and interval arithmetic") {
    CHECK(one("SELECT NOW(), CURRENT_TIMESTAMP, CURRENT_TIMESTAMP(), UTC_TIMESTAMP, "
              "UNIX_TIMESTAMP()") ==
          "SELECT NOW() , CURRENT_TIMESTAMP , CURRENT_TIMESTAMP , UTC_TIMESTAMP() , "
          "UNIX_TIMESTAMP()");
    CHECK(one("SELECT NOW() - INTERVAL 5 MINUTE") ==
          "SELECT orcraft_date_add(NOW(), -(5), 'MINUTE')");
    CHECK(one("SELECT a + INTERVAL ? DAY - INTERVAL 1 HOUR FROM t") ==
          "SELECT orcraft_date_add(orcraft_date_add(a, ?, 'DAY'), -(1), 'HOUR') FROM t");
    CHECK(one("SELECT DATE_SUB(t.a, INTERVAL (2 * 3) SECOND) FROM t") ==
          "SELECT orcraft_date_add((t.a), -((2 * 3)), 'SECOND') FROM t");
    CHECK(one("SELECT * FROM t WHERE ts < NOW() - INTERVAL ? MICROSECOND") ==
          "SELECT * FROM t WHERE ts < orcraft_date_add(NOW(), -(?), 'MICROSECOND')");
    CHECK_THROWS_WITH(check("SELECT INTERVAL 1 DAY + a FROM t"), Catch::Contains("INTERVAL"));
    CHECK_THROWS_WITH(check("SELECT a + INTERVAL 1 DAY_HOUR FROM t"),
                      Catch::Contains("unit DAY_HOUR"));
}

TEST_CASE("CONCAT keeps NULL semantics, IF and LENGTH are mapped") {
    CHECK(one("SELECT CONCAT(a, 'x', b + 1)") == "SELECT (''||(a)||('x')||(b + 1))");
    CHECK(one("SELECT IF(a, 1, 2), LENGTH(a), CHAR_LENGTH(a), GREATEST(a, b)") ==
          "SELECT iif((a), (1), (2)) , length(CAST((a) AS BLOB)) , length((a)) , max((a), (b))");
    CHECK(one("SELECT IFNULL(a, 0), COALESCE(a, b, 1) FROM t LIMIT 2, 3") ==
          "SELECT IFNULL(a , 0) , COALESCE(a , b , 1) FROM t LIMIT 2 , 3");
}

TEST_CASE("CREATE TABLE maps types, keys and options") {
    auto t = to_sqlite(
        "CREATE TABLE IF NOT EXISTS `users` (\n"
        "  `id` INT(11) UNSIGNED NOT NULL AUTO_INCREMENT COMMENT 'pk',\n"
        "  `name` VARCHAR(64) CHARACTER SET utf8mb4 NOT NULL DEFAULT '',\n"
        "  `kind` ENUM('a','b') DEFAULT 'a',\n"
        "  `score` DOUBLE,\n"
        "  `created` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
        "  `data` LONGBLOB,\n"
        "  PRIMARY KEY (`id`),\n"
        "  UNIQUE KEY `name_uq` (`name`),\n"
        "  KEY (`kind`, `score` DESC)\n"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
    CHECK(t.kind == StatementKind::Schema);
    CHECK(t.verb == Verb::CreateTable);
    REQUIRE(t.sqlite.size() == 3);
    CHECK(t.sqlite[0] ==
          "CREATE TABLE IF NOT EXISTS \"users\" ("
          "\"id\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL CHECK (\"id\" IS NULL OR "
          "(typeof(\"id\") = 'integer' AND "
          "\"id\" BETWEEN 0 AND 4294967295)), "
          "\"name\" TEXT NOT NULL DEFAULT '' CHECK (\"name\" IS NULL OR (length(\"name\") <= 64)), "
          "\"kind\" TEXT DEFAULT 'a' CHECK (\"kind\" IS NULL OR (\"kind\" IN ('a', 'b'))), "
          "\"score\" REAL CHECK (\"score\" IS NULL OR (typeof(\"score\") = 'real')), "
          "\"created\" TIMESTAMP TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP CHECK (\"created\" IS "
          "NULL OR (\"created\" IS "
          "strftime('%Y-%m-%d %H:%M:%S', \"created\", '+0 seconds') AND \"created\" BETWEEN "
          "'1970-01-01 "
          "00:00:01' AND "
          "'2038-01-19 03:14:07')), "
          "\"data\" BLOB)");
    CHECK(t.sqlite[1] ==
          "CREATE UNIQUE INDEX IF NOT EXISTS \"users__name_uq\" ON \"users\" (\"name\")");
    CHECK(t.sqlite[2] ==
          "CREATE INDEX IF NOT EXISTS \"users__kind\" ON \"users\" (\"kind\", \"score\" DESC)");
}

TEST_CASE("primary key columns become NOT NULL and integer keys are not rowid aliases") {
    auto t = to_sqlite("CREATE TABLE t (a BIGINT, b VARCHAR(5), PRIMARY KEY (a, b))");
    REQUIRE(t.sqlite.size() == 1);
    CHECK(t.sqlite[0] ==
          "CREATE TABLE \"t\" (\"a\" INT CHECK (\"a\" IS NULL OR (typeof(\"a\") = "
          "'integer')) NOT NULL, "
          "\"b\" TEXT CHECK (\"b\" IS NULL OR (length(\"b\") <= 5)) NOT NULL, PRIMARY KEY (\"a\", "
          "\"b\"))");
    CHECK(one("CREATE TABLE t (id BIGINT PRIMARY KEY)") ==
          "CREATE TABLE \"t\" (\"id\" INT CHECK (\"id\" IS NULL OR (typeof(\"id\") = 'integer')) "
          "PRIMARY KEY NOT NULL)");
}

TEST_CASE("ALTER, DROP, CREATE INDEX and TRUNCATE") {
    auto t = to_sqlite(
        "ALTER TABLE t ADD COLUMN c INT NOT NULL DEFAULT 0, ADD UNIQUE KEY k (c), DROP INDEX j");
    REQUIRE(t.sqlite.size() == 3);
    CHECK(t.sqlite[0] ==
          "ALTER TABLE \"t\" ADD COLUMN \"c\" INT NOT NULL DEFAULT 0 CHECK (\"c\" IS NULL OR "
          "(typeof(\"c\") = "
          "'integer' AND \"c\" BETWEEN -2147483648 AND 2147483647))");
    CHECK(t.sqlite[1] == "CREATE UNIQUE INDEX \"t__k\" ON \"t\" (\"c\")");
    CHECK(t.sqlite[2] == "DROP INDEX \"t__j\"");
    CHECK(one("CREATE UNIQUE INDEX i ON t (a, b)") ==
          "CREATE UNIQUE INDEX \"t__i\" ON \"t\" (\"a\", \"b\")");
    CHECK(one("DROP INDEX i ON t") == "DROP INDEX \"t__i\"");
    t = to_sqlite("DROP TABLE IF EXISTS a, b");
    REQUIRE(t.sqlite.size() == 2);
    CHECK(t.sqlite[1] == "DROP TABLE IF EXISTS \"b\"");
    t = to_sqlite("TRUNCATE t");
    REQUIRE(t.sqlite.size() == 2);
    CHECK(t.sqlite[0] == "DELETE FROM \"t\"");
    CHECK_THROWS_WITH(check("ALTER TABLE t MODIFY a INT"), Catch::Contains("ALTER TABLE MODIFY"));
    CHECK_THROWS_WITH(check("ALTER TABLE t ADD COLUMN c INT NOT NULL"),
                      Catch::Contains("NOT NULL without DEFAULT"));
}

TEST_CASE("translation cache returns the same result and stays bounded") {
    TranslationCache cache(2);
    const auto a = cache.translate("SELECT `a` FROM t");
    CHECK(cache.translate("SELECT `a` FROM t").sqlite == a.sqlite);
    cache.translate("SELECT 2");
    cache.translate("SELECT 3");
    CHECK(cache.size() == 2);
    CHECK_THROWS_AS(cache.translate("SELECT UUID()"), DialectError);
}
