#pragma once
// Internal to the server: the state owned by the loop thread. Not for use by routes.
//
// Everything here is touched only on the loop thread, except the task queue (guarded by
// `tasks_mutex`) and the counters (atomic). Other threads reach the loop only through post().

#include <uv.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/http/server.hpp"

namespace orcraft::server::http {

class Connection;

struct HttpServer::Core : std::enable_shared_from_this<HttpServer::Core> {
    Core(ServerOptions o, Handler h);
    ~Core();
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;

    // Any thread: queues `task` for the loop thread. Returns false (dropping the task) once the
    // loop is shutting down.
    bool post(std::function<void()> task);

    // Loop thread.
    void run_tasks();
    Endpoint listen_on(const sockaddr* addr, const std::string& label);
    void begin_drain();
    void finish();
    void deliver(std::uint64_t connection, std::uint64_t seq, Response response);
    void stream_ready(std::uint64_t connection, std::uint64_t seq);
    void connection_closed(std::uint64_t id);
    Responder make_responder(std::uint64_t connection, std::uint64_t seq);

    ServerOptions options;
    Handler handler;
    uv_loop_t loop{};
    uv_async_t wake{};
    uv_timer_t drain_timer{};
    std::thread::id loop_thread;

    std::mutex tasks_mutex;
    std::deque<std::function<void()>> tasks;  // guarded by tasks_mutex
    bool accepting_tasks = true;              // guarded by tasks_mutex

    mutable std::mutex endpoints_mutex;
    std::vector<Endpoint> endpoints;  // guarded by endpoints_mutex

    std::vector<uv_tcp_t*> listeners;
    std::unordered_map<std::uint64_t, Connection*> connections;
    std::uint64_t next_connection_id = 1;
    bool draining = false;
    bool finished = false;

    std::atomic<std::uint64_t> open_connections{0};
    std::atomic<std::uint64_t> total_requests{0};

    // One read buffer serves every connection: a read callback consumes it before returning.
    std::vector<char> read_buffer = std::vector<char>(64 * 1024);
};

}  // namespace orcraft::server::http
