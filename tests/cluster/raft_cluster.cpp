#include "tests/cluster/raft_cluster.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <random>
#include <stdexcept>

#include "tests/polling.hpp"

namespace orcraft::tests {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

bool can_bind(const std::string& ip, std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// Two consecutive ports free on every node IP, below the ephemeral range (32768 and up) so
// that no connection of another test is given one of them meanwhile.
std::uint16_t pick_ports(std::size_t nodes) {
    std::random_device rd;
    for (int attempt = 0; attempt < 200; ++attempt) {
        const auto base = static_cast<std::uint16_t>(20000 + (rd() % 6000) * 2);
        bool ok = true;
        for (std::size_t i = 0; i < nodes && ok; ++i) {
            const std::string ip = "127.0.0." + std::to_string(i + 1);
            ok = can_bind(ip, base) && can_bind(ip, static_cast<std::uint16_t>(base + 1));
        }
        if (ok) return base;
    }
    throw std::runtime_error("no free pair of ports for the cluster");
}

}  // namespace

std::vector<Backend> three(const std::string& kind) {
    if (kind == "sqlite") return {Backend::Sqlite, Backend::Sqlite, Backend::Sqlite};
    if (kind == "mysql") return {Backend::Mysql, Backend::Mysql, Backend::Mysql};
    return {Backend::Sqlite, Backend::Mysql, Backend::Sqlite};
}

void finish_cleanly(RaftCluster& cluster) {
    const auto invalid = cluster.invalid_answers();
    for (const auto& a : invalid)
        UNSCOPED_INFO("not JSON: " << a);
    CHECK(invalid.empty());
    const auto problems = cluster.stop_all();
    for (const auto& p : problems)
        UNSCOPED_INFO(p);
    CHECK(problems.empty());
}

const TestMariadb* test_mariadb() {
    if (std::getenv("ORCRAFT_TEST_SKIP_MYSQL")) return nullptr;
    static std::unique_ptr<TestMariadb> db = TestMariadb::shared_or_private();
    return db.get();
}

RaftCluster::RaftCluster(std::vector<Backend> backends, const TestMariadb* db, json extra,
                         std::size_t initial)
    : backends_(std::move(backends)), db_(db) {
    http_port_ = pick_ports(backends_.size());
    raft_port_ = static_cast<std::uint16_t>(http_port_ + 1);
    if (initial == 0) initial = backends_.size();
    json members = json::array(), everyone = json::array();
    for (std::size_t i = 0; i < backends_.size(); ++i) {
        if (i < initial) members.push_back(identity(i));
        everyone.push_back(identity(i));
    }
    for (std::size_t i = 0; i < backends_.size(); ++i) {
        dirs_.push_back(std::make_unique<TempDir>());
        const auto& dir = dirs_.back()->path();
        json config = {
            {"RaftEnabled", true},
            {"RaftDataDir", (dir / "raft").string()},
            {"RaftBind", identity(i)},
            {"RaftNodes", i < initial ? members : everyone},
            {"RaftJoin", i >= initial},
            {"DefaultRaftPort", raft_port_},
            {"ListenAddress", ip(i) + ":" + std::to_string(http_port_)},
            {"LogLevel", "debug"},
        };
        if (backends_[i] == Backend::Sqlite) {
            config["BackendDB"] = "sqlite";
            config["SQLite3DataFile"] = (dir / "data.db").string();
            databases_.emplace_back();
        } else {
            if (!db_) throw std::logic_error("a MySQL node needs a test MariaDB");
            databases_.push_back(TestMariadb::unique_database("orc_raft" + std::to_string(i)));
            config["BackendDB"] = "mysql";
            config["MySQLOrchestratorHost"] = db_->host;
            config["MySQLOrchestratorPort"] = db_->port;
            config["MySQLOrchestratorUser"] = db_->user;
            config["MySQLOrchestratorPassword"] = db_->password;
            config["MySQLOrchestratorDatabase"] = databases_.back();
        }
        config.update(extra);
        nodes_.push_back(std::make_unique<NodeProcess>(dir, config));
    }
}

RaftCluster::~RaftCluster() {
    for (auto& n : nodes_) {
        if (n->running()) n->signal(SIGKILL);
    }
    nodes_.clear();
    for (const auto& name : databases_)
        if (!name.empty() && db_) db_->drop_database(name);
}

std::string RaftCluster::ip(std::size_t i) const {
    return "127.0.0." + std::to_string(i + 1);
}

std::string RaftCluster::identity(std::size_t i) const {
    return ip(i) + ":" + std::to_string(raft_port_);
}

void RaftCluster::start_all() {
    for (std::size_t i = 0; i < nodes_.size(); ++i)
        start(i);
}

void RaftCluster::start(std::size_t i) {
    nodes_[i]->start();
}

void RaftCluster::kill9(std::size_t i) {
    nodes_[i]->signal(SIGKILL);
    nodes_[i]->wait_exit(10s);
}

int RaftCluster::terminate(std::size_t i) {
    nodes_[i]->signal(SIGTERM);
    return nodes_[i]->wait_exit(20s);
}

void RaftCluster::wipe(std::size_t i) {
    if (nodes_[i]->running()) throw std::logic_error("wipe a stopped node only");
    const auto& dir = dirs_[i]->path();
    fs::remove_all(dir / "raft");
    for (const char* f : {"data.db", "data.db-wal", "data.db-shm"})
        fs::remove(dir / f);
    if (!databases_[i].empty()) db_->drop_database(databases_[i]);
}

std::vector<std::string> RaftCluster::stop_all() {
    std::vector<std::string> problems;
    for (std::size_t i = 0; i < size(); ++i) {
        if (running(i)) nodes_[i]->signal(SIGTERM);
    }
    for (std::size_t i = 0; i < size(); ++i) {
        if (!running(i)) continue;
        const int status = nodes_[i]->wait_exit(30s);
        if (status != 0) {
            const auto log = nodes_[i]->log();
            problems.push_back("node " + std::to_string(i) + " exited with status " +
                               std::to_string(status) + "; log tail:\n" +
                               log.substr(log.size() > 4000 ? log.size() - 4000 : 0));
        }
    }
    return problems;
}

Reply RaftCluster::record(std::size_t i, const std::string& what, Reply r) const {
    if (r.status >= 0) {
        r.json = json::parse(r.body, nullptr, false);
        r.valid_json = !r.json.is_discarded();
        if (!r.valid_json) {
            invalid_->push_back("node " + std::to_string(i) + " " + what + " -> " +
                                std::to_string(r.status) + ": " + r.body);
        }
    }
    return r;
}

Reply RaftCluster::get(std::size_t i, const std::string& path,
                       std::chrono::milliseconds timeout) const {
    Reply r;
    try {
        server::http::HttpClient c(ip(i), http_port_, {1000ms, timeout});
        auto resp = c.get(path);
        r.status = resp.status;
        r.body = std::move(resp.body);
        r.headers = std::move(resp.headers);
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    return record(i, "GET " + path, std::move(r));
}

Reply RaftCluster::post(std::size_t i, const std::string& path, const json& body,
                        std::chrono::milliseconds timeout) const {
    Reply r;
    try {
        server::http::HttpClient c(ip(i), http_port_, {1000ms, timeout});
        auto resp = c.post(path, body.dump());
        r.status = resp.status;
        r.body = std::move(resp.body);
        r.headers = std::move(resp.headers);
    } catch (const std::exception& e) {
        r.error = e.what();
    }
    return record(i, "POST " + path, std::move(r));
}

std::optional<std::size_t> RaftCluster::wait_leader(std::chrono::milliseconds deadline) {
    std::optional<std::size_t> found;
    const bool ok = eventually(deadline, [&] {
        std::vector<std::size_t> leaders;
        for (std::size_t i = 0; i < size(); ++i) {
            if (!running(i)) continue;
            if (get(i, "/api/leader-check", 2s).status == 200) leaders.push_back(i);
        }
        if (leaders.size() != 1) return false;
        const auto leader = identity(leaders[0]);
        for (std::size_t i = 0; i < size(); ++i) {
            if (!running(i)) continue;
            auto l = get(i, "/api/raft-leader", 2s);
            if (l.status != 200 || !l.valid_json || l.json != leader) return false;
            if (get(i, "/api/health", 2s).status != 200) return false;
        }
        found = leaders[0];
        return true;
    });
    if (!ok) return std::nullopt;
    return found;
}

json RaftCluster::rows(std::size_t i, const std::string& table) const {
    auto r = post(i, "/api/db/query",
                  {{"statements", json::array({"SELECT * FROM " + table + " ORDER BY 1"})},
                   {"level", "none"}});
    if (r.status != 200 || !r.valid_json) return nullptr;
    return r.json["results"][0]["values"];
}

std::uint64_t RaftCluster::applied(std::size_t i) const {
    auto r = get(i, "/api/raft-status", 2s);
    if (r.status != 200 || !r.valid_json || !r.json.contains("AppliedIndex")) return 0;
    return r.json["AppliedIndex"].get<std::uint64_t>();
}

bool RaftCluster::wait_converged(const std::vector<std::string>& tables,
                                 std::chrono::milliseconds deadline) {
    return eventually(
        deadline,
        [&] {
            std::optional<std::uint64_t> index;
            for (std::size_t i = 0; i < size(); ++i) {
                if (!running(i)) continue;
                const auto a = applied(i);
                if (a == 0 || (index && *index != a)) return false;
                index = a;
            }
            for (const auto& table : tables) {
                std::optional<json> first;
                for (std::size_t i = 0; i < size(); ++i) {
                    if (!running(i)) continue;
                    auto r = rows(i, table);
                    if (r.is_null()) return false;
                    if (first && *first != r) return false;
                    first = r;
                }
            }
            return true;
        },
        100ms);
}

}  // namespace orcraft::tests
