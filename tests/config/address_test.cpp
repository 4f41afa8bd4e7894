// Address parsing and normalization: host/port splitting, raft identities, ListenAddress and the
// leader URL heuristic.

#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace orcraft::backend;
using namespace orcraft::backend::test;

TEST_CASE("split_host_port accepts host, host:port, :port and [v6]:port", "[address]") {
    CHECK(split_host_port("10.0.0.1") == HostPort{"10.0.0.1", std::nullopt});
    CHECK(split_host_port("10.0.0.1:10008") == HostPort{"10.0.0.1", 10008});
    CHECK(split_host_port("node1.example.com:1") == HostPort{"node1.example.com", 1});
    CHECK(split_host_port(":3000") == HostPort{"", 3000});
    CHECK(split_host_port("[::1]:3000") == HostPort{"::1", 3000});
    CHECK(split_host_port("[fd00::5]") == HostPort{"fd00::5", std::nullopt});
    CHECK(split_host_port("::1") == HostPort{"::1", std::nullopt});
    CHECK(split_host_port("fd00::5") == HostPort{"fd00::5", std::nullopt});
    CHECK(split_host_port("h:0") == HostPort{"h", 0});
    CHECK(split_host_port("h:65535") == HostPort{"h", 65535});
}

TEST_CASE("split_host_port refuses malformed addresses", "[address]") {
    CHECK_THROWS_WITH(split_host_port(""), "empty address");
    CHECK_THROWS_WITH(split_host_port("h:"), "missing port after ':' in \"h:\"");
    CHECK_THROWS_WITH(split_host_port("h:65536"),
                      "port 65536 is out of range 0..65535 in \"h:65536\"");
    CHECK_THROWS_WITH(split_host_port("h:-1"), "invalid port \"-1\" in \"h:-1\"");
    CHECK_THROWS_WITH(split_host_port("h:1x"), "invalid port \"1x\" in \"h:1x\"");
    CHECK_THROWS_WITH(split_host_port("h:1234567"), "invalid port \"1234567\" in \"h:1234567\"");
    CHECK_THROWS_WITH(split_host_port("[::1"), "missing ']' in address \"[::1\"");
    CHECK_THROWS_WITH(split_host_port("[::1]x"), "unexpected text after ']' in address \"[::1]x\"");
    CHECK_THROWS_WITH(split_host_port("[node1]:1"),
                      "\"node1\" between brackets is not an IPv6 address");
    CHECK_THROWS_WITH(split_host_port("::1:x:2"),
                      "address \"::1:x:2\" has several ':'; write an IPv6 address with a port as "
                      "[v6]:port");
    CHECK_THROWS_WITH(split_host_port("a b:1"), "address \"a b:1\" contains whitespace");
    CHECK_THROWS_AS(split_host_port("h]:1"), AddressError);
}

TEST_CASE("join_host_port brackets IPv6", "[address]") {
    CHECK(join_host_port("10.0.0.1", 1) == "10.0.0.1:1");
    CHECK(join_host_port("::1", 1) == "[::1]:1");
    CHECK(join_host_port("h", std::nullopt) == "h");
    CHECK(join_host_port("", 3000) == ":3000");
}

TEST_CASE("IP literal and unspecified address detection", "[address]") {
    CHECK(is_ip_literal("10.0.0.1"));
    CHECK(is_ip_literal("::1"));
    CHECK_FALSE(is_ip_literal("node1"));
    CHECK_FALSE(is_ip_literal(""));
    CHECK(is_unspecified_ip("0.0.0.0"));
    CHECK(is_unspecified_ip("::"));
    CHECK_FALSE(is_unspecified_ip("127.0.0.1"));
    CHECK_FALSE(is_unspecified_ip("node1"));
}

TEST_CASE("normalize_raft_address", "[address]") {
    const auto resolver = isolated_options().resolver;
    std::vector<std::string> warnings;
    auto norm = [&](const std::string& s, int port = 10008) {
        return normalize_raft_address(s, port, resolver, warnings);
    };
    CHECK(norm("10.0.0.9").id == "10.0.0.9:10008");
    CHECK(norm("10.0.0.9:7000").id == "10.0.0.9:7000");
    CHECK(norm("node1").id == "10.0.0.1:10008");
    CHECK(norm("node2:7000").id == "10.0.0.2:7000");  // the first IP
    CHECK(norm("v6node").id == "[fd00::5]:10008");
    CHECK(norm("[::1]").id == "[::1]:10008");
    CHECK(norm("[::1]:7000").id == "[::1]:7000");
    CHECK(norm("10.0.0.9", 0).id == "10.0.0.9");  // DefaultRaftPort 0 adds none
    CHECK(norm(":7000").id == ":7000");
    const RaftAddress a = norm("node1:7000");
    CHECK(a.configured == "node1:7000");
    CHECK(a.address == HostPort{"node1", 7000});
    CHECK(a.resolved);
    CHECK(warnings.empty());

    const RaftAddress unresolved = norm("nowhere");
    CHECK(unresolved.id == "nowhere:10008");
    CHECK_FALSE(unresolved.resolved);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0] ==
          "Cannot resolve raft address nowhere: Name or service not known; using the name as "
          "given");

    CHECK_THROWS_WITH(norm("h:0"), "port 0 in \"h:0\" cannot be a raft port");
}

TEST_CASE("a name that resolves to no IP is an error", "[address]") {
    std::vector<std::string> warnings;
    const Resolver empty = [](const std::string&) { return Resolution{}; };
    CHECK_THROWS_WITH(normalize_raft_address("ghost", 1, empty, warnings),
                      "ghost resolved but no IP found");
}

TEST_CASE("IP literals are never given to the resolver", "[address]") {
    std::vector<std::string> warnings;
    int calls = 0;
    const Resolver counting = [&](const std::string&) {
        ++calls;
        return Resolution{{"10.9.9.9"}, ""};
    };
    normalize_raft_address("10.0.0.1:1", 1, counting, warnings);
    normalize_raft_address("[::1]:1", 1, counting, warnings);
    normalize_raft_address(":1", 1, counting, warnings);
    CHECK(calls == 0);
    CHECK(normalize_raft_address("name:1", 1, counting, warnings).id == "10.9.9.9:1");
    CHECK(calls == 1);
}

TEST_CASE("the system resolver resolves localhost and fails on an invalid name", "[address]") {
    const Resolver system = system_resolver();
    const Resolution local = system("localhost");
    REQUIRE(local.error.empty());
    REQUIRE_FALSE(local.ips.empty());
    CHECK((local.ips.front() == "127.0.0.1" || local.ips.front() == "::1"));
    const Resolution bad = system("no-such-host.invalid");
    CHECK_FALSE(bad.error.empty());
    CHECK(bad.ips.empty());
}

TEST_CASE("parse_listen_address", "[address]") {
    CHECK(parse_listen_address(":3000") == HostPort{"", 3000});
    CHECK(parse_listen_address("127.0.0.1:3000") == HostPort{"127.0.0.1", 3000});
    CHECK(parse_listen_address("[::1]:3000") == HostPort{"::1", 3000});
    CHECK(parse_listen_address("localhost:8080") == HostPort{"localhost", 8080});
    CHECK(parse_listen_address(":0") == HostPort{"", 0});
    CHECK_THROWS_WITH(parse_listen_address("3000"),
                      "no port in \"3000\"; expected host:port, :port or [v6]:port");
    CHECK_THROWS_AS(parse_listen_address("[::1]"), AddressError);
    CHECK_THROWS_AS(parse_listen_address("h:http"), AddressError);
}

TEST_CASE("leader_http_url", "[address]") {
    CHECK(leader_http_url("http://public:80", false, "10.0.0.1:10008", ":3000") ==
          "http://public:80");
    CHECK(leader_http_url("", false, "10.0.0.1:10008", ":3000") == "http://10.0.0.1:3000");
    CHECK(leader_http_url("", true, "10.0.0.1:10008", ":3000") == "https://10.0.0.1:3000");
    CHECK(leader_http_url("", false, "node1", "0.0.0.0:3001") == "http://node1:3001");
    CHECK(leader_http_url("", false, "[fd00::5]:10008", "[::1]:3002") == "http://[fd00::5]:3002");
    CHECK_THROWS_AS(leader_http_url("", false, "node1", "3000"), AddressError);
}
