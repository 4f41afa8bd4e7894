// The MySQL credentials file: good files, bad files, and how it combines with the JSON keys.

#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace orcraft::backend;
using namespace orcraft::backend::test;

TEST_CASE("credentials: [client] user and password, quotes optional, comments",
          "[config][credentials]") {
    const Credentials c = parse_credentials(R"(
# a comment
; another comment
[mysqld]
user = not-me
password = not-mine

[client]
host = db.example.com
user = orc   # trailing comment
password = "p#ss ; \"word\""
port=3306
skip-ssl
)",
                                            "creds.cnf");
    CHECK(c.user == "orc");
    CHECK(c.password == "p#ss ; \"word\"");
}

TEST_CASE("credentials: single quotes, no spaces, case-insensitive names",
          "[config][credentials]") {
    const Credentials c = parse_credentials("[CLIENT]\nUser=a b\nPASSWORD='x\\y\"z'\n", "f");
    CHECK(c.user == "a b");
    CHECK(c.password == "x\\y\"z");
    const Credentials only_password = parse_credentials("[client]\npassword=\n", "f");
    CHECK_FALSE(only_password.user.has_value());
    CHECK(only_password.password == "");
    CHECK_FALSE(parse_credentials("", "f").user.has_value());
}

TEST_CASE("credentials: syntax errors are fatal and name the file and line",
          "[config][credentials]") {
    const std::string p = "Cannot parse MySQLOrchestratorCredentialsConfigFile f: ";
    CHECK_THROWS_WITH(parse_credentials("[client]\npassword = \"abc\n", "f"),
                      p + "line 2: unterminated double-quoted value");
    CHECK_THROWS_WITH(parse_credentials("[client]\npassword = 'abc\n", "f"),
                      p + "line 2: unterminated single-quoted value");
    CHECK_THROWS_WITH(parse_credentials("[client\nuser=a\n", "f"),
                      p + "line 1: missing ']' in section header");
    CHECK_THROWS_WITH(parse_credentials("user=a\n", "f"),
                      p + "line 1: user is outside of any [section]");
    CHECK_THROWS_WITH(parse_credentials("[client]\nuser a\n", "f"),
                      p + "line 2: expected '=' after user");
    CHECK_THROWS_WITH(parse_credentials("[client]\n\n\npassword\n", "f"),
                      p + "line 4: password has no value");
    CHECK_THROWS_WITH(parse_credentials("[client]\npassword=\"a\\qb\"\n", "f"),
                      p + "line 2: invalid escape \\q in a double-quoted value");
    CHECK_THROWS_WITH(parse_credentials("[client]\n= x\n", "f"),
                      p + "line 2: expected name = value");
    CHECK_THROWS_WITH(parse_credentials("!include /etc/other.cnf\n", "f"),
                      p + "line 1: include directives are not supported");
}

TEST_CASE("the credentials file overrides MySQLOrchestratorUser and Password",
          "[config][credentials]") {
    TempDir dir;
    const auto creds = dir.write("orc.cnf", "[client]\nuser=fromfile\npassword=filepw\n");
    const LoadResult r = load_json(dir, R"({"MySQLOrchestratorUser": "json",
        "MySQLOrchestratorPassword": "jsonpw",
        "MySQLOrchestratorCredentialsConfigFile": ")" +
                                            creds + R"("})");
    CHECK(r.config.mysql_user == "fromfile");
    CHECK(r.config.mysql_password == "filepw");

    // Only what the file sets is overridden.
    const auto partial = dir.write("partial.cnf", "[client]\npassword=onlypw\n");
    const LoadResult p = load_json(dir, R"({"MySQLOrchestratorUser": "json",
        "MySQLOrchestratorCredentialsConfigFile": ")" +
                                            partial + R"("})");
    CHECK(p.config.mysql_user == "json");
    CHECK(p.config.mysql_password == "onlypw");
}

TEST_CASE("a ${VAR} password in the credentials file is read from the environment",
          "[config][credentials]") {
    TempDir dir;
    const auto creds = dir.write("orc.cnf", "[client]\nuser=u\npassword=${DB_PW}\n");
    LoadOptions o = isolated_options();
    o.env = fake_env({{"DB_PW", "envpw"}});
    const LoadResult r =
        load_json(dir, R"({"MySQLOrchestratorCredentialsConfigFile": ")" + creds + R"("})", o);
    CHECK(r.config.mysql_password == "envpw");
}

TEST_CASE("a bad or missing credentials file is fatal", "[config][credentials]") {
    TempDir dir;
    const auto bad = dir.write("bad.cnf", "[client]\npassword=\"unterminated\n");
    CHECK_THROWS_WITH(
        load_json(dir, R"({"MySQLOrchestratorCredentialsConfigFile": ")" + bad + R"("})"),
        "Cannot parse MySQLOrchestratorCredentialsConfigFile " + bad +
            ": line 2: unterminated double-quoted value");
    const auto missing = dir.file("missing.cnf");
    CHECK_THROWS_WITH(
        load_json(dir, R"({"MySQLOrchestratorCredentialsConfigFile": ")" + missing + R"("})"),
        "Cannot read MySQLOrchestratorCredentialsConfigFile " + missing +
            ": No such file or directory");
}
