// orcraft-client's parts without a network: URLs, the command line, SQL input, rendering, and
// the leader search over a scripted caller.

#include <catch2/catch.hpp>

#include <map>

#include "client/api_url.hpp"
#include "client/commands.hpp"
#include "client/leader_finder.hpp"
#include "client/options.hpp"
#include "client/render.hpp"
#include "client/sql_input.hpp"

using namespace orcraft::client;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars](const std::string& name) -> std::optional<std::string> {
        if (auto it = vars.find(name); it != vars.end()) return it->second;
        return std::nullopt;
    };
}

Options parse(std::vector<std::string> args, std::map<std::string, std::string> vars = {}) {
    return parse_options(args, env_of(std::move(vars)));
}

}  // namespace

TEST_CASE("API URLs - scheme and port and prefix and orchestrator-client's api form", "[client]") {
    auto u = parse_api_url("http://10.0.0.2:3000");
    CHECK(u.host == "10.0.0.2");
    CHECK(u.port == 3000);
    CHECK(u.prefix.empty());
    CHECK(u.target("leader-check") == "/api/leader-check");
    CHECK(u.api_root() == "http://10.0.0.2:3000/api");

    CHECK(parse_api_url("http://h:3000/api").prefix.empty());
    CHECK(parse_api_url("http://h:3000/api/").prefix.empty());
    CHECK(parse_api_url("http://h:3000/orc").prefix == "/orc");
    CHECK(parse_api_url("http://h:3000/orc/").prefix == "/orc");
    CHECK(parse_api_url("http://h:3000/orc/api").prefix == "/orc");
    CHECK(parse_api_url("http://h:3000/orc/api").target("/db/query?q=1") ==
          "/orc/api/db/query?q=1");
    CHECK(parse_api_url("127.0.0.1:3001").port == 3001);
    CHECK(parse_api_url("HTTP://node1").port == 80);
    auto v6 = parse_api_url("http://[::1]:3000/x");
    CHECK(v6.host == "::1");
    CHECK(v6.authority() == "[::1]:3000");
    CHECK(v6.api_root() == "http://[::1]:3000/x/api");

    auto c = parse_api_url("http://ad%40min:s3:cr%2Ft@h:1");
    CHECK(c.user == "ad@min");
    CHECK(c.password == "s3:cr/t");
    CHECK(c.api_root() == "http://h:1/api");  // credentials are never printed
}

TEST_CASE("API URLs - what is refused and why", "[client]") {
    CHECK_THROWS_WITH(parse_api_url("https://h:3000"), Catch::Contains("https is not supported"));
    CHECK_THROWS_WITH(parse_api_url("ftp://h"), Catch::Contains("only http://"));
    CHECK_THROWS_WITH(parse_api_url("http://:3000"), Catch::Contains("no host"));
    CHECK_THROWS_WITH(parse_api_url("http://h:0"), Catch::Contains("port must be"));
    CHECK_THROWS_WITH(parse_api_url("http://h:70000"), Catch::Contains("port must be"));
    CHECK_THROWS_WITH(parse_api_url("http://h:30x"), Catch::Contains("port must be"));
    CHECK_THROWS_WITH(parse_api_url("http://h:"), Catch::Contains("empty port"));
    CHECK_THROWS_WITH(parse_api_url("http://h:1/a?b"), Catch::Contains("no query string"));
    CHECK_THROWS_WITH(parse_api_url("http://[::1:3000"), Catch::Contains("unterminated"));
}

TEST_CASE("API URL lists are separated by commas or whitespace", "[client]") {
    auto urls = parse_api_list(" http://a:1/api  http://b:2,http://c:3 ,, \n");
    REQUIRE(urls.size() == 3);
    CHECK(urls[0].host == "a");
    CHECK(urls[1].host == "b");
    CHECK(urls[2].port == 3);
    CHECK(parse_api_list("  , ").empty());
}

TEST_CASE("options - URLs from --api else ORCRAFT_API else ORCHESTRATOR_API", "[client]") {
    auto o = parse({"status"}, {{"ORCHESTRATOR_API", "http://a:1/api http://b:2/api"}});
    CHECK(o.urls_source == "ORCHESTRATOR_API");
    CHECK(o.urls.size() == 2);

    o = parse({"status"}, {{"ORCRAFT_API", "http://c:3"}, {"ORCHESTRATOR_API", "http://a:1"}});
    CHECK(o.urls_source == "ORCRAFT_API");
    REQUIRE(o.urls.size() == 1);
    CHECK(o.urls[0].host == "c");

    o = parse({"--api", "http://d:4,http://e:5", "status", "-a", "f:6"}, {{"ORCRAFT_API", "x:1"}});
    CHECK(o.urls_source == "--api");
    REQUIRE(o.urls.size() == 3);
    CHECK(o.urls[2].host == "f");

    o = parse({"status"});
    CHECK(o.urls_source == "default");
    CHECK(o.urls.at(0).api_root() == "http://127.0.0.1:3000/api");

    CHECK_THROWS_WITH(parse({"status"}, {{"ORCRAFT_API", "https://x"}}),
                      Catch::Contains("(from ORCRAFT_API)"));
    CHECK_THROWS_WITH(parse({"--api", " , ", "status"}), Catch::Contains("names no API URL"));
}

TEST_CASE("options - credentials from --user or the environment", "[client]") {
    auto o = parse({"-u", "admin:pw", "status"});
    REQUIRE(o.credentials);
    CHECK(o.credentials->user == "admin");
    CHECK(o.credentials->password == "pw");

    o = parse({"--user=admin", "status"}, {{"ORCRAFT_PASSWORD", "envpw"}});
    CHECK(o.credentials->password == "envpw");

    o = parse({"status"}, {{"ORCHESTRATOR_AUTH_USER", "u"}, {"ORCHESTRATOR_AUTH_PASSWORD", "p"}});
    REQUIRE(o.credentials);
    CHECK(o.credentials->user == "u");
    CHECK(o.credentials->password == "p");

    o = parse({"status"}, {{"ORCRAFT_USER", "readonly"}});
    CHECK(o.credentials->password.empty());

    CHECK_FALSE(parse({"status"}).credentials);
}

TEST_CASE("options - commands and their arguments and misuse", "[client]") {
    auto o = parse({"query", "--level", "linearizable", "SELECT 1", "--format=tsv"});
    CHECK(o.command == Command::Query);
    CHECK(o.level == "linearizable");
    CHECK(o.format == Format::Tsv);
    CHECK(o.args == std::vector<std::string>{"SELECT 1"});

    o = parse({"execute", "--", "-- comment only", "--json"});
    CHECK(o.args == std::vector<std::string>{"-- comment only", "--json"});
    CHECK(o.format == Format::Table);

    o = parse(
        {"execute", "INSERT INTO t VALUES (?, ?, ?)", "-p", "7", "-p", "x", "--param-string", "7"});
    CHECK(o.params == json::array({7, "x", "7"}));

    o = parse({"--wait", "2.5", "--timeout", "0.3", "raft-health"});
    CHECK(o.wait == std::chrono::milliseconds(2500));
    CHECK(o.request_timeout == std::chrono::milliseconds(300));

    CHECK(parse({"yield", "--hint", "node2"}).hint == "node2");
    CHECK(parse({"api", "raft-peers"}).args.front() == "raft-peers");
    CHECK(parse({"--help"}).help);

    CHECK_THROWS_WITH(parse({}), Catch::Contains("no command"));
    CHECK_THROWS_WITH(parse({"frobnicate"}), Catch::Contains("unknown command 'frobnicate'"));
    CHECK_THROWS_WITH(parse({"status", "--bogus"}), Catch::Contains("unknown option --bogus"));
    CHECK_THROWS_WITH(parse({"status", "extra"}), Catch::Contains("takes no arguments"));
    CHECK_THROWS_WITH(parse({"status", "--level", "weak"}), Catch::Contains("--level applies"));
    CHECK_THROWS_WITH(parse({"query", "--level", "strong"}), Catch::Contains("none, weak or"));
    CHECK_THROWS_WITH(parse({"status", "-p", "1"}), Catch::Contains("--param applies"));
    CHECK_THROWS_WITH(parse({"execute", "a", "b", "-p", "1"}),
                      Catch::Contains("exactly one statement"));
    CHECK_THROWS_WITH(parse({"yield"}), Catch::Contains("needs the node"));
    CHECK_THROWS_WITH(parse({"yield", "n", "--hint", "h"}), Catch::Contains("not both"));
    CHECK_THROWS_WITH(parse({"api"}), Catch::Contains("exactly one PATH"));
    CHECK_THROWS_WITH(parse({"status", "--data", "{}"}), Catch::Contains("--data applies"));
    CHECK_THROWS_WITH(parse({"status", "--timeout", "0"}), Catch::Contains("more than 0"));
    CHECK_THROWS_WITH(parse({"status", "--wait", "-1"}), Catch::Contains("0 or more"));
    CHECK_THROWS_WITH(parse({"status", "--timeout"}), Catch::Contains("needs a value"));
    CHECK_THROWS_WITH(parse({"status", "--direct=1"}), Catch::Contains("takes no value"));
    CHECK_THROWS_WITH(parse({"status", "-f", "xml"}), Catch::Contains("table, tsv or json"));
}

TEST_CASE("param values - JSON scalars and blobs as such and anything else as text", "[client]") {
    CHECK(param_value("42") == json(42));
    CHECK(param_value("-1.5") == json(-1.5));
    CHECK(param_value("true") == json(true));
    CHECK(param_value("null") == json(nullptr));
    CHECK(param_value("\"42\"") == json("42"));
    CHECK(param_value(R"({"blob": "AAE="})") == json::parse(R"({"blob": "AAE="})"));
    CHECK(param_value("db-1") == json("db-1"));
    CHECK(param_value("12abc") == json("12abc"));
    CHECK(param_value("-") == json("-"));
    CHECK(param_value("[1]") == json("[1]"));
    CHECK(param_value("") == json(""));
}

TEST_CASE("SQL scripts split on semicolons outside quotes and comments", "[client]") {
    auto pieces = split_sql_script(
        "INSERT INTO t VALUES ('a;b');\n-- note; with a semicolon\n"
        "INSERT INTO t VALUES (\"c;\") ; /* x; */ ;\n  SELECT 1  ");
    REQUIRE(pieces.size() == 3);
    CHECK(pieces[0] == "INSERT INTO t VALUES ('a;b')");
    CHECK(pieces[1] == "-- note; with a semicolon\nINSERT INTO t VALUES (\"c;\")");
    CHECK(pieces[2] == "SELECT 1");
    CHECK(split_sql_script(" ; -- nothing\n").empty());
    // Text the tokenizer refuses goes as one statement, for the node to report.
    CHECK(split_sql_script("SELECT 'open; ").size() == 1);
}

TEST_CASE("request bodies from arguments and scripts and JSON input", "[client]") {
    auto body = json::parse(request_body({"SELECT ?"}, std::nullopt, json::array({1}), "none"));
    CHECK(body == json::parse(R"({"statements": [["SELECT ?", 1]], "level": "none"})"));

    body = json::parse(request_body({}, std::string("SELECT 1; SELECT 2;"), json::array(), ""));
    CHECK(body == json::parse(R"({"statements": ["SELECT 1", "SELECT 2"]})"));

    body = json::parse(request_body({}, std::string(R"( [["SELECT ?", 2]] )"), json::array(), ""));
    CHECK(body == json::parse(R"({"statements": [["SELECT ?", 2]]})"));

    body = json::parse(
        request_body({}, std::string(R"({"statements": ["SELECT 3"]})"), json::array(), "weak"));
    CHECK(body == json::parse(R"({"statements": ["SELECT 3"], "level": "weak"})"));

    CHECK_THROWS_WITH(request_body({}, std::string("  \n"), json::array(), ""),
                      Catch::Contains("no SQL given"));
    CHECK_THROWS_WITH(request_body({}, std::nullopt, json::array(), ""),
                      Catch::Contains("no SQL given"));
    CHECK_THROWS_WITH(request_body({}, std::string("-- only a comment"), json::array(), ""),
                      Catch::Contains("no SQL statement"));
    CHECK_THROWS_WITH(request_body({}, std::string("{oops"), json::array(), ""),
                      Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(request_body({}, std::string("SELECT 1; SELECT ?"), json::array({1}), ""),
                      Catch::Contains("exactly one statement"));
}

TEST_CASE("query answers as aligned tables and as TSV", "[client]") {
    auto answer = ordered_json::parse(R"({"results": [
        {"columns": ["id", "name", "note"], "types": ["integer", "text", "text"],
         "values": [[1, "db-1", null], [20, "tab\there", "é"]]},
        {"columns": ["n"], "types": ["integer"], "values": [[2]]},
        {"columns": ["x"], "types": ["text"], "values": []}], "time": 0.001})");
    CHECK(render_query_table(answer) ==
          "id | name      | note\n"
          "---+-----------+-----\n"
          " 1 | db-1      | NULL\n"
          "20 | tab\\there | é\n"
          "(2 rows)\n"
          "\n"
          "n\n"
          "-\n"
          "2\n"
          "(1 row)\n"
          "\n"
          "x\n"
          "-\n"
          "(0 rows)\n");
    CHECK(render_query_tsv(answer) ==
          "id\tname\tnote\n1\tdb-1\tNULL\n20\ttab\\there\té\n\nn\n2\n\nx\n");
}

TEST_CASE("execute answers and the status envelope in readable form", "[client]") {
    auto one = ordered_json::parse(
        R"({"results": [{"rows_affected": 1, "last_insert_id": 7}], "index": 3})");
    CHECK(render_execute(one) == "1 row affected, last insert id 7\n");
    auto two = ordered_json::parse(
        R"({"results": [{"rows_affected": 0}, {"rows_affected": 2}], "index": 4})");
    CHECK(render_execute(two) == "statement 1: 0 rows affected\nstatement 2: 2 rows affected\n");

    auto status = ordered_json::parse(R"({"Code": "OK", "Message": "Application node is healthy",
        "Details": {"Healthy": true, "Hostname": "n1", "ActiveNode": {"Hostname": "n1"}}})");
    CHECK(render_status(status) ==
          "Application node is healthy\nHealthy: true\nHostname: n1\n"
          "ActiveNode: {\"Hostname\":\"n1\"}\n");
}

TEST_CASE("leader search - leader-check in order then routed-leader-check on live nodes",
          "[client]") {
    const auto urls = parse_api_list("http://a:1 http://b:2 http://c:3 http://d:4");
    // a is dead, b hangs, c is a follower that can route, d is a follower that cannot.
    std::vector<std::string> calls;
    Caller caller = [&](const ApiUrl& url, std::string_view, std::string_view path,
                        std::string_view, const CallOptions&) {
        calls.push_back(url.host + " " + std::string(path));
        CallResult r;
        if (url.host == "a") {
            r.outcome = CallResult::Outcome::NotSent;
            r.failure = "connection refused";
        } else if (url.host == "b") {
            r.outcome = CallResult::Outcome::MaybeSent;
            r.failure = "no answer within 1000 ms";
        } else {
            r.outcome = CallResult::Outcome::Answered;
            r.status = (url.host == "c" && path == "routed-leader-check") ? 200 : 404;
        }
        return r;
    };
    auto search = find_leader(urls, caller, CallOptions{});
    REQUIRE(search.chosen == 2u);
    CHECK(search.chosen_by == "routed-leader-check");
    CHECK(calls == std::vector<std::string>{"a leader-check", "b leader-check", "c leader-check",
                                            "d leader-check", "c routed-leader-check"});

    // Nobody routes: the report names every URL and what each did.
    Caller none = [&](const ApiUrl& url, std::string_view m, std::string_view path,
                      std::string_view b, const CallOptions& o) {
        auto r = caller(url, m, path, b, o);
        if (r.answered()) r.status = 404;
        return r;
    };
    search = find_leader(urls, none, CallOptions{});
    CHECK_FALSE(search.chosen);
    CHECK(search.failure_report(urls) ==
          "no leader found among 4 API URLs:\n"
          "  http://a:1/api: leader-check: connection refused\n"
          "  http://b:2/api: leader-check: no answer within 1000 ms\n"
          "  http://c:3/api: leader-check: HTTP 404; routed-leader-check: HTTP 404\n"
          "  http://d:4/api: leader-check: HTTP 404; routed-leader-check: HTTP 404");
}

TEST_CASE("path segments are percent-encoded", "[client]") {
    CHECK(encode_segment("127.0.0.1:10008") == "127.0.0.1:10008");
    CHECK(encode_segment("[::1]:10008") == "%5B::1%5D:10008");
    CHECK(encode_segment("a b/c?") == "a%20b%2Fc%3F");
}
