#include "embed_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace orcraft::tests::embed {

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "orcraft-embed-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
}

std::uint16_t free_port(const std::string& host) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port on " + host);
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

fs::path write_config(const fs::path& file, const nlohmann::json& config) {
    std::ofstream(file) << config.dump(2) << "\n";
    return file;
}

fs::path standalone_config(const fs::path& dir) {
    return write_config(dir / "standalone.conf.json",
                        {{"BackendDB", "sqlite"},
                         {"SQLite3DataFile", (dir / "standalone.db").string()},
                         {"RaftEnabled", false},
                         {"ListenAddress", "127.0.0.1:" + std::to_string(free_port("127.0.0.1"))}});
}

std::vector<fs::path> cluster_configs(const fs::path& dir, int n) {
    std::vector<std::string> members;
    for (int i = 0; i < n; ++i) {
        const std::string ip = "127.0.0." + std::to_string(i + 1);
        members.push_back(ip + ":" + std::to_string(free_port(ip)));
    }
    std::vector<fs::path> files;
    for (int i = 0; i < n; ++i) {
        const std::string ip = "127.0.0." + std::to_string(i + 1);
        const fs::path node_dir = dir / ("node" + std::to_string(i));
        fs::create_directories(node_dir);
        files.push_back(
            write_config(node_dir / "orchestrator.conf.json",
                         {{"BackendDB", "sqlite"},
                          {"SQLite3DataFile", (node_dir / "data.db").string()},
                          {"RaftEnabled", true},
                          {"RaftDataDir", (node_dir / "raft").string()},
                          {"RaftBind", members[static_cast<std::size_t>(i)]},
                          {"RaftNodes", members},
                          {"RaftElectionTimeoutMillis", 300},
                          {"RaftHeartbeatIntervalMillis", 30},
                          {"ListenAddress", ip + ":" + std::to_string(free_port(ip))}}));
    }
    return files;
}

orcraft::embed::Node* agreed_leader(
    const std::vector<std::unique_ptr<orcraft::embed::Node>>& nodes) {
    orcraft::embed::Node* leader = nullptr;
    std::string identity;
    for (const auto& node : nodes) {
        const auto s = node->status();
        if (s.running && s.is_leader) {
            leader = node.get();
            identity = s.self;
        }
    }
    if (!leader) return nullptr;
    for (const auto& node : nodes) {
        const auto s = node->status();
        if (s.running && s.leader != identity) return nullptr;
    }
    return leader;
}

}  // namespace orcraft::tests::embed
