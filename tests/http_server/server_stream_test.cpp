#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "server/http/body_stream.hpp"
#include "test_support.hpp"

using namespace orcraft::server::http;
using namespace orcraft::server::http::test;

namespace {

// Answers /stream by writing `pieces` pieces of `size` bytes from a thread of its own.
struct Streamer {
    int pieces = 100;
    std::size_t size = 10000;
    std::size_t max_buffered = 1u << 20;
    bool abort_midway = false;
    std::atomic<bool> producer_done{false};
    std::atomic<bool> producer_refused{false};
    std::vector<std::thread> threads;

    ~Streamer() {
        for (auto& t : threads)
            t.join();
    }

    static std::string piece(int i, std::size_t size) {
        return std::string(size, static_cast<char>('a' + i % 26));
    }

    Handler handler() {
        return [this](Request req, Responder r) {
            if (req.path != "/stream") {
                r.respond(Response::json(200, req.path));
                return;
            }
            auto body = std::make_shared<BodyStream>(max_buffered);
            Response head;
            head.headers.add("Content-Type", "application/octet-stream");
            head.stream = body;
            r.respond(head);
            threads.emplace_back([this, body] {
                for (int i = 0; i < pieces; ++i) {
                    if (abort_midway && i == pieces / 2) {
                        body->abort();
                        producer_done = true;
                        return;
                    }
                    if (!body->write(piece(i, size))) {
                        producer_refused = true;
                        producer_done = true;
                        return;
                    }
                }
                body->finish();
                producer_done = true;
            });
        };
    }

    std::string expected() const {
        std::string all;
        for (int i = 0; i < pieces; ++i)
            all += piece(i, size);
        return all;
    }
};

}  // namespace

TEST_CASE("a streamed body arrives chunked and the connection stays usable", "[http][stream]") {
    Streamer st;
    TestServer s(st.handler());
    auto client = s.client();
    auto resp = client.get("/stream");
    REQUIRE(resp.status == 200);
    REQUIRE(resp.headers.get("Transfer-Encoding") == "chunked");
    REQUIRE_FALSE(resp.headers.contains("Content-Length"));
    REQUIRE(resp.headers.get("Content-Type") == "application/octet-stream");
    REQUIRE(resp.body == st.expected());
    REQUIRE(resp.keep_alive);
    const auto port = client.local_port();
    REQUIRE(client.get("/after").status == 200);
    REQUIRE(client.local_port() == port);
}

TEST_CASE("HTTP/1.0 clients get a streamed body delimited by the close", "[http][stream]") {
    Streamer st;
    st.pieces = 10;
    TestServer s(st.handler());
    auto stream = s.connect();
    stream.send_all("GET /stream HTTP/1.0\r\n\r\n", 2000ms);
    auto resp = read_response(stream, 5000ms);
    REQUIRE(resp.status == 200);
    REQUIRE(resp.headers.get("Connection") == "close");
    REQUIRE(resp.body == st.expected());
}

TEST_CASE("a producer is refused once its client has gone", "[http][stream]") {
    Streamer st;
    st.pieces = 1000000;  // far more than the client will read
    st.max_buffered = 64 * 1024;
    TestServer s(st.handler());
    {
        auto stream = s.connect();
        stream.send_all("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", 2000ms);
        char buf[4096];
        REQUIRE(stream.read_some(buf, sizeof buf, 5000ms) > 0);
    }
    REQUIRE(eventually([&] { return st.producer_done.load(); }, 10000ms));
    REQUIRE(st.producer_refused);
    REQUIRE(eventually([&] { return s.server->open_connections() == 0; }));
    REQUIRE(s.client().get("/alive").status == 200);
}

TEST_CASE("an aborted stream ends the connection without the final chunk", "[http][stream]") {
    Streamer st;
    st.abort_midway = true;
    TestServer s(st.handler());
    auto client = s.client();
    try {
        client.get("/stream");
        FAIL("an aborted body was read as complete");
    } catch (const ClientError& e) {
        REQUIRE(e.kind() == ClientError::Kind::Closed);
    }
    REQUIRE(s.client().get("/alive").status == 200);
}

TEST_CASE("HEAD with a streamed answer sends headers only and stops the producer",
          "[http][stream]") {
    Streamer st;
    st.pieces = 1000;  // ten times what the stream buffers: the producer must be refused
    TestServer s(st.handler());
    auto client = s.client();
    auto resp = client.request("HEAD", "/stream");
    REQUIRE(resp.status == 200);
    REQUIRE(resp.body.empty());
    REQUIRE(eventually([&] { return st.producer_done.load(); }));
    REQUIRE(st.producer_refused);
    REQUIRE(client.get("/after").status == 200);
}
