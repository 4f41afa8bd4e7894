#include "server/http/server.hpp"

#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <future>

#include "server/http/connection.hpp"
#include "server/http/server_core.hpp"

namespace orcraft::server::http {

std::string Endpoint::to_string() const {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

namespace {

std::string label_of(const std::string& host, std::uint16_t port) {
    return Endpoint{host, port}.to_string();
}

// Resolves host to one socket address; numeric literals never touch DNS.
sockaddr_storage resolve(const std::string& host, std::uint16_t port, const std::string& label) {
    sockaddr_storage ss{};
    const std::string h = host.empty() ? "0.0.0.0" : host;
    if (uv_ip4_addr(h.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) == 0) return ss;
    if (uv_ip6_addr(h.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) == 0) return ss;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string service = std::to_string(port);
    int rc = getaddrinfo(h.c_str(), service.c_str(), &hints, &res);
    if (rc != 0 || res == nullptr) {
        throw ListenError("listen " + label + ": cannot resolve host: " + gai_strerror(rc));
    }
    std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return ss;
}

Endpoint endpoint_of(const sockaddr_storage& ss) {
    char buf[INET6_ADDRSTRLEN] = {0};
    Endpoint e;
    if (ss.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
        uv_ip6_name(a, buf, sizeof buf);
        e.port = ntohs(a->sin6_port);
    } else {
        const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
        uv_ip4_name(a, buf, sizeof buf);
        e.port = ntohs(a->sin_port);
    }
    e.host = buf;
    return e;
}

}  // namespace

// ---- Core -----------------------------------------------------------------------------------

HttpServer::Core::Core(ServerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {
    if (int rc = uv_loop_init(&loop); rc != 0) {
        throw std::runtime_error(std::string("http server: cannot create loop: ") +
                                 uv_strerror(rc));
    }
    loop.data = this;
    uv_async_init(&loop, &wake, [](uv_async_t* a) {
        static_cast<HttpServer::Core*>(a->loop->data)->run_tasks();
    });
    uv_timer_init(&loop, &drain_timer);
}

HttpServer::Core::~Core() = default;

bool HttpServer::Core::post(std::function<void()> task) {
    std::lock_guard lock(tasks_mutex);
    if (!accepting_tasks) return false;
    // run_tasks() takes the whole queue at once: a queue that is not empty has a wake-up
    // pending already. Fewer sends also spare the loop libuv's spinning on a busy async handle.
    const bool first = tasks.empty();
    tasks.push_back(std::move(task));
    // Under the lock: the loop closes `wake` only after clearing accepting_tasks under it.
    if (first) uv_async_send(&wake);
    return true;
}

void HttpServer::Core::run_tasks() {
    std::deque<std::function<void()>> batch;
    {
        std::lock_guard lock(tasks_mutex);
        batch.swap(tasks);
    }
    for (auto& task : batch) {
        if (finished) break;
        task();
    }
}

Endpoint HttpServer::Core::listen_on(const sockaddr* addr, const std::string& label) {
    if (draining) throw ListenError("listen " + label + ": server is stopping");
    auto* tcp = new uv_tcp_t;
    uv_tcp_init(&loop, tcp);
    tcp->data = this;
    auto fail = [&](int rc) {
        uv_close(reinterpret_cast<uv_handle_t*>(tcp),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
        return ListenError("listen " + label + ": " + uv_strerror(rc));
    };
    if (int rc = uv_tcp_bind(tcp, addr, 0); rc != 0) throw fail(rc);
    int rc = uv_listen(reinterpret_cast<uv_stream_t*>(tcp), options.listen_backlog,
                       [](uv_stream_t* server, int status) {
                           auto* core = static_cast<HttpServer::Core*>(server->data);
                           if (status < 0) {
                               spdlog::warn("http: accept: {}", uv_strerror(status));
                               return;
                           }
                           const std::uint64_t id = core->next_connection_id++;
                           auto* c = new Connection(*core, id);
                           core->connections.emplace(id, c);
                           core->open_connections.fetch_add(1, std::memory_order_relaxed);
                           if (!c->start(server)) {
                               core->connections.erase(id);
                               core->open_connections.fetch_sub(1, std::memory_order_relaxed);
                           }
                       });
    if (rc != 0) throw fail(rc);
    sockaddr_storage bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&bound), &len);
    listeners.push_back(tcp);
    Endpoint e = endpoint_of(bound);
    {
        std::lock_guard lock(endpoints_mutex);
        endpoints.push_back(e);
    }
    spdlog::info("http: listening on {}", e.to_string());
    return e;
}

void HttpServer::Core::begin_drain() {
    if (draining) return;
    draining = true;
    for (uv_tcp_t* l : listeners) {
        uv_close(reinterpret_cast<uv_handle_t*>(l),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    }
    listeners.clear();
    std::vector<Connection*> all;
    for (auto& [id, c] : connections)
        all.push_back(c);
    for (Connection* c : all)
        c->on_drain();
    if (connections.empty()) {
        finish();
        return;
    }
    spdlog::info("http: stopping; waiting for {} connection(s)", connections.size());
    drain_timer.data = this;
    uv_timer_start(
        &drain_timer,
        [](uv_timer_t* t) {
            auto* core = static_cast<HttpServer::Core*>(t->data);
            spdlog::warn("http: drain timeout; closing {} connection(s)", core->connections.size());
            core->finish();
        },
        static_cast<std::uint64_t>(options.drain_timeout.count()), 0);
}

void HttpServer::Core::finish() {
    if (finished) return;
    finished = true;
    std::vector<Connection*> all;
    for (auto& [id, c] : connections)
        all.push_back(c);
    for (Connection* c : all)
        c->close();
    uv_close(reinterpret_cast<uv_handle_t*>(&drain_timer), nullptr);
    std::deque<std::function<void()>> dropped;
    {
        std::lock_guard lock(tasks_mutex);
        accepting_tasks = false;
        dropped.swap(tasks);
    }
    // Dropping the tasks here breaks the promises of listen() calls still waiting.
    dropped.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
}

void HttpServer::Core::deliver(std::uint64_t connection, std::uint64_t seq, Response response) {
    auto it = connections.find(connection);
    if (it == connections.end()) {
        spdlog::debug("http: dropping an answer for closed connection {}", connection);
        return;
    }
    it->second->deliver(seq, std::move(response));
}

void HttpServer::Core::stream_ready(std::uint64_t connection, std::uint64_t seq) {
    auto it = connections.find(connection);
    if (it != connections.end()) it->second->on_stream_ready(seq);
}

void HttpServer::Core::connection_closed(std::uint64_t id) {
    if (connections.erase(id) == 0) return;
    open_connections.fetch_sub(1, std::memory_order_relaxed);
    if (draining && connections.empty() && !finished) finish();
}

Responder HttpServer::Core::make_responder(std::uint64_t connection, std::uint64_t seq) {
    std::weak_ptr<Core> weak = weak_from_this();
    return Responder([weak, connection, seq](Response response) {
        auto core = weak.lock();
        if (!core) return;
        Core* raw = core.get();
        core->post([raw, connection, seq, r = std::move(response)]() mutable {
            raw->deliver(connection, seq, std::move(r));
        });
    });
}

// ---- HttpServer -----------------------------------------------------------------------------

HttpServer::HttpServer(ServerOptions options, Handler handler)
    : core_(std::make_shared<Core>(std::move(options), std::move(handler))) {
    std::promise<void> started;
    auto ready = started.get_future();
    thread_ = std::thread([core = core_.get(), &started] {
        pthread_setname_np(pthread_self(), "http");
        // A write to a connection the client has reset raises SIGPIPE, whose default action ends
        // the process. Blocked on this thread, it stays pending and the write fails with EPIPE,
        // which closes that connection only. The mask is this thread's own: nothing global changes.
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        core->loop_thread = std::this_thread::get_id();
        started.set_value();
        uv_run(&core->loop, UV_RUN_DEFAULT);
        if (uv_loop_close(&core->loop) != 0) {
            spdlog::error("http: loop closed with handles still open");
        }
    });
    ready.wait();
}

HttpServer::~HttpServer() {
    stop();
}

Endpoint HttpServer::listen(const std::string& host, std::uint16_t port) {
    const std::string label = label_of(host.empty() ? "0.0.0.0" : host, port);
    sockaddr_storage addr = resolve(host, port, label);
    if (std::this_thread::get_id() == core_->loop_thread) {
        return core_->listen_on(reinterpret_cast<sockaddr*>(&addr), label);
    }
    auto promise = std::make_shared<std::promise<Endpoint>>();
    auto result = promise->get_future();
    Core* core = core_.get();
    bool posted = core_->post([core, promise, addr, label] {
        try {
            promise->set_value(core->listen_on(reinterpret_cast<const sockaddr*>(&addr), label));
        } catch (...) {
            promise->set_exception(std::current_exception());
        }
    });
    if (!posted) throw ListenError("listen " + label + ": server is stopped");
    try {
        return result.get();
    } catch (const std::future_error&) {
        throw ListenError("listen " + label + ": server is stopped");
    }
}

void HttpServer::stop() {
    Core* core = core_.get();
    core_->post([core] { core->begin_drain(); });
    if (std::this_thread::get_id() == core_->loop_thread) return;
    std::lock_guard lock(join_mutex_);
    if (thread_.joinable()) thread_.join();
}

std::vector<Endpoint> HttpServer::endpoints() const {
    std::lock_guard lock(core_->endpoints_mutex);
    return core_->endpoints;
}

std::uint64_t HttpServer::open_connections() const {
    return core_->open_connections.load(std::memory_order_relaxed);
}

std::uint64_t HttpServer::total_requests() const {
    return core_->total_requests.load(std::memory_order_relaxed);
}

}  // namespace orcraft::server::http
