// The real orcraft-client binary against a real standalone orcraft node: SQL in and out,
// status, errors from the node, URLPrefix and basic authentication.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "tests/client/client_runner.hpp"
#include "tests/node/node_process.hpp"

using namespace orcraft::tests;

namespace {

std::string url_of(const NodeProcess& node, const std::string& suffix = "") {
    return "http://127.0.0.1:" + std::to_string(node.port()) + suffix;
}

}  // namespace

TEST_CASE("execute and query against a standalone node as tables and TSV and JSON", "[client]") {
    TempDir dir;
    NodeProcess node(dir.path(), {});
    node.start();
    const std::map<std::string, std::string> env{{"ORCRAFT_API", url_of(node)}};

    auto run = run_client({"execute",
                           "CREATE TABLE hosts (id INT AUTO_INCREMENT PRIMARY KEY, "
                           "name VARCHAR(64) NOT NULL, port INT)"},
                          env);
    REQUIRE(run.status == 0);
    CHECK(run.out == "0 rows affected\n");

    run = run_client(
        {"execute", "INSERT INTO hosts (name, port) VALUES (?, ?)", "-p", "db-1", "-p", "3306"},
        env);
    CHECK(run.status == 0);
    CHECK(run.out == "1 row affected, last insert id 1\n");

    // A script on standard input: ';' inside strings and comments does not split.
    run = run_client({"execute"}, env,
                     std::string("INSERT INTO hosts (name) VALUES ('db;2'); -- a note; here\n"
                                 "INSERT INTO hosts (name, port) VALUES ('db-3', NULL);\n"));
    CHECK(run.status == 0);
    CHECK(run.out ==
          "statement 1: 1 row affected, last insert id 2\n"
          "statement 2: 1 row affected, last insert id 3\n");

    run = run_client(
        {"query", "--level", "linearizable", "SELECT id, name, port FROM hosts ORDER BY id"}, env);
    CHECK(run.status == 0);
    CHECK(run.out ==
          "id | name | port\n"
          "---+------+-----\n"
          " 1 | db-1 | 3306\n"
          " 2 | db;2 | NULL\n"
          " 3 | db-3 | NULL\n"
          "(3 rows)\n");

    run = run_client({"query", "-f", "tsv", "SELECT name FROM hosts WHERE id = ?", "-p", "2"}, env);
    CHECK(run.out == "name\ndb;2\n");

    run = run_client({"query", "--json", "SELECT COUNT(*) FROM hosts"}, env);
    CHECK(run.status == 0);
    auto answer = nlohmann::json::parse(run.out);
    CHECK(answer["results"][0]["values"][0][0] == 3);

    // A JSON request body on standard input goes as it is.
    run =
        run_client({"query"}, env,
                   std::string(R"({"statements": [["SELECT name FROM hosts WHERE id = ?", 3]]})"));
    CHECK(run.out == "name\n----\ndb-3\n(1 row)\n");

    // The node's own error, with the statement's position, and exit status 1.
    run = run_client(
        {"execute", "INSERT INTO hosts (name) VALUES ('x')", "INSERT INTO nope VALUES (1)"}, env);
    CHECK(run.status == 1);
    CHECK(run.err.find("HTTP 400: statement 2: ") != std::string::npos);
    CHECK(run.err.find("nope") != std::string::npos);
    run = run_client({"query", "-f", "tsv", "SELECT COUNT(*) AS n FROM hosts"}, env);
    CHECK(run.out == "n\n3\n");  // the batch was rolled back
}

TEST_CASE("status and leader checks and raw API calls against a standalone node", "[client]") {
    TempDir dir;
    NodeProcess node(dir.path(), {});
    node.start();
    const std::map<std::string, std::string> env{{"ORCRAFT_API", url_of(node)}};

    auto run = run_client({"status"}, env);
    CHECK(run.status == 0);
    CHECK(run.out.rfind("Application node is healthy\n", 0) == 0);
    CHECK(run.out.find("Healthy: true\n") != std::string::npos);
    CHECK(run.out.find("Mode: standalone\n") != std::string::npos);

    run = run_client({"status", "--json"}, env);
    CHECK(nlohmann::json::parse(run.out)["Details"]["Healthy"] == true);

    run = run_client({"which-api"}, env);
    CHECK(run.out == url_of(node, "/api\n"));

    run = run_client({"api", "lb-check"}, env);
    CHECK(run.status == 0);
    CHECK(run.out == "\"OK\"\n");

    run = run_client({"api", "no-such-route"}, env);
    CHECK(run.status == 1);

    // Without raft the node says so, and the client passes it on.
    run = run_client({"raft-leader"}, env);
    CHECK(run.status == 1);
    CHECK(run.err.find("not running with raft setup") != std::string::npos);
}

TEST_CASE("a node behind a URL prefix with basic authentication", "[client]") {
    TempDir dir;
    NodeProcess node(dir.path(), {{"URLPrefix", "/orc"},
                                  {"AuthenticationMethod", "multi"},
                                  {"HTTPAuthUser", "admin"},
                                  {"HTTPAuthPassword", "s3cret"}});
    node.start();
    const std::string api = url_of(node, "/orc/api");

    // Without credentials the leader-check is refused: no leader is found.
    auto run = run_client({"--api", api, "status"});
    CHECK(run.status == 3);
    CHECK(run.err.find("leader-check: HTTP 401") != std::string::npos);

    run = run_client({"--api", api, "-u", "admin:s3cret", "execute", "CREATE TABLE t (v INT)"});
    CHECK(run.status == 0);

    // The readonly user of `multi` reads but cannot write.
    const std::map<std::string, std::string> readonly{{"ORCRAFT_API", url_of(node, "/orc")},
                                                      {"ORCRAFT_USER", "readonly"},
                                                      {"ORCRAFT_PASSWORD", "anything"}};
    run = run_client({"query", "SELECT COUNT(*) AS n FROM t"}, readonly);
    CHECK(run.status == 0);
    run = run_client({"execute", "INSERT INTO t VALUES (1)"}, readonly);
    CHECK(run.status == 1);
    CHECK(run.err.find("HTTP 401") != std::string::npos);

    // Credentials in the URL.
    run = run_client({"--api",
                      "http://admin:s3cret@127.0.0.1:" + std::to_string(node.port()) + "/orc",
                      "execute", "INSERT INTO t VALUES (2)"});
    CHECK(run.status == 0);
}
