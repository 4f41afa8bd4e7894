// Every validation message, produced exactly, plus the raft address checks.

#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace orcraft::backend;
using namespace orcraft::backend::test;

namespace {

// A valid raft configuration prefix; tests append keys to it.
const std::string raft_on = R"("RaftEnabled": true, "RaftDataDir": "/var/lib/orcraft", )";

}  // namespace

TEST_CASE("SQLite without a data file", "[config][validation]") {
    TempDir dir;
    CHECK_THROWS_AS(load_json(dir, R"({"BackendDB": "sqlite"})"), ConfigError);
    CHECK_THROWS_WITH(load_json(dir, R"({"BackendDB": "sqlite"})"),
                      "SQLite3DataFile must be set when BackendDB is sqlite3");
    CHECK_THROWS_WITH(load_json(dir, R"({"BackendDB": "sqlite3"})"),
                      "SQLite3DataFile must be set when BackendDB is sqlite3");
}

TEST_CASE("raft on without RaftDataDir", "[config][validation]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_json(dir, R"({"RaftEnabled": true})"),
                      "RaftDataDir must be defined since raft is enabled (RaftEnabled)");
    // Raft off: the raft keys are not checked.
    CHECK_NOTHROW(load_json(dir, R"({"RaftEnabled": false, "RaftBind": ""})"));
}

TEST_CASE("raft on without RaftBind", "[config][validation]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_json(dir, "{" + raft_on + R"("RaftBind": ""})"),
                      "RaftBind must be defined since raft is enabled (RaftEnabled)");
}

TEST_CASE("raft on with the default bind and a data dir is a valid single node",
          "[config][validation]") {
    TempDir dir;
    const LoadResult r = load_json(dir, R"({"RaftEnabled": true, "RaftDataDir": "/x"})");
    CHECK(r.config.raft_bind_address.id == "127.0.0.1:10008");
    CHECK(r.config.raft_self.id == "127.0.0.1:10008");
    CHECK(r.config.single_node());
    CHECK(r.warnings.empty());
}

TEST_CASE("HTTPAdvertise checks", "[config][validation]") {
    TempDir dir;
    auto with = [&](const std::string& v) {
        return load_json(dir, R"({"HTTPAdvertise": ")" + v + R"("})");
    };
    CHECK(with("http://127.0.0.1:1234").config.http_advertise == "http://127.0.0.1:1234");
    CHECK_NOTHROW(with("https://orc.example.com:443"));
    CHECK_NOTHROW(with("http://[fd00::1]:3000"));
    CHECK_THROWS_WITH(with("http://127.0.0.1"),
                      "If specified, HTTPAdvertise must include port number");
    CHECK_THROWS_WITH(with("127.0.0.1:1234"),
                      "If specified, HTTPAdvertise must include scheme (http:// or https://)");
    CHECK_THROWS_WITH(with("ftp://127.0.0.1:1234"),
                      "If specified, HTTPAdvertise must include scheme (http:// or https://)");
    CHECK_THROWS_WITH(with("http://127.0.0.1:1234/mypath"),
                      "If specified, HTTPAdvertise must not specify a path");
    CHECK_THROWS_WITH(with("http://127.0.0.1:1234/"),
                      "If specified, HTTPAdvertise must not specify a path");
    CHECK_THROWS_WITH(with("http://127.0.0.1:1234?x=1"),
                      "If specified, HTTPAdvertise must not specify a path");
    CHECK_THROWS_WITH(with("http://:1234"), "If specified, HTTPAdvertise must include host name");
    CHECK_THROWS_WITH(with("http:///x"), "If specified, HTTPAdvertise must include host name");
    CHECK_THROWS_WITH(with("http://h:port"),
                      "Failed parsing HTTPAdvertise http://h:port: invalid port \"port\" in "
                      "\"h:port\"");
}

TEST_CASE("RaftAdvertise that is not one of RaftNodes", "[config][validation]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_json(dir, "{" + raft_on +
                                         R"("RaftBind": "127.0.0.1:10001",
                              "RaftNodes": ["127.0.0.1:10002", "127.0.0.1:10003", "127.0.0.1:10004"]})"),
                      "RaftAdvertise 127.0.0.1:10001 (from RaftBind) is not one of RaftNodes "
                      "[127.0.0.1:10002, 127.0.0.1:10003, 127.0.0.1:10004]");
    // Set explicitly: no "(from RaftBind)".
    CHECK_THROWS_WITH(load_json(dir, "{" + raft_on +
                                         R"("RaftBind": "0.0.0.0:10001", "RaftAdvertise": "node1",
                              "RaftNodes": ["node2", "node3", "10.0.0.4"]})"),
                      "RaftAdvertise 10.0.0.1:10008 is not one of RaftNodes "
                      "[10.0.0.2:10008, 10.0.0.3:10008, 10.0.0.4:10008]");
    // A single entry that is not this node is not single-node mode.
    CHECK_THROWS_WITH(load_json(dir, "{" + raft_on + R"("RaftNodes": ["node1"]})"),
                      "RaftAdvertise 127.0.0.1:10008 (from RaftBind) is not one of RaftNodes "
                      "[10.0.0.1:10008]");
}

TEST_CASE("membership is decided on normalized forms", "[config][validation]") {
    TempDir dir;
    const LoadResult r = load_json(
        dir, "{" + raft_on +
                 R"("RaftBind": "node2", "RaftNodes": ["10.0.0.1", "node2:10008", "node3"]})");
    CHECK(r.config.raft_self.id == "10.0.0.2:10008");
    CHECK(r.config.raft_self.configured == "node2");
    REQUIRE(r.config.raft_members.size() == 3);
    CHECK(r.config.raft_members[0].id == "10.0.0.1:10008");
    CHECK(r.config.raft_members[1].id == "10.0.0.2:10008");
    CHECK(r.config.raft_members[1].configured == "node2:10008");
    CHECK(r.config.raft_members[2].id == "10.0.0.3:10008");
    CHECK_FALSE(r.config.single_node());
    CHECK(r.warnings.empty());
}

TEST_CASE("single-node mode", "[config][validation]") {
    TempDir dir;
    CHECK(load_json(dir, "{" + raft_on + R"("RaftNodes": []})").config.single_node());
    CHECK(load_json(dir, "{" + raft_on + R"("RaftBind": "node1", "RaftNodes": ["10.0.0.1:10008"]})")
              .config.single_node());
    CHECK(load_json(dir, "{" + raft_on +
                             R"("RaftBind": "0.0.0.0:10008", "RaftAdvertise": "node1",
                                "RaftNodes": ["node1"]})")
              .config.single_node());
}

TEST_CASE("duplicate RaftNodes entries are an error", "[config][validation]") {
    TempDir dir;
    CHECK_THROWS_WITH(
        load_json(dir,
                  "{" + raft_on +
                      R"("RaftBind": "node1", "RaftNodes": ["node1", "node2", "10.0.0.1:10008"]})"),
        "RaftNodes lists 10.0.0.1:10008 more than once: \"node1\", \"10.0.0.1:10008\"");
    CHECK_THROWS_WITH(
        load_json(dir, "{" + raft_on + R"("RaftBind": "node1", "RaftNodes": ["node1", "node1"]})"),
        "RaftNodes lists 10.0.0.1:10008 more than once: \"node1\", \"node1\"");
}

TEST_CASE("an even-sized cluster is a warning", "[config][validation]") {
    TempDir dir;
    const LoadResult r = load_json(
        dir, "{" + raft_on +
                 R"("RaftBind": "node1", "RaftNodes": ["node1", "node2", "node3", "10.0.0.4"]})");
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] ==
          "RaftNodes has 4 members: an even-sized cluster survives no more failures than one with "
          "3 members (3 or 5 members are recommended)");
    CHECK(load_json(dir, "{" + raft_on +
                             R"("RaftBind": "node1", "RaftNodes": ["node1", "node2", "node3"]})")
              .warnings.empty());
    CHECK(load_json(dir, "{" + raft_on + R"("RaftBind": "node1", "RaftNodes": ["node1", "node2"]})")
              .warnings.size() == 1);
}

TEST_CASE("DefaultRaftPort 0 adds no port, so every raft address needs one",
          "[config][validation]") {
    TempDir dir;
    const LoadResult r = load_json(dir, "{" + raft_on +
                                            R"("DefaultRaftPort": 0, "RaftBind": "127.0.0.1:7001",
                    "RaftNodes": ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"]})");
    CHECK(r.config.raft_self.id == "127.0.0.1:7001");
    CHECK_THROWS_WITH(load_json(dir, "{" + raft_on +
                                         R"("DefaultRaftPort": 0, "RaftBind": "127.0.0.1:7001",
                                            "RaftNodes": ["127.0.0.1:7001", "127.0.0.1"]})"),
                      "RaftNodes entry \"127.0.0.1\" has no port and DefaultRaftPort is 0: give "
                      "the port explicitly");
    CHECK_THROWS_WITH(
        load_json(dir, "{" + raft_on + R"("DefaultRaftPort": 0, "RaftBind": "127.0.0.1"})"),
        "RaftBind \"127.0.0.1\" has no port and DefaultRaftPort is 0: give "
        "the port explicitly");
}

TEST_CASE("DefaultRaftPort is applied to every raft address without a port",
          "[config][validation]") {
    TempDir dir;
    const LoadResult r = load_json(dir, "{" + raft_on +
                                            R"("DefaultRaftPort": 7000, "RaftBind": "127.0.0.1",
                    "RaftNodes": ["127.0.0.1", "127.0.0.2:7001", "127.0.0.3"]})");
    CHECK(r.config.raft_bind_address.id == "127.0.0.1:7000");
    CHECK(r.config.raft_members[1].id == "127.0.0.2:7001");
    CHECK(r.config.raft_members[2].id == "127.0.0.3:7000");
}

TEST_CASE("unparseable raft addresses name the key", "[config][validation]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_json(dir, "{" + raft_on + R"("RaftBind": "127.0.0.1:x"})"),
                      "RaftBind \"127.0.0.1:x\" is not a valid address: invalid port \"x\" in "
                      "\"127.0.0.1:x\"");
    CHECK_THROWS_WITH(
        load_json(dir, "{" + raft_on + R"("RaftNodes": ["127.0.0.1:10008", "[::1"]})"),
        "RaftNodes entry \"[::1\" is not a valid address: missing ']' in address "
        "\"[::1\"");
    CHECK_THROWS_WITH(load_json(dir, "{" + raft_on + R"("RaftAdvertise": "10.0.0.1:0"})"),
                      "RaftAdvertise \"10.0.0.1:0\" is not a valid address: port 0 in "
                      "\"10.0.0.1:0\" cannot be a raft port");
}

TEST_CASE("an unspecified advertise address is refused", "[config][validation]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_json(dir, "{" + raft_on + R"("RaftBind": "0.0.0.0:10008"})"),
                      "RaftAdvertise (from RaftBind) \"0.0.0.0:10008\" is not advertisable (it "
                      "means every interface): set RaftAdvertise to the address the other nodes "
                      "reach this node at");
    CHECK_THROWS_WITH(load_json(dir, "{" + raft_on + R"("RaftBind": ":10008"})"),
                      "RaftAdvertise (from RaftBind) \":10008\" is not advertisable (it means "
                      "every interface): set RaftAdvertise to the address the other nodes reach "
                      "this node at");
    CHECK_THROWS_WITH(load_json(dir, "{" + raft_on + R"("RaftAdvertise": "[::]:1"})"),
                      "RaftAdvertise \"[::]:1\" is not advertisable (it means every interface): "
                      "set RaftAdvertise to the address the other nodes reach this node at");
    // Binding every interface is fine when the advertise address is real.
    CHECK(load_json(dir, "{" + raft_on + R"("RaftBind": ":10008", "RaftAdvertise": "node1"})")
              .config.raft_bind_address.id == ":10008");
}

TEST_CASE("an unresolvable name is kept as written, with a warning", "[config][validation]") {
    TempDir dir;
    const LoadResult r = load_json(
        dir, "{" + raft_on +
                 R"("RaftBind": "node1", "RaftNodes": ["node1", "node2", "late-dns:7000"]})");
    REQUIRE(r.config.raft_members.size() == 3);
    CHECK(r.config.raft_members[2].id == "late-dns:7000");
    CHECK_FALSE(r.config.raft_members[2].resolved);
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] ==
          "Cannot resolve raft address late-dns:7000: Name or service not known; using the name "
          "as given");
}

TEST_CASE("AuthenticationMethod other than none, basic or multi", "[config][validation]") {
    TempDir dir;
    CHECK_NOTHROW(load_json(dir, R"({"AuthenticationMethod": "basic"})"));
    CHECK_NOTHROW(load_json(dir, R"({"AuthenticationMethod": "multi"})"));
    CHECK_THROWS_WITH(load_json(dir, R"({"AuthenticationMethod": "proxy"})"),
                      "AuthenticationMethod \"proxy\" is not supported: use \"\" (none), "
                      "\"basic\" or \"multi\"");
}

TEST_CASE("ListenAddress that cannot be parsed", "[config][validation]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_json(dir, R"({"ListenAddress": "3000"})"),
                      "ListenAddress \"3000\" cannot be parsed: no port in \"3000\"; expected "
                      "host:port, :port or [v6]:port");
    CHECK_THROWS_WITH(load_json(dir, R"({"ListenAddress": ":99999"})"),
                      "ListenAddress \":99999\" cannot be parsed: port 99999 is out of range "
                      "0..65535 in \":99999\"");
    CHECK_THROWS_WITH(load_json(dir, R"({"ListenAddress": ""})"),
                      "ListenAddress \"\" cannot be parsed: empty address");
}

TEST_CASE("our own checks: BackendDB, StatusEndpoint, UseSSL, LogLevel", "[config][validation]") {
    TempDir dir;
    CHECK_THROWS_WITH(load_json(dir, R"({"BackendDB": "postgres"})"),
                      "BackendDB \"postgres\" is not supported: use \"mysql\" or \"sqlite\"");
    CHECK_THROWS_WITH(load_json(dir, R"({"StatusEndpoint": "api/status"})"),
                      "StatusEndpoint \"api/status\" must be a path starting with '/'");
    CHECK_THROWS_WITH(load_json(dir, R"({"UseSSL": true, "SSLCertFile": "c.pem"})"),
                      "UseSSL requires SSLCertFile and SSLPrivateKeyFile");
    CHECK_THROWS_WITH(load_json(dir, R"({"LogLevel": "verbose"})"),
                      "LogLevel \"verbose\" is not one of trace, debug, info, warn, error, "
                      "critical, off");
}

TEST_CASE("the checks run on the merged files, not on each file", "[config][validation]") {
    TempDir dir;
    const auto a = dir.write("a.json", R"({"BackendDB": "sqlite"})");
    const auto b = dir.write("b.json", R"({"SQLite3DataFile": "/tmp/x.db"})");
    LoadOptions o = isolated_options();
    o.search_paths = {a, b};
    CHECK(load_config(o).config.sqlite3_data_file == "/tmp/x.db");
    // RaftAdvertise follows the final RaftBind.
    const auto c = dir.write("c.json", R"({"RaftBind": "10.1.1.1:1"})");
    const auto d = dir.write("d.json", R"({"RaftBind": "10.2.2.2:2"})");
    o.search_paths = {c, d};
    CHECK(load_config(o).config.raft_advertise == "10.2.2.2:2");
}

TEST_CASE("leader URL from the configuration", "[config]") {
    TempDir dir;
    CHECK(load_json(dir, "{" + raft_on + R"("RaftBind": "node1", "ListenAddress": ":3000"})")
              .config.leader_url() == "http://node1:3000");
    CHECK(load_json(dir, "{" + raft_on +
                             R"("RaftBind": "0.0.0.0:1", "RaftAdvertise": "node1:10008",
                                "ListenAddress": "127.0.0.1:3002", "UseSSL": true,
                                "SSLCertFile": "c", "SSLPrivateKeyFile": "k"})")
              .config.leader_url() == "https://node1:3002");
    CHECK(load_json(dir, "{" + raft_on +
                             R"("RaftBind": "node1", "HTTPAdvertise": "http://public.example:80"})")
              .config.leader_url() == "http://public.example:80");
    CHECK(load_json(dir, "{" + raft_on +
                             R"("RaftBind": "[fd00::5]:10008", "ListenAddress": "[::]:3000"})")
              .config.leader_url() == "http://[fd00::5]:3000");
    CHECK(load_json(dir, R"({"ListenAddress": "127.0.0.1:3005"})").config.listen() ==
          HostPort{"127.0.0.1", 3005});
}

TEST_CASE("shared-backend tick must be at most half the lease", "[config][validation]") {
    TempDir dir;
    CHECK_NOTHROW(
        load_json(dir, R"({"SharedBackendLeaseSeconds": 2, "SharedBackendTickMillis": 1000})"));
    CHECK_THROWS_WITH(
        load_json(dir, R"({"SharedBackendLeaseSeconds": 3, "SharedBackendTickMillis": 2000})"),
        "SharedBackendTickMillis (2000) must be at most half of SharedBackendLeaseSeconds (3 s)");
    // Not checked where shared-backend mode does not apply.
    CHECK_NOTHROW(load_json(dir, R"({"BackendDB": "sqlite", "SQLite3DataFile": "x",
                                     "SharedBackendLeaseSeconds": 3, "SharedBackendTickMillis": 2000})"));
}
