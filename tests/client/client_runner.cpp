#include "tests/client/client_runner.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace orcraft::tests {

namespace {

using Clock = std::chrono::steady_clock;

const char* const kClearedVariables[] = {
    "ORCRAFT_API",      "ORCRAFT_USER",           "ORCRAFT_PASSWORD",
    "ORCHESTRATOR_API", "ORCHESTRATOR_AUTH_USER", "ORCHESTRATOR_AUTH_PASSWORD"};

std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
    std::vector<std::string> out;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry = *e;
        const std::string name = entry.substr(0, entry.find('='));
        bool cleared = extra.count(name) > 0;
        for (const char* c : kClearedVariables)
            cleared = cleared || name == c;
        if (!cleared) out.push_back(entry);
    }
    for (const auto& [name, value] : extra)
        out.push_back(name + "=" + value);
    return out;
}

std::uint16_t bound_port(int fd) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        throw std::runtime_error("getsockname failed");
    return ntohs(addr.sin_port);
}

int loopback_socket() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
    }
    return fd;
}

}  // namespace

std::string client_binary() {
    return ORCRAFT_CLIENT_BINARY;
}

ClientRun run_client(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env,
                     const std::optional<std::string>& input, std::chrono::milliseconds deadline) {
    int out_pipe[2], err_pipe[2], in_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
        pipe2(in_pipe, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");

    std::vector<std::string> argv_text{client_binary()};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_text)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_text = child_environment(env);
    std::vector<char*> envp;
    for (auto& e : env_text)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    const auto start = Clock::now();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    // Standard input: the text given (then end of file), or an empty stream.
    if (input) {
        std::string_view rest = *input;
        while (!rest.empty()) {
            ssize_t n = ::write(in_pipe[1], rest.data(), rest.size());
            if (n <= 0) break;
            rest.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    ::close(in_pipe[1]);

    ClientRun run;
    std::string* sinks[2] = {&run.out, &run.err};
    int fds[2] = {out_pipe[0], err_pipe[0]};
    const auto until = start + deadline;
    int open_count = 2;
    while (open_count > 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
        if (left <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        pollfd p[2];
        for (int i = 0; i < 2; ++i)
            p[i] = pollfd{fds[i], POLLIN, 0};
        if (::poll(p, 2, static_cast<int>(left)) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i] < 0 || (p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
            char buf[4096];
            ssize_t n = ::read(fds[i], buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                ::close(fds[i]);
                fds[i] = -1;
                --open_count;
            }
        }
    }
    for (int fd : fds) {
        if (fd >= 0) ::close(fd);
    }
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    run.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    run.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    return run;
}

FakeNode::FakeNode() {
    server_ = std::make_unique<server::http::HttpServer>(
        server::http::ServerOptions{},
        [this](server::http::Request request, server::http::Responder responder) {
            Answer answer;
            {
                std::lock_guard lock(mutex_);
                seen_.push_back({request.method, request.target, request.body,
                                 std::string(request.headers.get("Authorization").value_or(""))});
                if (auto it = answers_.find(request.path); it != answers_.end())
                    answer = it->second;
            }
            if (answer) {
                responder.respond(answer(request));
            } else {
                responder.respond(server::http::Response::error(404, "not found"));
            }
        });
    port_ = server_->listen("127.0.0.1", 0).port;
}

FakeNode::~FakeNode() {
    server_->stop();
}

void FakeNode::on(const std::string& path, Answer answer) {
    std::lock_guard lock(mutex_);
    answers_[path] = std::move(answer);
}

void FakeNode::on(const std::string& path, int status, const std::string& json_body) {
    on(path, [status, json_body](const server::http::Request&) {
        server::http::Response r;
        r.status = status;
        r.body = json_body;
        return r;
    });
}

std::string FakeNode::url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<SeenRequest> FakeNode::requests() const {
    std::lock_guard lock(mutex_);
    return seen_;
}

std::vector<std::string> FakeNode::targets() const {
    std::vector<std::string> out;
    for (const auto& r : requests())
        out.push_back(r.target);
    return out;
}

std::uint16_t dead_port() {
    const int fd = loopback_socket();
    const auto port = bound_port(fd);
    ::close(fd);
    return port;
}

SilentPort::SilentPort() {
    fd_ = loopback_socket();
    if (::listen(fd_, 16) != 0) {
        ::close(fd_);
        throw std::runtime_error(std::string("listen: ") + std::strerror(errno));
    }
    port_ = bound_port(fd_);
}

SilentPort::~SilentPort() {
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace orcraft::tests
