#pragma once
// Helpers shared by the HTTP server tests: a server on 127.0.0.1 with a free port, and polling with
// a deadline instead of sleeping.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "server/http/client.hpp"
#include "server/http/server.hpp"

namespace orcraft::server::http::test {

using namespace std::chrono_literals;

// Polls `condition` every millisecond until it holds or `timeout` passes; returns its last value.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
}

// A server listening on 127.0.0.1, port chosen by the kernel.
struct TestServer {
    explicit TestServer(Handler handler, ServerOptions options = {})
        : server(std::make_unique<HttpServer>(options, std::move(handler))),
          endpoint(server->listen("127.0.0.1", 0)) {}

    HttpClient client(ClientOptions options = {}) const {
        return HttpClient("127.0.0.1", endpoint.port, options);
    }
    TcpStream connect() const { return TcpStream::connect("127.0.0.1", endpoint.port, 2000ms); }

    std::unique_ptr<HttpServer> server;
    Endpoint endpoint;
};

// A handler answering 200 {"path": ..., "method": ..., "body": ...} at once.
inline Handler echo_handler() {
    return [](Request req, Responder r) {
        r.respond(
            Response::json(200, {{"path", req.path}, {"method", req.method}, {"body", req.body}}));
    };
}

}  // namespace orcraft::server::http::test
