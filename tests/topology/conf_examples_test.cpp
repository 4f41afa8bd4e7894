// The example configurations (conf/) and the container configurations (docker/conf/) load
// without errors or warnings, and each set of three describes one consistent cluster: the same
// members everywhere, each node one of them, distinct identities and leader URLs, and, for the
// sets that run on one machine, distinct listen addresses and data.

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>

#include "backend/config.hpp"

namespace fs = std::filesystem;
using orcraft::backend::Config;
using orcraft::backend::LoadOptions;
using orcraft::backend::Resolution;

namespace {

const fs::path kRoot = ORCRAFT_SOURCE_DIR;

// The container network of docker-compose.yml (and of the network-namespace topology test).
const std::map<std::string, std::string> kContainerHosts = {
    {"node1", "172.30.89.11"},
    {"node2", "172.30.89.12"},
    {"node3", "172.30.89.13"},
    {"mariadb", "172.30.89.10"},
};

Config load(const fs::path& file) {
    LoadOptions options;
    options.config_file = file.string();
    options.search_paths = {};
    options.env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "ORCRAFT_DB_PASSWORD") return "secret";
        return std::nullopt;
    };
    options.resolver = [](const std::string& host) {
        Resolution r;
        if (auto it = kContainerHosts.find(host); it != kContainerHosts.end()) {
            r.ips.push_back(it->second);
        } else {
            r.error = "unknown host in this test";
        }
        return r;
    };
    auto result = orcraft::backend::load_config(options);
    INFO(file.string());
    CHECK(result.warnings == std::vector<std::string>{});
    return result.config;
}

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().string().ends_with(".conf.json")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

// Checks one set of node configurations. `one_machine`: the nodes share a filesystem and a
// network, so their addresses and data must all differ.
void check_cluster(const fs::path& dir, bool one_machine) {
    INFO("set " << dir.string());
    const auto files = files_in(dir);
    REQUIRE(files.size() == 3);
    std::set<std::string> identities, leader_urls, listens, data;
    std::vector<std::string> first_members;
    for (const auto& file : files) {
        INFO(file.string());
        const Config c = load(file);
        CHECK(c.raft_enabled);
        CHECK_FALSE(c.single_node());
        std::vector<std::string> members;
        for (const auto& m : c.raft_members)
            members.push_back(m.id);
        if (first_members.empty()) first_members = members;
        CHECK(members == first_members);
        CHECK(std::find(members.begin(), members.end(), c.raft_self.id) != members.end());
        identities.insert(c.raft_self.id);
        leader_urls.insert(c.leader_url());
        listens.insert(c.listen_address);
        data.insert(c.raft_data_dir);
        data.insert(c.is_sqlite() ? c.sqlite3_data_file : c.mysql_host + "/" + c.mysql_database);
    }
    CHECK(first_members.size() == 3);
    CHECK(identities.size() == 3);
    CHECK(leader_urls.size() == 3);
    if (one_machine) {
        CHECK(listens.size() == 3);
        CHECK(data.size() == 6);
    }
}

}  // namespace

TEST_CASE("the single-node example is a standalone node", "[topology]") {
    const Config c = load(kRoot / "conf/single-node.conf.json");
    CHECK_FALSE(c.raft_enabled);
    CHECK(c.is_sqlite());
}

TEST_CASE("the loopback cluster examples are consistent", "[topology]") {
    for (const char* set : {"conf/sqlite-3", "conf/mysql-3", "conf/mixed-3"})
        check_cluster(kRoot / set, true);
    CHECK(load(kRoot / "conf/sqlite-3/node2.conf.json").leader_url() == "http://127.0.0.2:3000");
    CHECK(load(kRoot / "conf/mixed-3/node3.conf.json").mysql_database == "orcraft_mixed_node3");
}

TEST_CASE("the NAT example advertises public addresses", "[topology]") {
    check_cluster(kRoot / "conf/nat", false);
    const Config c = load(kRoot / "conf/nat/node3.conf.json");
    CHECK(c.raft_self.id == "192.0.2.1:20008");
    CHECK(c.raft_bind_address.id == "0.0.0.0:10008");
    CHECK(c.leader_url() == "http://192.0.2.1:8080");
}

TEST_CASE("the container configurations name the compose hosts", "[topology]") {
    check_cluster(kRoot / "docker/conf", false);
    const Config c = load(kRoot / "docker/conf/node3.conf.json");
    CHECK(c.raft_self.id == "172.30.89.13:10008");
    CHECK(c.leader_url() == "http://node3:3000");
    CHECK(c.mysql_host == "mariadb");
    CHECK_FALSE(c.is_sqlite());
    CHECK(load(kRoot / "docker/conf/node1.conf.json").is_sqlite());
}
