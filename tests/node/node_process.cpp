#include "tests/node/node_process.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace orcraft::tests {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

TempDir::TempDir() {
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto candidate = fs::temp_directory_path() / ("orcraft-test-" + std::to_string(rd()));
        if (fs::create_directory(candidate)) {
            path_ = candidate;
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::uint16_t pick_free_port(const std::string& ip) {
    std::random_device rd;
    for (int attempt = 0; attempt < 200; ++attempt) {
        const auto port = static_cast<std::uint16_t>(20000 + rd() % 12000);
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) break;
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
        const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        if (ok) return port;
    }
    throw std::runtime_error("no free port on " + ip);
}

std::string orcraft_binary() {
    return ORCRAFT_BINARY;
}

std::optional<MysqlTarget> mysql_target() {
    const char* host = std::getenv("ORCRAFT_TEST_MYSQL_HOST");
    if (!host || !*host) return std::nullopt;
    MysqlTarget t;
    t.host = host;
    if (const char* port = std::getenv("ORCRAFT_TEST_MYSQL_PORT")) t.port = std::atoi(port);
    if (const char* user = std::getenv("ORCRAFT_TEST_MYSQL_USER")) t.user = user;
    if (const char* password = std::getenv("ORCRAFT_TEST_MYSQL_PASSWORD")) t.password = password;
    return t;
}

namespace {

pid_t spawn(const std::vector<std::string>& args, const fs::path& log_path) {
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
    return pid;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Waits for `pid` until `deadline`; returns the exit status (128+signal when killed), or nullopt.
std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds deadline) {
    auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
            return -1;
        }
        if (std::chrono::steady_clock::now() > until) return std::nullopt;
        std::this_thread::sleep_for(5ms);  // polling interval of the deadline loop
    }
}

}  // namespace

NodeProcess::NodeProcess(const fs::path& dir, nlohmann::json config)
    : dir_(dir), config_path_(dir / "orcraft.conf.json"), log_path_(dir / "orcraft.log") {
    if (!config.contains("ListenAddress")) config["ListenAddress"] = "127.0.0.1:0";
    if (!config.contains("BackendDB")) config["BackendDB"] = "sqlite";
    if (!config.contains("SQLite3DataFile")) config["SQLite3DataFile"] = (dir / "data.db").string();
    std::ofstream(config_path_) << config.dump(2);
}

NodeProcess::~NodeProcess() {
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        wait_pid(pid_, 10s);
    }
}

void NodeProcess::start(std::chrono::milliseconds deadline) {
    std::error_code ec;
    auto log_offset = fs::exists(log_path_) ? fs::file_size(log_path_, ec) : 0;
    std::vector<std::string> args{orcraft_binary(), "--config", config_path_.string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = spawn(args, log_path_);
    auto until = std::chrono::steady_clock::now() + deadline;
    const std::string marker = "http: listening on ";
    for (;;) {
        auto text = read_file(log_path_).substr(log_offset);
        auto at = text.find(marker);
        if (at != std::string::npos) {
            auto end = text.find('\n', at);
            auto address = text.substr(at + marker.size(), end - at - marker.size());
            const auto colon = address.rfind(':');
            port_ = static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1)));
            host_ = address.substr(0, colon);
            if (host_.size() > 2 && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
            if (host_ == "0.0.0.0" || host_.empty()) host_ = "127.0.0.1";
            if (host_ == "::") host_ = "::1";
            return;
        }
        if (auto status = wait_pid(pid_, 0ms)) {
            pid_ = -1;
            throw std::runtime_error("orcraft exited with status " + std::to_string(*status) +
                                     " before listening; log:\n" + text);
        }
        if (std::chrono::steady_clock::now() > until) {
            throw std::runtime_error("orcraft did not listen in time; log:\n" + text);
        }
        std::this_thread::sleep_for(10ms);  // polling interval of the deadline loop
    }
}

void NodeProcess::wait_healthy(std::chrono::milliseconds deadline) const {
    auto until = std::chrono::steady_clock::now() + deadline;
    std::string last;
    for (;;) {
        try {
            auto c = client();
            auto r = c.get("/api/health");
            if (r.status == 200) return;
            last = std::to_string(r.status) + " " + r.body;
        } catch (const server::http::ClientError& e) {
            last = e.what();
        }
        if (std::chrono::steady_clock::now() > until) {
            throw std::runtime_error("node not healthy in time (last answer: " + last +
                                     "); log:\n" + log());
        }
        std::this_thread::sleep_for(20ms);  // polling interval of the deadline loop
    }
}

int NodeProcess::run_to_exit(const std::vector<std::string>& args, std::string& output,
                             std::chrono::milliseconds deadline) {
    TempDir tmp;
    auto log = tmp.path() / "output";
    std::vector<std::string> full{orcraft_binary()};
    full.insert(full.end(), args.begin(), args.end());
    pid_t pid = spawn(full, log);
    auto status = wait_pid(pid, deadline);
    if (!status) {
        kill(pid, SIGKILL);
        wait_pid(pid, 10s);
        throw std::runtime_error("orcraft did not exit in time");
    }
    output = read_file(log);
    return *status;
}

void NodeProcess::signal(int signal_number) {
    if (pid_ > 0) kill(pid_, signal_number);
}

int NodeProcess::wait_exit(std::chrono::milliseconds deadline) {
    if (pid_ <= 0) throw std::runtime_error("node is not running");
    auto status = wait_pid(pid_, deadline);
    if (!status) throw std::runtime_error("node did not exit in time; log:\n" + log());
    pid_ = -1;
    return *status;
}

std::string NodeProcess::log() const {
    return read_file(log_path_);
}

server::http::HttpClient NodeProcess::client() const {
    return server::http::HttpClient(host_, port_);
}

server::http::ClientResponse NodeProcess::post(const std::string& target,
                                               const nlohmann::json& body) const {
    auto c = client();
    return c.post(target, body.dump());
}

}  // namespace orcraft::tests
