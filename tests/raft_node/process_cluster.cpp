#include "process_cluster.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "ports.hpp"

#ifndef RAFT_TESTNODE_PATH
#define RAFT_TESTNODE_PATH "raft_testnode"
#endif

namespace orcraft::raft::testing {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// ---- ControlClient ----

ControlClient::~ControlClient() {
    close();
}

void ControlClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
}

std::optional<std::string> ControlClient::request(const std::string& line, Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    if (fd_ < 0) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
            close();
            return std::nullopt;
        }
    }
    const std::string out = line + "\n";
    if (::send(fd_, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
        close();
        return std::nullopt;
    }
    for (;;) {
        auto nl = buffer_.find('\n');
        if (nl != std::string::npos) {
            std::string answer = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return answer;
        }
        const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
        if (left <= 0) {
            close();
            return std::nullopt;
        }
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
        char chunk[65536];
        ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
        if (n <= 0) {
            close();
            return std::nullopt;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

// ---- ProcessCluster ----

ProcessCluster::ProcessCluster(ProcessClusterOptions options) : options_(std::move(options)) {
    if (options_.testnode_path.empty()) options_.testnode_path = RAFT_TESTNODE_PATH;
    std::string tmpl = (fs::temp_directory_path() / "raft-proc-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
    for (int i = 0; i < options_.nodes; ++i) {
        auto n = std::make_unique<Node>();
        const auto k = static_cast<std::size_t>(i);
        n->host =
            k < options_.hosts.size() ? options_.hosts[k] : "127.0.0." + std::to_string(i + 1);
        n->ns = k < options_.namespaces.size() ? options_.namespaces[k] : "";
        n->port = n->ns.empty() ? free_port(n->host) : options_.namespace_port;
        n->identity = n->host + ":" + std::to_string(n->port);
        n->dir = root_ + "/node" + std::to_string(i);
        n->control = std::make_unique<ControlClient>(n->dir + "/control.sock");
        nodes_.push_back(std::move(n));
    }
}

ProcessCluster::~ProcessCluster() {
    for (int i = 0; i < size(); ++i) {
        if (node(i).pid > 0) {
            ::kill(node(i).pid, SIGKILL);
            ::waitpid(node(i).pid, nullptr, 0);
        }
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
}

void ProcessCluster::start(int i, const std::vector<std::string>& extra) {
    Node& n = node(i);
    std::lock_guard proc_lock(n.proc_mu);
    if (n.pid > 0) throw std::logic_error("node already running");
    fs::create_directories(n.dir);
    std::string peers;
    for (const auto& other : nodes_)
        peers += (peers.empty() ? "" : ",") + other->identity;
    std::vector<std::string> args;
    if (!n.ns.empty()) args = {"ip", "netns", "exec", n.ns};
    args.insert(args.end(), {options_.testnode_path, "--identity", n.identity, "--dir", n.dir,
                             "--peers", peers});
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log = n.dir + ".log";
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    n.pid = pid;
    {
        std::lock_guard lock(n.control_mu);
        n.control = std::make_unique<ControlClient>(n.dir + "/control.sock");
    }
}

void ProcessCluster::start_all() {
    for (int i = 0; i < size(); ++i)
        start(i);
}

void ProcessCluster::signal(int i, int sig) {
    std::lock_guard proc_lock(node(i).proc_mu);
    if (node(i).pid > 0) ::kill(node(i).pid, sig);
}

bool ProcessCluster::running(int i) {
    Node& n = node(i);
    std::lock_guard proc_lock(n.proc_mu);
    if (n.pid <= 0) return false;
    int status = 0;
    if (::waitpid(n.pid, &status, WNOHANG) == n.pid) {
        n.pid = -1;
        return false;
    }
    return true;
}

bool ProcessCluster::wait_exit(int i, Millis deadline) {
    const auto until = Clock::now() + deadline;
    while (running(i)) {
        if (Clock::now() > until) return false;
        std::this_thread::sleep_for(Millis(2));
    }
    return true;
}

void ProcessCluster::wipe(int i) {
    if (running(i)) throw std::logic_error("wipe a running node");
    fs::remove_all(node(i).dir);
}

std::optional<std::string> ProcessCluster::request(int i, const std::string& line, Millis timeout) {
    Node& n = node(i);
    std::lock_guard lock(n.control_mu);
    return n.control->request(line, timeout);
}

std::map<std::string, std::string> ProcessCluster::state(int i) {
    std::map<std::string, std::string> out;
    auto answer = request(i, "state", Millis(2000));
    if (!answer || answer->rfind("ok ", 0) != 0) return out;
    std::istringstream in(answer->substr(3));
    std::string field;
    while (in >> field) {
        auto eq = field.find('=');
        if (eq != std::string::npos) out[field.substr(0, eq)] = field.substr(eq + 1);
    }
    return out;
}

int ProcessCluster::index_of(const std::string& identity) const {
    for (int i = 0; i < size(); ++i)
        if (node(i).identity == identity) return i;
    return -1;
}

int ProcessCluster::agreed_leader() {
    int leader = -1;
    std::vector<std::map<std::string, std::string>> states;
    for (int i = 0; i < size(); ++i) {
        if (!running(i)) continue;
        auto s = state(i);
        if (s.empty()) return -1;
        if (s["role"] == "leader") {
            if (leader != -1) return -1;
            leader = i;
        }
        states.push_back(std::move(s));
    }
    if (leader == -1) return -1;
    for (auto& s : states)
        if (s["leader"] != identity(leader)) return -1;
    return leader;
}

int ProcessCluster::some_leader() {
    for (int i = 0; i < size(); ++i) {
        if (!running(i)) continue;
        if (state(i)["role"] == "leader") return i;
    }
    return -1;
}

std::optional<std::vector<std::string>> ProcessCluster::list(int i) {
    auto answer = request(i, "list", Millis(5000));
    if (!answer || answer->rfind("ok ", 0) != 0) return std::nullopt;
    std::istringstream in(answer->substr(3));
    std::string applied, count, joined;
    in >> applied >> count;
    std::getline(in, joined);
    if (!joined.empty() && joined[0] == ' ') joined.erase(0, 1);
    std::vector<std::string> values;
    std::stringstream ss(joined);
    std::string v;
    while (std::getline(ss, v, ','))
        if (!v.empty()) values.push_back(v);
    if (values.size() != std::stoull(count)) return std::nullopt;
    return values;
}

std::string ProcessCluster::log_tail(int i, int lines) const {
    std::ifstream in(node(i).dir + ".log");
    std::vector<std::string> all;
    std::string line;
    while (std::getline(in, line))
        all.push_back(line);
    std::string out;
    for (std::size_t k = all.size() > static_cast<std::size_t>(lines) ? all.size() - lines : 0;
         k < all.size(); ++k)
        out += all[k] + "\n";
    return out;
}

// ---- UniqueWriter ----

UniqueWriter::UniqueWriter(ProcessCluster& cluster, std::string prefix)
    : cluster_(cluster), prefix_(std::move(prefix)) {
    for (int i = 0; i < cluster_.size(); ++i)
        clients_.push_back(std::make_unique<ControlClient>(cluster_.dir(i) + "/control.sock"));
    thread_ = std::thread([this] { run(); });
}

UniqueWriter::~UniqueWriter() {
    stop();
}

void UniqueWriter::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

std::vector<std::string> UniqueWriter::acknowledged() {
    std::lock_guard lock(mu_);
    return acked_;
}

std::size_t UniqueWriter::acknowledged_count() {
    std::lock_guard lock(mu_);
    return acked_.size();
}

void UniqueWriter::run() {
    std::uint64_t n = 0;
    int target = 0;
    while (!stop_) {
        if (!cluster_.running(target)) {
            target = (target + 1) % cluster_.size();
            std::this_thread::sleep_for(Millis(1));
            continue;
        }
        const std::string value = prefix_ + "-" + std::to_string(n++);
        auto answer =
            clients_[static_cast<std::size_t>(target)]->request("propose " + value, Millis(3000));
        if (answer && answer->rfind("ok ", 0) == 0) {
            std::lock_guard lock(mu_);
            acked_.push_back(value);
            continue;
        }
        // Follow a named leader, otherwise try the next node.
        int next = -1;
        if (answer) {
            auto at = answer->find("the leader is ");
            if (at != std::string::npos) next = cluster_.index_of(answer->substr(at + 14));
        }
        target = next >= 0 ? next : (target + 1) % cluster_.size();
        // Errors come back at once while there is no leader: do not spin.
        std::this_thread::sleep_for(Millis(2));
    }
}

// ---- measurements and checks ----

std::optional<Millis> time_to_first_write(ProcessCluster& cluster, const std::string& prefix,
                                          Millis deadline) {
    const auto start = Clock::now();
    int k = 0;
    while (Clock::now() - start < deadline) {
        for (int i = 0; i < cluster.size(); ++i) {
            if (!cluster.running(i)) continue;
            auto answer =
                cluster.request(i, "propose " + prefix + "-" + std::to_string(k++), Millis(1000));
            if (answer && answer->rfind("ok ", 0) == 0) {
                return std::chrono::duration_cast<Millis>(Clock::now() - start);
            }
        }
        std::this_thread::sleep_for(Millis(1));
    }
    return std::nullopt;
}

std::string check_no_loss(ProcessCluster& cluster, const std::vector<std::string>& acknowledged) {
    std::optional<std::vector<std::string>> reference;
    int reference_node = -1;
    for (int i = 0; i < cluster.size(); ++i) {
        if (!cluster.running(i)) continue;
        auto values = cluster.list(i);
        if (!values) return "node " + std::to_string(i) + " does not answer";
        std::set<std::string> seen;
        for (const auto& v : *values) {
            if (!seen.insert(v).second) {
                return "node " + std::to_string(i) + " holds " + v + " twice";
            }
        }
        for (const auto& a : acknowledged) {
            if (!seen.count(a)) {
                return "node " + std::to_string(i) + " lost acknowledged value " + a;
            }
        }
        if (!reference) {
            reference = std::move(values);
            reference_node = i;
        } else if (*values != *reference) {
            return "nodes " + std::to_string(reference_node) + " and " + std::to_string(i) +
                   " hold different lists (" + std::to_string(reference->size()) + " and " +
                   std::to_string(values->size()) + " values)";
        }
    }
    return {};
}

}  // namespace orcraft::raft::testing
