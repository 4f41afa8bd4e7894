// Every key's default, checked field by field against spec orchestrator-compat.md §1 and the
// documented orcraft keys.

#include <cctype>
#include <fstream>
#include <iterator>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "config_test_support.hpp"

using namespace orcraft::backend;
using namespace orcraft::backend::test;

namespace {

void check_defaults(const Config& c) {
    CHECK(c.raft_enabled == false);
    CHECK(c.raft_data_dir == "");
    CHECK(c.raft_bind == "127.0.0.1:10008");
    CHECK(c.default_raft_port == 10008);
    CHECK(c.raft_nodes.empty());
    CHECK(c.http_advertise == "");
    CHECK(c.backend_db == "mysql");
    CHECK(c.sqlite3_data_file == "");
    CHECK(c.mysql_host == "");
    CHECK(c.mysql_port == 3306);
    CHECK(c.mysql_database == "");
    CHECK(c.mysql_user == "");
    CHECK(c.mysql_password == "");
    CHECK(c.mysql_credentials_config_file == "");
    CHECK(c.mysql_max_pool_connections == 128);
    CHECK(c.mysql_connect_timeout_seconds == 2);
    CHECK(c.mysql_read_timeout_seconds == 30);
    CHECK(c.mysql_use_mutual_tls == false);
    CHECK(c.mysql_ssl_ca_file == "");
    CHECK(c.mysql_ssl_cert_file == "");
    CHECK(c.mysql_ssl_private_key_file == "");
    CHECK(c.mysql_ssl_skip_verify == false);
    CHECK(c.listen_address == ":3000");
    CHECK(c.url_prefix == "");
    CHECK(c.authentication_method == "");
    CHECK(c.http_auth_user == "");
    CHECK(c.http_auth_password == "");
    CHECK(c.read_only == false);
    CHECK(c.status_endpoint == "/api/status");
    CHECK(c.use_ssl == false);
    CHECK(c.ssl_cert_file == "");
    CHECK(c.ssl_private_key_file == "");
    CHECK(c.http_max_body_bytes == 64 * 1024 * 1024);
    CHECK(c.http_header_timeout_seconds == 10);
    CHECK(c.http_body_timeout_seconds == 30);
    CHECK(c.http_idle_timeout_seconds == 60);
    CHECK(c.sqlite_read_connections == 4);
    CHECK(c.sqlite_busy_timeout_millis == 5000);
    CHECK(c.log_level == "info");
    CHECK(c.shared_backend_lease_seconds == 5);
    CHECK(c.shared_backend_tick_millis == 1000);
}

}  // namespace

TEST_CASE("a default-constructed Config holds every documented default", "[config][defaults]") {
    Config c;
    check_defaults(c);
    CHECK(c.raft_advertise == "");
    CHECK_FALSE(c.is_sqlite());
    CHECK(c.single_node());
}

TEST_CASE("loading with no file at all gives the defaults, RaftAdvertise copied from RaftBind",
          "[config][defaults]") {
    const LoadResult r = load_config(isolated_options());
    CHECK(r.files.empty());
    CHECK(r.warnings.empty());
    check_defaults(r.config);
    CHECK(r.config.raft_advertise == "127.0.0.1:10008");
    CHECK(r.config.raft_advertise_from_bind);
}

TEST_CASE("an empty JSON object gives the defaults", "[config][defaults]") {
    TempDir dir;
    const LoadResult r = load_json(dir, "{}");
    check_defaults(r.config);
    CHECK(r.warnings.empty());
}

TEST_CASE("config_to_json lists every key with orchestrator's names and hides passwords",
          "[config][defaults]") {
    Config c;
    c.mysql_password = "secret";
    const auto j = config_to_json(c);
    CHECK(j.size() == config_key_names().size());
    CHECK(j.at("DefaultRaftPort") == 10008);
    CHECK(j.at("RaftNodes") == nlohmann::json::array());
    CHECK(j.at("HTTPMaxBodyBytes") == 67108864);
    CHECK(j.at("MySQLOrchestratorPassword") == "****");
    CHECK(j.at("HTTPAuthPassword") == "");
    for (const auto& key : {"RaftEnabled",
                            "RaftDataDir",
                            "RaftBind",
                            "RaftAdvertise",
                            "DefaultRaftPort",
                            "RaftNodes",
                            "HTTPAdvertise",
                            "BackendDB",
                            "SQLite3DataFile",
                            "MySQLOrchestratorHost",
                            "MySQLOrchestratorPort",
                            "MySQLOrchestratorDatabase",
                            "MySQLOrchestratorUser",
                            "MySQLOrchestratorPassword",
                            "MySQLOrchestratorCredentialsConfigFile",
                            "MySQLOrchestratorMaxPoolConnections",
                            "MySQLConnectTimeoutSeconds",
                            "MySQLOrchestratorReadTimeoutSeconds",
                            "MySQLOrchestratorUseMutualTLS",
                            "MySQLOrchestratorSSLCAFile",
                            "MySQLOrchestratorSSLCertFile",
                            "MySQLOrchestratorSSLPrivateKeyFile",
                            "MySQLOrchestratorSSLSkipVerify",
                            "ListenAddress",
                            "URLPrefix",
                            "AuthenticationMethod",
                            "HTTPAuthUser",
                            "HTTPAuthPassword",
                            "ReadOnly",
                            "StatusEndpoint",
                            "UseSSL",
                            "SSLCertFile",
                            "SSLPrivateKeyFile",
                            "HTTPMaxBodyBytes",
                            "HTTPHeaderTimeoutSeconds",
                            "HTTPBodyTimeoutSeconds",
                            "HTTPIdleTimeoutSeconds",
                            "SQLiteReadConnections",
                            "SQLiteBusyTimeoutMillis",
                            "LogLevel"}) {
        CHECK(j.contains(key));
    }
}

TEST_CASE("every key can be set from JSON", "[config]") {
    TempDir dir;
    const LoadResult r = load_json(dir, R"({
        "RaftEnabled": true, "RaftDataDir": "/var/lib/orcraft", "RaftBind": "10.0.0.1:7000",
        "RaftAdvertise": "10.0.0.1:7000", "DefaultRaftPort": 7000,
        "RaftNodes": ["10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"],
        "HTTPAdvertise": "http://10.0.0.1:3001", "BackendDB": "sqlite3",
        "SQLite3DataFile": "/var/lib/orcraft/db.sqlite3", "MySQLOrchestratorHost": "db",
        "MySQLOrchestratorPort": 3307, "MySQLOrchestratorDatabase": "orc",
        "MySQLOrchestratorUser": "u", "MySQLOrchestratorPassword": "p",
        "MySQLOrchestratorMaxPoolConnections": 7, "MySQLConnectTimeoutSeconds": 3,
        "MySQLOrchestratorReadTimeoutSeconds": 4, "MySQLOrchestratorUseMutualTLS": true,
        "MySQLOrchestratorSSLCAFile": "ca", "MySQLOrchestratorSSLCertFile": "cert",
        "MySQLOrchestratorSSLPrivateKeyFile": "key", "MySQLOrchestratorSSLSkipVerify": true,
        "ListenAddress": "127.0.0.1:3001", "URLPrefix": "orc/", "AuthenticationMethod": "multi",
        "HTTPAuthUser": "admin", "HTTPAuthPassword": "pw", "ReadOnly": true,
        "StatusEndpoint": "/my/status", "UseSSL": true, "SSLCertFile": "c.pem",
        "SSLPrivateKeyFile": "k.pem", "HTTPMaxBodyBytes": 1024, "HTTPHeaderTimeoutSeconds": 5,
        "HTTPBodyTimeoutSeconds": 6, "HTTPIdleTimeoutSeconds": 7, "SQLiteReadConnections": 2,
        "SQLiteBusyTimeoutMillis": 100, "LogLevel": "debug"
    })");
    const Config& c = r.config;
    CHECK(r.warnings.empty());
    CHECK(c.raft_enabled);
    CHECK(c.raft_data_dir == "/var/lib/orcraft");
    CHECK(c.raft_bind == "10.0.0.1:7000");
    CHECK(c.raft_advertise == "10.0.0.1:7000");
    CHECK_FALSE(c.raft_advertise_from_bind);
    CHECK(c.default_raft_port == 7000);
    CHECK(c.raft_nodes.size() == 3);
    CHECK(c.http_advertise == "http://10.0.0.1:3001");
    CHECK(c.is_sqlite());
    CHECK(c.sqlite3_data_file == "/var/lib/orcraft/db.sqlite3");
    CHECK(c.mysql_host == "db");
    CHECK(c.mysql_port == 3307);
    CHECK(c.mysql_database == "orc");
    CHECK(c.mysql_user == "u");
    CHECK(c.mysql_password == "p");
    CHECK(c.mysql_max_pool_connections == 7);
    CHECK(c.mysql_connect_timeout_seconds == 3);
    CHECK(c.mysql_read_timeout_seconds == 4);
    CHECK(c.mysql_use_mutual_tls);
    CHECK(c.mysql_ssl_ca_file == "ca");
    CHECK(c.mysql_ssl_cert_file == "cert");
    CHECK(c.mysql_ssl_private_key_file == "key");
    CHECK(c.mysql_ssl_skip_verify);
    CHECK(c.listen_address == "127.0.0.1:3001");
    CHECK(c.url_prefix == "/orc");
    CHECK(c.authentication_method == "multi");
    CHECK(c.http_auth_user == "admin");
    CHECK(c.http_auth_password == "pw");
    CHECK(c.read_only);
    CHECK(c.status_endpoint == "/my/status");
    CHECK(c.use_ssl);
    CHECK(c.ssl_cert_file == "c.pem");
    CHECK(c.ssl_private_key_file == "k.pem");
    CHECK(c.http_max_body_bytes == 1024);
    CHECK(c.http_header_timeout_seconds == 5);
    CHECK(c.http_body_timeout_seconds == 6);
    CHECK(c.http_idle_timeout_seconds == 7);
    CHECK(c.sqlite_read_connections == 2);
    CHECK(c.sqlite_busy_timeout_millis == 100);
    CHECK(c.log_level == "debug");
    CHECK(c.raft_self.id == "10.0.0.1:7000");
    CHECK_FALSE(c.single_node());
    CHECK(c.leader_url() == "http://10.0.0.1:3001");
}

TEST_CASE("key names are unique, even ignoring case", "[config][defaults]") {
    std::set<std::string> seen;
    for (auto name : config_key_names()) {
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        CHECK(seen.insert(name).second);
    }
}

TEST_CASE("docs/configuration.md documents every key", "[config][defaults]") {
    std::ifstream in(ORCRAFT_CONFIG_DOC);
    REQUIRE(in);
    const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const auto& name : config_key_names()) {
        INFO(name);
        CHECK(doc.find("| `" + name + "` |") != std::string::npos);
    }
}
