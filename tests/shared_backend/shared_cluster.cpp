#include "shared_cluster.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace orcraft::tests {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string script_path() {
    return std::string(ORCRAFT_SOURCE_DIR) + "/scripts/mariadb.sh";
}

// A port that was free a moment ago (the kernel's choice for port 0).
int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket() failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

}  // namespace

std::unique_ptr<TestMariadb> TestMariadb::start_private() {
    std::unique_ptr<TestMariadb> db(new TestMariadb());
    db->dir_ = std::make_unique<TempDir>();
    db->port = free_port();
    db->start();
    return db;
}

std::unique_ptr<TestMariadb> TestMariadb::shared_or_private() {
    auto target = mysql_target();
    if (!target) return start_private();
    std::unique_ptr<TestMariadb> db(new TestMariadb());
    db->host = target->host;
    db->port = target->port;
    db->user = target->user;
    db->password = target->password;
    return db;
}

TestMariadb::~TestMariadb() {
    if (!is_private()) return;
    try {
        resume();
        stop();
    } catch (const std::exception&) {
        // The directory is removed anyway; a leftover server dies with its files.
    }
}

void TestMariadb::run_script(const std::string& command) const {
    const auto log = dir_->path() / "script.log";
    const std::string line =
        shell_quote(script_path()) + " " + command + " >/dev/null 2>" + shell_quote(log.string());
    if (std::system(line.c_str()) != 0)
        throw std::runtime_error("mariadb.sh " + command + " failed:\n" + read_text(log));
}

void TestMariadb::start() {
    if (!is_private()) throw std::logic_error("only a private server can be started");
    run_script("start " + shell_quote((dir_->path() / "server").string()) + " " +
               std::to_string(port));
}

void TestMariadb::stop() {
    if (!is_private()) throw std::logic_error("only a private server can be stopped");
    run_script("stop " + shell_quote((dir_->path() / "server").string()));
}

int TestMariadb::server_pid() const {
    const auto text = read_text(dir_->path() / "server" / "pid");
    const int pid = std::atoi(text.c_str());
    if (pid <= 0) throw std::runtime_error("no MariaDB pid file");
    return pid;
}

void TestMariadb::pause() {
    if (!is_private()) throw std::logic_error("only a private server can be paused");
    ::kill(server_pid(), SIGSTOP);
    paused_ = true;
}

void TestMariadb::resume() {
    if (!paused_) return;
    ::kill(server_pid(), SIGCONT);
    paused_ = false;
}

std::string TestMariadb::unique_database(const std::string& prefix) {
    std::random_device rd;
    return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 1000000);
}

void TestMariadb::drop_database(const std::string& name) const {
    const std::string line =
        "mariadb --no-defaults -h " + shell_quote(host) + " -P " + std::to_string(port) + " -u " +
        shell_quote(user) + " -p" + shell_quote(password) + " -e " +
        shell_quote("DROP DATABASE IF EXISTS `" + name + "`") + " >/dev/null 2>&1";
    (void)std::system(line.c_str());
}

SharedCluster::SharedCluster(const TestMariadb& db, std::string database, std::size_t nodes,
                             nlohmann::json extra)
    : db_(db), database_(std::move(database)) {
    for (std::size_t i = 0; i < nodes; ++i) {
        nlohmann::json config = {
            {"RaftEnabled", false},
            {"BackendDB", "mysql"},
            {"MySQLOrchestratorHost", db.host},
            {"MySQLOrchestratorPort", db.port},
            {"MySQLOrchestratorDatabase", database_},
            {"MySQLOrchestratorUser", db.user},
            {"MySQLOrchestratorPassword", db.password},
            {"MySQLConnectTimeoutSeconds", 1},
            {"MySQLOrchestratorReadTimeoutSeconds", 3},
            {"ListenAddress", "127.0.0.1:0"},
        };
        config.update(extra);
        dirs_.push_back(std::make_unique<TempDir>());
        nodes_.push_back(std::make_unique<NodeProcess>(dirs_.back()->path(), config));
    }
}

SharedCluster::~SharedCluster() {
    nodes_.clear();  // SIGKILLs what still runs
    db_.drop_database(database_);
}

void SharedCluster::start_all() {
    for (auto& n : nodes_)
        n->start();
}

void SharedCluster::kill9(std::size_t i) {
    nodes_[i]->signal(SIGKILL);
    nodes_[i]->wait_exit(10s);
}

void SharedCluster::restart(std::size_t i) {
    nodes_[i]->start();
}

namespace {

Answer to_answer(const server::http::ClientResponse& r) {
    Answer a;
    a.status = r.status;
    a.body = r.body;
    try {
        a.json = nlohmann::json::parse(r.body);
        a.valid_json = true;
    } catch (const nlohmann::json::exception&) {
        a.valid_json = false;
    }
    return a;
}

server::http::ClientOptions short_timeouts() {
    server::http::ClientOptions o;
    o.connect_timeout = 500ms;
    o.response_timeout = 3000ms;
    return o;
}

// A write or query may wait for the database (the first DDL after MariaDB started took more than
// 3 s on a loaded machine); a node that does not answer at all still fails the test.
server::http::ClientOptions request_timeouts() {
    server::http::ClientOptions o = short_timeouts();
    o.response_timeout = 15000ms;
    return o;
}

}  // namespace

Answer SharedCluster::get(std::size_t i, const std::string& path) const {
    if (!nodes_[i]->running()) return {};
    try {
        server::http::HttpClient c("127.0.0.1", nodes_[i]->port(), short_timeouts());
        return to_answer(c.get(path));
    } catch (const server::http::ClientError&) {
        return {};
    }
}

Answer SharedCluster::post(std::size_t i, const std::string& path,
                           const nlohmann::json& body) const {
    if (!nodes_[i]->running()) return {};
    try {
        server::http::HttpClient c("127.0.0.1", nodes_[i]->port(), request_timeouts());
        return to_answer(c.post(path, body.dump()));
    } catch (const server::http::ClientError&) {
        return {};
    }
}

std::vector<int> SharedCluster::leader_checks() const {
    std::vector<int> out;
    for (std::size_t i = 0; i < nodes_.size(); ++i)
        out.push_back(get(i, "/api/leader-check").status);
    return out;
}

std::vector<std::size_t> SharedCluster::leaders() const {
    std::vector<std::size_t> out;
    const auto codes = leader_checks();
    for (std::size_t i = 0; i < codes.size(); ++i)
        if (codes[i] == 200) out.push_back(i);
    return out;
}

std::string SharedCluster::logs() const {
    std::string out;
    for (std::size_t i = 0; i < nodes_.size(); ++i)
        out += "----- node " + std::to_string(i) + " -----\n" + nodes_[i]->log();
    return out;
}

std::optional<std::size_t> SharedCluster::wait_single_leader(std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
        const auto found = leaders();
        if (found.size() == 1) {
            bool healthy = true;
            for (std::size_t i = 0; i < nodes_.size(); ++i)
                if (nodes_[i]->running() && get(i, "/api/health").status != 200) healthy = false;
            if (healthy) return found.front();
        }
        if (std::chrono::steady_clock::now() > until) return std::nullopt;
        std::this_thread::sleep_for(20ms);  // polling interval of the deadline loop
    }
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const auto n = values.size();
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace orcraft::tests
