// The reverse proxy a raft follower uses to reach its leader: a front server forwards to an
// upstream server, both real, over loopback TCP.

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "server/http/body_stream.hpp"
#include "server/http/reverse_proxy.hpp"
#include "test_support.hpp"

using namespace orcraft::server::http;
using namespace orcraft::server::http::test;

namespace {

Response failure_answer(ProxyFailure failure, const Upstream& upstream, const std::string& detail) {
    return Response::json(
        599, {{"failure", to_string(failure)}, {"upstream", upstream.label}, {"detail", detail}});
}

// A front server whose every request is forwarded to `upstream_port`.
struct Front {
    Front(std::uint16_t upstream_port, ProxyOptions options = {})
        : proxy(std::make_unique<ReverseProxy>(options)),
          server(
              [this, upstream_port](Request req, Responder r) {
                  Upstream u{"127.0.0.1", upstream_port,
                             "127.0.0.1:" + std::to_string(upstream_port)};
                  proxy->forward(std::move(req), std::move(r), u, failure_answer);
              },
              ServerOptions{}) {}
    ~Front() {
        server.server->stop();
        proxy->stop();
    }
    std::unique_ptr<ReverseProxy> proxy;
    TestServer server;
};

// A raw TCP listener on 127.0.0.1 that accepts connections and hands each to `serve` on a thread
// of its own (for upstreams that misbehave in ways an HttpServer never does).
struct RawUpstream {
    explicit RawUpstream(std::function<void(int fd)> serve) : serve_(std::move(serve)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
        REQUIRE(::listen(fd_, 16) == 0);
        thread_ = std::thread([this] {
            for (;;) {
                int c = ::accept(fd_, nullptr, nullptr);
                if (c < 0) return;
                ++accepted;
                workers_.emplace_back([this, c] {
                    serve_(c);
                    ::close(c);
                });
            }
        });
    }
    ~RawUpstream() {
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
        for (auto& w : workers_)
            w.join();
    }
    std::uint16_t port = 0;
    std::atomic<int> accepted{0};

  private:
    std::function<void(int)> serve_;
    int fd_ = -1;
    std::thread thread_;
    std::vector<std::thread> workers_;
};

// Reads one request head and its Content-Length body from a raw socket.
std::string read_request(int fd) {
    std::string data;
    char buf[4096];
    for (;;) {
        auto head_end = data.find("\r\n\r\n");
        if (head_end != std::string::npos) {
            std::size_t length = 0;
            auto at = data.find("Content-Length: ");
            if (at != std::string::npos && at < head_end) length = std::stoul(data.substr(at + 16));
            if (data.size() >= head_end + 4 + length) return data;
        }
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return data;
        data.append(buf, static_cast<std::size_t>(n));
    }
}

}  // namespace

TEST_CASE("proxy: relays method and target and body and headers both ways", "[proxy]") {
    std::mutex mu;
    Request seen;
    TestServer upstream([&](Request req, Responder r) {
        {
            std::lock_guard lock(mu);
            seen = req;
        }
        Response resp = Response::json(201, {{"got", req.body}});
        resp.headers.add("X-Upstream", "yes");
        resp.headers.add("Keep-Alive", "timeout=5");
        r.respond(resp);
    });
    Front front(upstream.endpoint.port);
    auto c = front.server.client();
    Headers h{{"Authorization", "Basic dXNlcjpwdw=="},
              {"X-Forwarded-For", "10.1.1.1"},
              {"Connection", "X-Drop-Me"},
              {"X-Drop-Me", "secret"},
              {"X-Keep", "kept"},
              {"Content-Type", "application/json"}};
    auto r = c.request("POST", "/api/db/execute?level=weak&x=%20y", h, R"({"a":1})");
    CHECK(r.status == 201);
    CHECK(r.headers.get("X-Upstream") == "yes");
    CHECK_FALSE(r.headers.contains("Keep-Alive"));
    CHECK(nlohmann::json::parse(r.body)["got"] == R"({"a":1})");

    std::lock_guard lock(mu);
    CHECK(seen.method == "POST");
    CHECK(seen.target == "/api/db/execute?level=weak&x=%20y");
    CHECK(seen.body == R"({"a":1})");
    CHECK(seen.headers.get("Authorization") == "Basic dXNlcjpwdw==");
    CHECK(seen.headers.get("X-Forwarded-For") == "10.1.1.1, 127.0.0.1");
    CHECK(seen.headers.get("X-Keep") == "kept");
    CHECK_FALSE(seen.headers.contains("X-Drop-Me"));
    CHECK(seen.headers.contains("X-Orcraft-Forwarded-By"));
    CHECK(seen.headers.get("Host") == "127.0.0.1:" + std::to_string(upstream.endpoint.port));
}

TEST_CASE("proxy: reuses a kept upstream connection for the next request", "[proxy]") {
    std::mutex mu;
    std::vector<std::uint16_t> ports;
    TestServer upstream([&](Request req, Responder r) {
        std::lock_guard lock(mu);
        ports.push_back(req.remote_port);
        r.respond(Response::json(200, "OK"));
    });
    Front front(upstream.endpoint.port);
    auto c = front.server.client();
    for (int i = 0; i < 3; ++i)
        CHECK(c.get("/x").status == 200);
    std::lock_guard lock(mu);
    REQUIRE(ports.size() == 3);
    CHECK(ports[0] == ports[1]);
    CHECK(ports[1] == ports[2]);
}

TEST_CASE("proxy: a long answer is streamed whole and a short one keeps its length", "[proxy]") {
    const std::string big(3u << 20, 'z');
    TestServer upstream([&](Request req, Responder r) {
        Response resp;
        resp.headers.add("Content-Type", "text/plain");
        resp.body = req.path == "/big" ? big : "small";
        r.respond(resp);
    });
    ProxyOptions options;
    options.buffer_limit = 64 * 1024;
    Front front(upstream.endpoint.port, options);
    auto c = front.server.client();
    auto r = c.get("/big");
    CHECK(r.status == 200);
    CHECK(r.headers.get("Transfer-Encoding") == "chunked");
    CHECK(r.body == big);
    CHECK(r.headers.get("Content-Type") == "text/plain");
    auto s = c.get("/small");
    CHECK(s.body == "small");
    CHECK(s.headers.get("Content-Length") == "5");
}

TEST_CASE("proxy: an upstream streaming without end is relayed as it comes", "[proxy]") {
    std::vector<std::thread> producers;
    TestServer upstream([&](Request, Responder r) {
        auto body = std::make_shared<BodyStream>();
        Response head;
        head.stream = body;
        r.respond(head);
        producers.emplace_back([body] {
            for (int i = 0; i < 50; ++i)
                if (!body->write(std::string(100000, 'a' + i % 26))) return;
            body->finish();
        });
    });
    Front front(upstream.endpoint.port);
    auto c = front.server.client();
    auto r = c.get("/stream");
    CHECK(r.status == 200);
    CHECK(r.body.size() == 50u * 100000u);
    upstream.server->stop();
    for (auto& t : producers)
        t.join();
}

TEST_CASE("proxy: an upstream that is not listening is Unreachable", "[proxy]") {
    std::uint16_t dead_port;
    {
        TestServer gone(echo_handler());
        dead_port = gone.endpoint.port;
    }
    Front front(dead_port);
    auto c = front.server.client();
    auto r = c.post("/api/db/execute", "{}");
    CHECK(r.status == 599);
    auto body = nlohmann::json::parse(r.body);
    CHECK(body["failure"] == "unreachable");
    CHECK(front.proxy->failed() == 1);
}

TEST_CASE("proxy: a POST whose connection breaks unanswered is Lost and never resent", "[proxy]") {
    std::atomic<int> requests{0};
    RawUpstream upstream([&](int fd) {
        if (!read_request(fd).empty()) ++requests;
        // Close without answering.
    });
    Front front(upstream.port);
    auto c = front.server.client();
    auto r = c.post("/api/db/execute", R"({"statements":["x"]})");
    CHECK(r.status == 599);
    CHECK(nlohmann::json::parse(r.body)["failure"] == "lost");
    CHECK(requests == 1);
    CHECK(upstream.accepted == 1);
}

TEST_CASE("proxy: an upstream that does not answer in time is Timeout", "[proxy]") {
    std::atomic<bool> release{false};
    RawUpstream upstream([&](int fd) {
        read_request(fd);
        while (!release)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    });
    ProxyOptions options;
    options.response_timeout = std::chrono::milliseconds(200);
    Front front(upstream.port, options);
    auto c = front.server.client();
    auto r = c.get("/slow");
    release = true;
    CHECK(r.status == 599);
    CHECK(nlohmann::json::parse(r.body)["failure"] == "timeout");
}

TEST_CASE("proxy: a streamed answer that breaks off is not passed off as whole", "[proxy]") {
    RawUpstream upstream([&](int fd) {
        read_request(fd);
        std::string head =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2000000\r\n\r\n";
        std::string part(300000, 'q');
        ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
        ::send(fd, part.data(), part.size(), MSG_NOSIGNAL);
        // ...and close long before the announced length.
    });
    ProxyOptions options;
    options.buffer_limit = 64 * 1024;
    Front front(upstream.port, options);
    auto stream = front.server.connect();
    stream.send_all("GET /x HTTP/1.1\r\nHost: a\r\n\r\n", 2000ms);
    CHECK_THROWS_AS(read_response(stream, 5000ms), ClientError);
}

TEST_CASE("proxy: parse_upstream accepts http base URLs only", "[proxy]") {
    std::string why;
    auto u = parse_upstream("http://127.0.0.1:3000", why);
    REQUIRE(u);
    CHECK(u->host == "127.0.0.1");
    CHECK(u->port == 3000);
    CHECK(u->label == "127.0.0.1:3000");
    auto v6 = parse_upstream("http://[::1]:3001/", why);
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->label == "[::1]:3001");
    CHECK_FALSE(parse_upstream("https://127.0.0.1:3000", why));
    CHECK(why.find("https") != std::string::npos);
    CHECK_FALSE(parse_upstream("127.0.0.1:3000", why));
    CHECK_FALSE(parse_upstream("http://", why));
}
