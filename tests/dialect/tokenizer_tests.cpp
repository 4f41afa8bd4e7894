#include <catch2/catch.hpp>

#include "backend/sql_rand.hpp"
#include "backend/sql_tokenizer.hpp"

using namespace orcraft::backend::dialect;

TEST_CASE("tokenizer splits strings, identifiers, comments, numbers and placeholders") {
    const auto t = tokenize(
        "SELECT `a``b`, 'it''s', \"q\\\"x\", 1.5e3, ? -- tail\n FROM t # c\n /* x */ WHERE a<=>b");
    REQUIRE(t.size() == 16);
    CHECK(t[0].is_word("SELECT"));
    CHECK(t[1].kind == TokenKind::QuotedIdent);
    CHECK(t[1].value == "a`b");
    CHECK(t[3].kind == TokenKind::String);
    CHECK(t[3].value == "it's");
    CHECK(t[5].value == "q\"x");
    CHECK(t[7].kind == TokenKind::Number);
    CHECK(t[7].text == "1.5e3");
    CHECK(t[9].kind == TokenKind::Placeholder);
    CHECK(t[10].is_word("FROM"));
    CHECK(t[14].is_op("<=>"));
}

TEST_CASE("tokenizer decodes MySQL backslash escapes") {
    const auto t = tokenize(R"('a\nb\tc\\d\'e\%')");
    REQUIRE(t.size() == 1);
    CHECK(t[0].value == "a\nb\tc\\d'e\\%");
}

TEST_CASE("keywords inside strings and comments stay data") {
    const auto t = tokenize("SELECT 'DROP TABLE x; --' /* ; DELETE */");
    REQUIRE(t.size() == 2);
    CHECK(t[1].value == "DROP TABLE x; --");
}

TEST_CASE("double dash without a space is two minus signs") {
    const auto t = tokenize("SELECT 1--1");
    REQUIRE(t.size() == 5);
    CHECK(t[2].is_op("-"));
}

TEST_CASE("tokenizer refuses unterminated input and executable comments") {
    CHECK_THROWS_AS(tokenize("SELECT 'abc"), DialectError);
    CHECK_THROWS_AS(tokenize("SELECT `abc"), DialectError);
    CHECK_THROWS_AS(tokenize("SELECT 1 /* x"), DialectError);
    CHECK_THROWS_WITH(tokenize("SELECT /*! 1 */"), Catch::Contains("executable comment"));
}

TEST_CASE("quote_string doubles quotes and refuses NUL") {
    CHECK(quote_string("it's") == "'it''s'");
    CHECK_THROWS_AS(quote_string(std::string("a\0b", 3)), DialectError);
    CHECK(quote_ident_sqlite("a\"b") == "\"a\"\"b\"");
}

TEST_CASE("RAND() substitution is deterministic per seed, statement and occurrence") {
    const std::string sql = "INSERT INTO t VALUES (RAND(), rand ( ), 'RAND()')";
    const std::string a = substitute_rand(sql, 42, 0);
    CHECK(a == substitute_rand(sql, 42, 0));
    CHECK(a != substitute_rand(sql, 43, 0));
    CHECK(a != substitute_rand(sql, 42, 1));
    CHECK(a.find("'RAND()'") != std::string::npos);  // string literal untouched
    CHECK(a.find(rand_literal(42, 0, 0)) != std::string::npos);
    CHECK(a.find(rand_literal(42, 0, 1)) != std::string::npos);
    CHECK(substitute_rand("SELECT 1", 1, 0) == "SELECT 1");
    CHECK(substitute_rand("SELECT 1 /* Rand */", 1, 0) == "SELECT 1 /* Rand */");
    CHECK(substitute_rand("SELECT operand()", 1, 0) == "SELECT operand()");
    CHECK_THROWS_AS(substitute_rand("SELECT RAND(), 'x", 1, 0), DialectError);
    for (std::size_t i = 0; i < 1000; ++i) {
        const double v = rand_value(i * 7919, i % 5, i % 3);
        CHECK(v >= 0.0);
        CHECK(v < 1.0);
        CHECK(std::stod(rand_literal(i * 7919, i % 5, i % 3)) == v);  // the literal round-trips
    }
    CHECK(rand_literal(0, 0, 0).find('e') != std::string::npos);  // read as DOUBLE by MySQL
}
