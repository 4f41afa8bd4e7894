#include <catch2/catch.hpp>

#include <mutex>
#include <set>

#include "backend/worker_pool.hpp"
#include "test_support.hpp"

using namespace orcraft::server::http;
using namespace orcraft::server::http::test;
using nlohmann::json;

TEST_CASE("a request reaches the handler with every part decoded", "[http][server]") {
    TestServer s([](Request req, Responder r) {
        json query = json::array();
        for (const auto& [k, v] : req.query)
            query.push_back({k, v});
        json headers = json::array();
        for (const auto& [k, v] : req.headers)
            headers.push_back({k, v});
        r.respond(Response::json(
            200, {{"method", req.method},
                  {"target", req.target},
                  {"path", req.path},
                  {"raw_query", req.raw_query},
                  {"query", query},
                  {"headers", headers},
                  {"custom", std::string(req.headers.get("x-CUSTOM").value_or(""))},
                  {"ip", req.remote_ip},
                  {"port", req.remote_port},
                  {"version",
                   std::to_string(req.version_major) + "." + std::to_string(req.version_minor)},
                  {"keep_alive", req.keep_alive},
                  {"body", req.body}}));
    });
    auto client = s.client();
    Headers h{{"X-Custom", "value one"}, {"x-custom", "two"}};
    auto resp = client.request("PUT", "/api/a%20b/c?x=1&x=2&y=hello+world", h, "payload");
    REQUIRE(resp.status == 200);
    REQUIRE(resp.headers.get("Content-Type") == "application/json");
    REQUIRE(resp.headers.get("Content-Length") == std::to_string(resp.body.size()));
    auto j = json::parse(resp.body);
    REQUIRE(j["method"] == "PUT");
    REQUIRE(j["target"] == "/api/a%20b/c?x=1&x=2&y=hello+world");
    REQUIRE(j["path"] == "/api/a b/c");
    REQUIRE(j["raw_query"] == "x=1&x=2&y=hello+world");
    REQUIRE(j["query"] == json::parse(R"([["x","1"],["x","2"],["y","hello world"]])"));
    REQUIRE(j["custom"] == "value one");
    // Order and spelling are kept: Host first (added by the client), then ours as sent.
    REQUIRE(j["headers"][1] == json::parse(R"(["X-Custom","value one"])"));
    REQUIRE(j["headers"][2] == json::parse(R"(["x-custom","two"])"));
    REQUIRE(j["ip"] == "127.0.0.1");
    REQUIRE(j["port"] == client.local_port());
    REQUIRE(j["version"] == "1.1");
    REQUIRE(j["keep_alive"] == true);
    REQUIRE(j["body"] == "payload");
    REQUIRE(s.server->total_requests() == 1);
}

TEST_CASE("keep-alive connections are reused for many requests", "[http][server]") {
    std::mutex mu;
    std::set<std::uint16_t> ports;
    TestServer s([&](Request req, Responder r) {
        {
            std::lock_guard lock(mu);
            ports.insert(req.remote_port);
        }
        r.respond(Response::json(200, req.path));
    });
    auto client = s.client();
    REQUIRE(client.get("/0").status == 200);
    const auto port = client.local_port();
    for (int i = 1; i < 20; ++i) {
        auto resp = client.get("/" + std::to_string(i));
        REQUIRE(resp.status == 200);
        REQUIRE(resp.keep_alive);
        REQUIRE(json::parse(resp.body) == "/" + std::to_string(i));
        REQUIRE(client.local_port() == port);
    }
    REQUIRE(ports.size() == 1);
    REQUIRE(s.server->open_connections() == 1);
    REQUIRE(s.server->total_requests() == 20);
}

TEST_CASE("pipelined requests are answered in order", "[http][server]") {
    orcraft::backend::WorkerPool pool(4);
    TestServer s([&](Request req, Responder r) {
        // Answer from worker threads so answers could finish in any order.
        pool.post([req = std::move(req), r] { r.respond(Response::json(200, req.path)); });
    });
    auto stream = s.connect();
    std::string batch;
    for (int i = 0; i < 10; ++i) {
        const std::string method = i == 4 ? "HEAD" : "GET";
        batch += method + " /" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }
    batch += "POST /10 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    stream.send_all(batch, 2000ms);
    for (int i = 0; i <= 10; ++i) {
        auto resp = read_response(stream, 5000ms, i == 4);
        REQUIRE(resp.status == 200);
        if (i == 4) {
            REQUIRE(resp.body.empty());
            REQUIRE(resp.headers.get("Content-Length") == "4");  // the length of "/4" as JSON
        } else {
            REQUIRE(json::parse(resp.body) == "/" + std::to_string(i));
        }
    }
    REQUIRE(s.server->open_connections() == 1);
}

TEST_CASE("HEAD answers carry headers but no body", "[http][server]") {
    TestServer s([](Request req, Responder r) {
        r.respond(Response::json(200, {{"path", req.path}}));
    });
    auto client = s.client();
    auto get = client.get("/thing");
    auto head = client.request("HEAD", "/thing");
    REQUIRE(head.status == 200);
    REQUIRE(head.body.empty());
    REQUIRE(head.headers.get("Content-Length") == std::to_string(get.body.size()));
    // The connection is still in step: no stray body bytes were sent.
    auto again = client.get("/after");
    REQUIRE(json::parse(again.body)["path"] == "/after");
}

TEST_CASE("HTTP/1.0 closes unless the client asks for keep-alive", "[http][server]") {
    TestServer s(echo_handler());
    {
        auto stream = s.connect();
        stream.send_all("GET /old HTTP/1.0\r\n\r\n", 2000ms);
        auto resp = read_response(stream, 5000ms);
        REQUIRE(resp.status == 200);
        REQUIRE(resp.headers.get("Connection") == "close");
        REQUIRE(stream.read_to_end(5000ms).empty());
    }
    {
        auto stream = s.connect();
        stream.send_all("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 2000ms);
        auto resp = read_response(stream, 5000ms);
        REQUIRE(resp.headers.get("Connection") == "keep-alive");
        stream.send_all("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 2000ms);
        REQUIRE(json::parse(read_response(stream, 5000ms).body)["path"] == "/b");
    }
}

TEST_CASE("Connection: close from the client or the handler closes after the answer",
          "[http][server]") {
    TestServer s([](Request req, Responder r) {
        auto resp = Response::json(200, req.path);
        if (req.path == "/bye") resp.headers.add("Connection", "close");
        r.respond(std::move(resp));
    });
    for (std::string req : {"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                            "GET /bye HTTP/1.1\r\nHost: x\r\n\r\n"}) {
        auto stream = s.connect();
        stream.send_all(req, 2000ms);
        auto resp = read_response(stream, 5000ms);
        REQUIRE(resp.status == 200);
        REQUIRE(resp.headers.get("Connection") == "close");
        REQUIRE_FALSE(resp.keep_alive);
        REQUIRE(stream.read_to_end(5000ms).empty());
    }
    REQUIRE(eventually([&] { return s.server->open_connections() == 0; }));
}

TEST_CASE("chunked request bodies are decoded", "[http][server]") {
    TestServer s(echo_handler());
    auto stream = s.connect();
    stream.send_all(
        "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nTrailer: x\r\n\r\n",
        2000ms);
    auto resp = read_response(stream, 5000ms);
    REQUIRE(resp.status == 200);
    REQUIRE(json::parse(resp.body)["body"] == "hello world!");
}

TEST_CASE("Expect: 100-continue gets an interim answer before the body is sent", "[http][server]") {
    ServerOptions o;
    o.max_body_bytes = 1000;
    TestServer s(echo_handler(), o);
    auto stream = s.connect();
    stream.send_all(
        "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
        2000ms);
    std::string interim;
    char buf[256];
    while (interim.find("\r\n\r\n") == std::string::npos) {
        auto n = stream.read_some(buf, sizeof buf, 5000ms);
        REQUIRE(n > 0);
        interim.append(buf, n);
    }
    REQUIRE(interim.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0) == 0);
    stream.unread(interim.substr(interim.find("\r\n\r\n") + 4));
    stream.send_all("data", 2000ms);
    auto resp = read_response(stream, 5000ms);
    REQUIRE(resp.status == 200);
    REQUIRE(json::parse(resp.body)["body"] == "data");

    // Announcing too much is refused at once, before any body is sent.
    auto other = s.connect();
    other.send_all(
        "POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n",
        2000ms);
    auto refused = read_response(other, 5000ms);
    REQUIRE(refused.status == 413);
    REQUIRE(refused.headers.get("Connection") == "close");
}

TEST_CASE("handlers may set their own content type", "[http][server]") {
    TestServer s([](Request, Responder r) {
        Response resp;
        resp.headers.add("Content-Type", "text/plain; charset=utf-8");
        resp.headers.add("Content-Length", "999");  // ignored: the server computes it
        resp.body = "plain";
        r.respond(resp);
    });
    auto resp = s.client().get("/");
    REQUIRE(resp.headers.get("content-type") == "text/plain; charset=utf-8");
    REQUIRE(resp.headers.get_all("content-length") == std::vector<std::string>{"5"});
    REQUIRE(resp.body == "plain");
}

TEST_CASE("a throwing handler or a forgotten responder gives 500 JSON", "[http][server]") {
    TestServer s([](Request req, Responder r) {
        if (req.path == "/throw") throw std::runtime_error("kaput");
        if (req.path == "/forget") return;
        r.respond(Response::json(200, "OK"));
    });
    auto client = s.client();
    auto thrown = client.get("/throw");
    REQUIRE(thrown.status == 500);
    REQUIRE(json::parse(thrown.body)["error"] == "internal error: kaput");
    auto forgotten = client.get("/forget");
    REQUIRE(forgotten.status == 500);
    REQUIRE(json::parse(forgotten.body)["error"] == "handler did not answer");
    REQUIRE(client.get("/ok").status == 200);
}

TEST_CASE("listen errors name the address", "[http][server]") {
    TestServer s(echo_handler());
    HttpServer other({}, echo_handler());
    try {
        other.listen("127.0.0.1", s.endpoint.port);
        FAIL("listen on a used port succeeded");
    } catch (const ListenError& e) {
        REQUIRE(std::string(e.what()) ==
                "listen 127.0.0.1:" + std::to_string(s.endpoint.port) + ": address already in use");
    }
    REQUIRE_THROWS_AS(other.listen("256.1.1.1.not-a-host.invalid", 80), ListenError);
}

TEST_CASE("the server listens on IPv6 too", "[http][server]") {
    HttpServer server({}, echo_handler());
    Endpoint e;
    try {
        e = server.listen("::1", 0);
    } catch (const ListenError& err) {
        WARN("IPv6 loopback unavailable here: " << err.what());
        return;
    }
    REQUIRE(e.host == "::1");
    REQUIRE(e.to_string() == "[::1]:" + std::to_string(e.port));
    HttpClient client("::1", e.port);
    auto resp = client.get("/v6");
    REQUIRE(resp.status == 200);
    REQUIRE(json::parse(resp.body)["path"] == "/v6");
}

TEST_CASE("a long pipeline is read in steps and answered in order", "[http][server]") {
    ServerOptions o;
    o.max_pipelined = 4;
    TestServer s([](Request req, Responder r) { r.respond(Response::json(200, req.path)); }, o);
    auto stream = s.connect();
    constexpr int kRequests = 500;
    std::string batch;
    for (int i = 0; i < kRequests; ++i) {
        batch += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }
    // Send from another thread: the server stops reading while answers are unread.
    std::thread sender([&] { stream.send_all(batch, 10000ms); });
    for (int i = 0; i < kRequests; ++i) {
        auto resp = read_response(stream, 10000ms);
        REQUIRE(json::parse(resp.body) == "/" + std::to_string(i));
    }
    sender.join();
}

TEST_CASE("an upgrade request gets a plain answer and a close", "[http][server]") {
    TestServer s(echo_handler());
    auto stream = s.connect();
    stream.send_all(
        "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
        "\x81\x05hello",
        2000ms);
    auto resp = read_response(stream, 5000ms);
    REQUIRE(resp.status == 200);
    REQUIRE(resp.headers.get("Connection") == "close");
    REQUIRE(stream.read_to_end(5000ms).empty());
}

TEST_CASE("stop may be called from a handler, from several threads, and twice", "[http][server]") {
    auto server = std::make_unique<HttpServer>(ServerOptions{}, Handler{});
    HttpServer* raw = server.get();
    // Replace the handler-less server by one whose handler stops it.
    server = std::make_unique<HttpServer>(ServerOptions{}, [&raw](Request, Responder r) {
        r.respond(Response::json(200, "stopping"));
        raw->stop();  // on the loop thread: starts the stop and returns
    });
    raw = server.get();
    auto e = server->listen("127.0.0.1", 0);
    HttpClient client("127.0.0.1", e.port);
    auto resp = client.get("/stop");
    REQUIRE(resp.status == 200);
    std::thread a([&] { server->stop(); });
    std::thread b([&] { server->stop(); });
    a.join();
    b.join();
    server->stop();
    REQUIRE_THROWS_AS(server->listen("127.0.0.1", 0), ListenError);
    REQUIRE_THROWS_AS(TcpStream::connect("127.0.0.1", e.port, 500ms), ClientError);
}
