#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>

#include "server/http/body_stream.hpp"

#include "test_support.hpp"

using namespace orcraft::server::http;
using namespace orcraft::server::http::test;
using nlohmann::json;

namespace {

ServerOptions small_limits() {
    ServerOptions o;
    o.max_body_bytes = 1024;
    o.max_header_bytes = 2048;
    o.header_timeout = 300ms;
    o.body_timeout = 300ms;
    o.idle_timeout = 300ms;
    return o;
}

// The server still answers new connections normally.
void require_still_serving(const TestServer& s) {
    auto resp = s.client().get("/alive");
    REQUIRE(resp.status == 200);
    REQUIRE(json::parse(resp.body)["path"] == "/alive");
}

void require_json_error(const ClientResponse& resp, int status) {
    REQUIRE(resp.status == status);
    REQUIRE(resp.headers.get("Content-Type") == "application/json");
    REQUIRE(resp.headers.get("Connection") == "close");
    REQUIRE(json::parse(resp.body).contains("error"));
}

}  // namespace

TEST_CASE("a body over the limit gets 413 and only that connection closes", "[http][limits]") {
    std::atomic<int> handled{0};
    TestServer s(
        [&](Request req, Responder r) {
            ++handled;
            r.respond(Response::json(200, {{"path", req.path}}));
        },
        small_limits());
    auto kept = s.client();
    REQUIRE(kept.get("/before").status == 200);

    SECTION("announced by Content-Length, and sent anyway") {
        auto stream = s.connect();
        std::string body(64 * 1024, 'x');
        stream.send_all("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n",
                        2000ms);
        // The answer comes before the body is read; sending the rest must not turn it into a reset.
        try {
            stream.send_all(body, 2000ms);
        } catch (const ClientError&) {
            // The server may already have closed its side; the answer is still readable.
        }
        auto resp = read_response(stream, 5000ms);
        require_json_error(resp, 413);
        REQUIRE(json::parse(resp.body)["error"] == "request body is larger than 1024 bytes");
    }
    SECTION("chunked") {
        auto stream = s.connect();
        std::string req = "POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (int i = 0; i < 3; ++i)
            req += "200\r\n" + std::string(512, 'y') + "\r\n";
        req += "0\r\n\r\n";
        stream.send_all(req, 2000ms);
        require_json_error(read_response(stream, 5000ms), 413);
    }
    REQUIRE(handled == 1);
    require_still_serving(s);
    REQUIRE(kept.get("/after").status == 200);
}

TEST_CASE("a malformed request gets 400 JSON and a close", "[http][limits]") {
    std::atomic<int> handled{0};
    TestServer s(
        [&](Request, Responder r) {
            ++handled;
            r.respond(Response::json(200, {{"path", "/alive"}}));
        },
        small_limits());
    for (std::string bad :
         {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nHost x\r\n\r\n",
          "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
          "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
          // Ambiguous lengths, the stuff of request smuggling.
          "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
          "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"}) {
        INFO(bad);
        auto stream = s.connect();
        stream.send_all(bad, 2000ms);
        auto resp = read_response(stream, 5000ms);
        REQUIRE((resp.status == 400 || resp.status == 505));
        require_json_error(resp, resp.status);
        REQUIRE(stream.read_to_end(5000ms).empty());
    }
    REQUIRE(handled == 0);
    // A bad request after a good one on the same connection: the good one is answered first.
    auto stream = s.connect();
    stream.send_all("GET /ok HTTP/1.1\r\nHost: x\r\n\r\nBAD REQUEST LINE\r\n\r\n", 2000ms);
    REQUIRE(read_response(stream, 5000ms).status == 200);
    require_json_error(read_response(stream, 5000ms), 400);
    require_still_serving(s);
}

TEST_CASE("a header block over the limit gets 431", "[http][limits]") {
    TestServer s(echo_handler(), small_limits());
    auto stream = s.connect();
    stream.send_all("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'h') + "\r\n\r\n",
                    2000ms);
    require_json_error(read_response(stream, 5000ms), 431);
    require_still_serving(s);
}

TEST_CASE("a request cut in the middle of its body leaves the server fine", "[http][limits]") {
    std::atomic<int> handled{0};
    TestServer s(
        [&](Request req, Responder r) {
            ++handled;
            r.respond(Response::json(200, {{"path", req.path}}));
        },
        small_limits());
    {
        auto stream = s.connect();
        stream.send_all("POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part",
                        2000ms);
        REQUIRE(eventually([&] { return s.server->open_connections() == 1; }));
    }
    REQUIRE(eventually([&] { return s.server->open_connections() == 0; }));
    REQUIRE(handled == 0);
    require_still_serving(s);
}

TEST_CASE("slow clients get 408 after the header or body timeout", "[http][limits]") {
    TestServer s(echo_handler(), small_limits());
    SECTION("header") {
        auto stream = s.connect();
        const auto start = std::chrono::steady_clock::now();
        stream.send_all("GET /slow HTTP/1.1\r\nHost: x\r\n", 2000ms);
        auto resp = read_response(stream, 5000ms);
        require_json_error(resp, 408);
        REQUIRE(std::chrono::steady_clock::now() - start >= 250ms);
        REQUIRE(json::parse(resp.body)["error"] == "request header not received in time");
    }
    SECTION("body") {
        auto stream = s.connect();
        stream.send_all("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", 2000ms);
        auto resp = read_response(stream, 5000ms);
        require_json_error(resp, 408);
        REQUIRE(json::parse(resp.body)["error"] == "request body not received in time");
    }
    REQUIRE(eventually([&] { return s.server->open_connections() == 0; }));
    require_still_serving(s);
}

TEST_CASE("idle and silent connections are closed without an answer", "[http][limits]") {
    TestServer s(echo_handler(), small_limits());
    SECTION("idle after a request") {
        auto stream = s.connect();
        stream.send_all("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 2000ms);
        REQUIRE(read_response(stream, 5000ms).status == 200);
        REQUIRE(stream.read_to_end(5000ms).empty());
    }
    SECTION("never sends a byte") {
        auto stream = s.connect();
        REQUIRE(stream.read_to_end(5000ms).empty());
    }
    REQUIRE(eventually([&] { return s.server->open_connections() == 0; }));
}

TEST_CASE("a client resetting the connection during a large answer harms nothing",
          "[http][limits]") {
    const std::string big(8u << 20, 'z');
    TestServer s([&](Request req, Responder r) {
        Response resp;
        resp.headers.add("Content-Type", "application/octet-stream");
        if (req.path == "/big") resp.body = big;
        r.respond(std::move(resp));
    });
    for (int i = 0; i < 5; ++i) {
        auto stream = s.connect();
        stream.send_all("GET /big HTTP/1.1\r\nHost: x\r\n\r\n", 2000ms);
        char buf[1024];
        REQUIRE(stream.read_some(buf, sizeof buf, 5000ms) > 0);
        stream.reset();  // RST: the server's next writes fail with EPIPE/ECONNRESET
    }
    REQUIRE(eventually([&] { return s.server->open_connections() == 0; }));
    REQUIRE(s.client().get("/small").status == 200);
}

TEST_CASE("answering a connection the client has reset harms nothing", "[http][limits]") {
    std::mutex mu;
    std::vector<Responder> parked;
    TestServer s([&](Request req, Responder r) {
        if (req.path != "/park") {
            r.respond(Response::json(200, "OK"));
            return;
        }
        std::lock_guard lock(mu);
        parked.push_back(r);
    });
    auto stream = s.connect();
    // "Connection: close" makes this the last request, so the server stops reading and learns of
    // the reset only by writing.
    stream.send_all("GET /park HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 2000ms);
    REQUIRE(eventually([&] {
        std::lock_guard lock(mu);
        return parked.size() == 1;
    }));
    stream.reset();
    // The answer is written after the reset: the write fails (ECONNRESET, or EPIPE later).
    auto body = std::make_shared<BodyStream>();
    body->write(std::string(1000, 'a'));
    body->finish();
    Response resp;
    resp.stream = body;
    parked[0].respond(resp);
    REQUIRE(eventually([&] { return s.server->open_connections() == 0; }));
    REQUIRE(s.client().get("/ok").status == 200);
}
