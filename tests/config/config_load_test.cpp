// Reading configuration files: the search list, overriding, --config, syntax and type errors,
// unknown keys, ${VAR} passwords and URLPrefix normalization.

#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace orcraft::backend;
using namespace orcraft::backend::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("the search list is read in order, later files overriding earlier keys", "[config]") {
    TempDir dir;
    const auto etc = dir.write("etc/orchestrator.conf.json",
                               R"({"ListenAddress": ":4000", "MySQLOrchestratorPort": 1111,
                                   "LogLevel": "warn"})");
    const auto conf = dir.write("conf/orchestrator.conf.json",
                                R"({"MySQLOrchestratorPort": 2222, "URLPrefix": "/a"})");
    const auto local = dir.write("orchestrator.conf.json", R"({"URLPrefix": "/b"})");
    LoadOptions o = isolated_options();
    o.search_paths = {etc, conf, dir.file("missing/orchestrator.conf.json"), local};
    const LoadResult r = load_config(o);
    CHECK(r.files == std::vector<std::string>{etc, conf, local});
    CHECK(r.config.listen_address == ":4000");  // only in the first file
    CHECK(r.config.mysql_port == 2222);         // second overrides first
    CHECK(r.config.url_prefix == "/b");         // third overrides second
    CHECK(r.config.log_level == "warn");
    CHECK(r.warnings.empty());
}

TEST_CASE("files missing from the search list are skipped; none at all means defaults",
          "[config]") {
    TempDir dir;
    LoadOptions o = isolated_options();
    o.search_paths = {dir.file("a.json"), dir.file("b/c.json")};
    const LoadResult r = load_config(o);
    CHECK(r.files.empty());
    CHECK(r.config.listen_address == ":3000");
}

TEST_CASE("the default search list is orchestrator's", "[config]") {
    CHECK(default_config_search_paths() == std::vector<std::string>{"/etc/orchestrator.conf.json",
                                                                    "conf/orchestrator.conf.json",
                                                                    "orchestrator.conf.json"});
}

TEST_CASE("a file of the search list that exists but cannot be read is fatal", "[config]") {
    TempDir dir;
    std::filesystem::create_directories(dir.file("conf/orchestrator.conf.json"));
    LoadOptions o = isolated_options();
    o.search_paths = {dir.file("conf/orchestrator.conf.json")};
    CHECK_THROWS_WITH(
        load_config(o),
        "Cannot read config file: " + dir.file("conf/orchestrator.conf.json") + ": Is a directory");
}

TEST_CASE("a --config file is read exactly, ignoring the search list", "[config]") {
    TempDir dir;
    const auto searched = dir.write("orchestrator.conf.json", R"({"ListenAddress": ":1"})");
    const auto chosen = dir.write("chosen.json", R"({"ListenAddress": ":2"})");
    LoadOptions o = isolated_options();
    o.search_paths = {searched};
    o.config_file = chosen;
    const LoadResult r = load_config(o);
    CHECK(r.files == std::vector<std::string>{chosen});
    CHECK(r.config.listen_address == ":2");
}

TEST_CASE("a missing or unreadable --config file is fatal and named", "[config]") {
    TempDir dir;
    LoadOptions o = isolated_options();
    o.config_file = dir.file("nope.json");
    CHECK_THROWS_WITH(load_config(o), "Cannot read config file: " + dir.file("nope.json") +
                                          ": No such file or directory");
    o.config_file = dir.path();
    CHECK_THROWS_WITH(load_config(o),
                      "Cannot read config file: " + dir.path() + ": Is a directory");
    const auto unreadable = dir.write("secret.json", "{}");
    std::filesystem::permissions(unreadable, std::filesystem::perms::none);
    if (::access(unreadable.c_str(), R_OK) != 0) {  // root reads anything
        o.config_file = unreadable;
        CHECK_THROWS_WITH(load_config(o),
                          "Cannot read config file: " + unreadable + ": Permission denied");
    }
}

TEST_CASE("a JSON syntax error is fatal: Cannot read config file", "[config]") {
    TempDir dir;
    CHECK_THROWS_WITH(
        load_json(dir, R"({"RaftEnabled": true,})"),
        StartsWith("Cannot read config file: " + dir.file("orchestrator.conf.json") + ": ") &&
            Contains("parse error"));
    CHECK_THROWS_WITH(load_json(dir, ""), StartsWith("Cannot read config file: "));
    CHECK_THROWS_WITH(load_json(dir, "[1, 2]"),
                      "Cannot read config file: " + dir.file("orchestrator.conf.json") +
                          ": the top level must be a JSON object");
}

TEST_CASE("a value of the wrong type is an error naming the key and the expected type",
          "[config]") {
    TempDir dir;
    const std::string prefix =
        "Cannot read config file: " + dir.file("orchestrator.conf.json") + ": ";
    CHECK_THROWS_WITH(load_json(dir, R"({"DefaultRaftPort": "x"})"),
                      prefix + "DefaultRaftPort must be an integer, not a string (\"x\")");
    CHECK_THROWS_WITH(load_json(dir, R"({"DefaultRaftPort": 10008.5})"),
                      prefix + "DefaultRaftPort must be an integer, not a number (10008.5)");
    CHECK_THROWS_WITH(
        load_json(dir, R"({"RaftEnabled": "true"})"),
        prefix + "RaftEnabled must be a boolean (true or false), not a string (\"true\")");
    CHECK_THROWS_WITH(load_json(dir, R"({"RaftEnabled": 1})"),
                      prefix + "RaftEnabled must be a boolean (true or false), not a number (1)");
    CHECK_THROWS_WITH(
        load_json(dir, R"({"RaftNodes": "10.0.0.1"})"),
        prefix + "RaftNodes must be an array of strings, not a string (\"10.0.0.1\")");
    CHECK_THROWS_WITH(load_json(dir, R"({"RaftNodes": ["10.0.0.1", 2]})"),
                      prefix + "RaftNodes must be an array of strings, not a number (2)");
    CHECK_THROWS_WITH(load_json(dir, R"({"ListenAddress": 3000})"),
                      prefix + "ListenAddress must be a string, not a number (3000)");
    CHECK_THROWS_WITH(load_json(dir, R"({"MySQLOrchestratorPassword": {"a": 1}})"),
                      prefix + "MySQLOrchestratorPassword must be a string, not an object");
    CHECK_THROWS_WITH(load_json(dir, R"({"HTTPMaxBodyBytes": [1]})"),
                      prefix + "HTTPMaxBodyBytes must be an integer, not an array");
}

TEST_CASE("numbers outside a key's range are errors naming the key and the range", "[config]") {
    TempDir dir;
    const std::string prefix =
        "Cannot read config file: " + dir.file("orchestrator.conf.json") + ": ";
    CHECK_THROWS_WITH(load_json(dir, R"({"DefaultRaftPort": 70000})"),
                      prefix + "DefaultRaftPort is 70000; it must be between 0 and 65535");
    CHECK_THROWS_WITH(load_json(dir, R"({"DefaultRaftPort": -1})"),
                      prefix + "DefaultRaftPort is -1; it must be between 0 and 65535");
    CHECK_THROWS_WITH(load_json(dir, R"({"MySQLOrchestratorPort": 0})"),
                      prefix + "MySQLOrchestratorPort is 0; it must be between 1 and 65535");
    CHECK_THROWS_WITH(load_json(dir, R"({"SQLiteReadConnections": 0})"),
                      prefix + "SQLiteReadConnections is 0; it must be between 1 and 256");
    CHECK_THROWS_WITH(load_json(dir, R"({"HTTPMaxBodyBytes": 18446744073709551615})"),
                      StartsWith(prefix + "HTTPMaxBodyBytes is 18446744073709551615;"));
    CHECK(load_json(dir, R"({"DefaultRaftPort": 0})").config.default_raft_port == 0);
    CHECK(load_json(dir, R"({"DefaultRaftPort": 65535})").config.default_raft_port == 65535);
}

TEST_CASE("null leaves a key at its current value", "[config]") {
    TempDir dir;
    const LoadResult r = load_json(dir, R"({"DefaultRaftPort": null, "RaftNodes": null})");
    CHECK(r.config.default_raft_port == 10008);
    CHECK(r.config.raft_nodes.empty());
}

TEST_CASE("keys match case-insensitively when there is no exact match, as in orchestrator",
          "[config]") {
    TempDir dir;
    const LoadResult r = load_json(dir, R"({"listenaddress": ":3333", "URLPREFIX": "/x"})");
    CHECK(r.config.listen_address == ":3333");
    CHECK(r.config.url_prefix == "/x");
    CHECK(r.warnings.empty());
}

TEST_CASE("unknown keys are ignored with one warning listing them all", "[config]") {
    TempDir dir;
    const auto a = dir.write("a.json", R"({"RaftNode": ["x"], "ListenAddress": ":3001",
                                           "InstancePollSeconds": 5, "RaftNode": ["y"]})");
    const auto b = dir.write("b.json", R"({"MySQLTopologyUser": "t"})");
    LoadOptions o = isolated_options();
    o.search_paths = {a, b};
    const LoadResult r = load_config(o);
    CHECK(r.config.listen_address == ":3001");
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] ==
          "Ignoring unknown configuration keys: RaftNode, InstancePollSeconds in " + a +
              "; MySQLTopologyUser in " + b);
}

TEST_CASE("a ${VAR} password is read from the environment", "[config]") {
    TempDir dir;
    LoadOptions o = isolated_options();
    o.env = fake_env({{"ORC_DB_PW", "s3cret"}, {"EMPTY", ""}});
    CHECK(load_json(dir, R"({"MySQLOrchestratorPassword": "${ORC_DB_PW}"})", o)
              .config.mysql_password == "s3cret");
    CHECK(load_json(dir, R"({"MySQLOrchestratorPassword": "${EMPTY}"})", o).config.mysql_password ==
          "");
    // Only the whole value is a reference.
    CHECK(load_json(dir, R"({"MySQLOrchestratorPassword": "a${ORC_DB_PW}"})", o)
              .config.mysql_password == "a${ORC_DB_PW}");
    // The user is never expanded (orchestrator expands passwords only).
    CHECK(load_json(dir, R"({"MySQLOrchestratorUser": "${ORC_DB_PW}"})", o).config.mysql_user ==
          "${ORC_DB_PW}");
}

TEST_CASE("a ${VAR} password naming an unset variable is fatal", "[config]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_json(dir, R"({"MySQLOrchestratorPassword": "${NOT_SET}"})"),
                      "MySQLOrchestratorPassword is ${NOT_SET} but environment variable "
                      "\"NOT_SET\" is not set");
}

TEST_CASE("the real environment is read by system_env", "[config]") {
    ::setenv("ORCRAFT_CONFIG_TEST_VAR", "from-env", 1);
    TempDir dir;
    LoadOptions o = isolated_options();
    o.env = system_env();
    CHECK(load_json(dir, R"({"MySQLOrchestratorPassword": "${ORCRAFT_CONFIG_TEST_VAR}"})", o)
              .config.mysql_password == "from-env");
    ::unsetenv("ORCRAFT_CONFIG_TEST_VAR");
    CHECK_FALSE(system_env()("ORCRAFT_CONFIG_TEST_VAR").has_value());
}

TEST_CASE("URLPrefix is normalized to a leading / and no trailing /", "[config]") {
    CHECK(normalize_url_prefix("") == "");
    CHECK(normalize_url_prefix("/") == "");
    CHECK(normalize_url_prefix("///") == "");
    CHECK(normalize_url_prefix("orc") == "/orc");
    CHECK(normalize_url_prefix("/orc") == "/orc");
    CHECK(normalize_url_prefix("orc/") == "/orc");
    CHECK(normalize_url_prefix("//orc//") == "/orc");
    CHECK(normalize_url_prefix("/a/b/") == "/a/b");
    TempDir dir;
    CHECK(load_json(dir, R"({"URLPrefix": "proxy/orchestrator/"})").config.url_prefix ==
          "/proxy/orchestrator");
}

TEST_CASE("BackendDB selects SQLite when it contains sqlite", "[config]") {
    TempDir dir;
    CHECK(load_json(dir, R"({"BackendDB": "sqlite", "SQLite3DataFile": "x"})").config.is_sqlite());
    CHECK(load_json(dir, R"({"BackendDB": "sqlite3", "SQLite3DataFile": "x"})").config.is_sqlite());
    CHECK_FALSE(load_json(dir, R"({"BackendDB": "mysql"})").config.is_sqlite());
    CHECK_FALSE(load_json(dir, R"({"BackendDB": ""})").config.is_sqlite());
}
