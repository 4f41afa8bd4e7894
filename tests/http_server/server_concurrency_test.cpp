#include <catch2/catch.hpp>

#include <atomic>
#include <latch>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "backend/worker_pool.hpp"
#include "test_support.hpp"

using namespace orcraft::server::http;
using namespace orcraft::server::http::test;
using nlohmann::json;

namespace {

// Keeps the responders of requests the test answers itself.
struct Parked {
    std::mutex mu;
    std::vector<Responder> responders;

    Handler handler() {
        return [this](Request, Responder r) {
            std::lock_guard lock(mu);
            responders.push_back(r);
        };
    }
    std::size_t count() {
        std::lock_guard lock(mu);
        return responders.size();
    }
    Responder take(std::size_t i) {
        std::lock_guard lock(mu);
        return responders.at(i);
    }
};

}  // namespace

TEST_CASE("200 concurrent connections each doing requests", "[http][concurrency]") {
    constexpr int kClients = 200;
    constexpr int kRequests = 5;
    orcraft::backend::WorkerPool pool(4);
    TestServer s([&](Request req, Responder r) {
        pool.post([req = std::move(req), r] {
            r.respond(Response::json(200, {{"path", req.path}, {"body", req.body}}));
        });
    });
    std::latch connected(kClients + 1);
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) {
        threads.emplace_back([&, c] {
            try {
                auto client = s.client();
                auto first = client.post("/c/" + std::to_string(c) + "/0", "x");
                if (first.status == 200) ++ok;
                connected.arrive_and_wait();
                for (int i = 1; i < kRequests; ++i) {
                    const std::string path = "/c/" + std::to_string(c) + "/" + std::to_string(i);
                    auto resp = client.post(path, std::to_string(i));
                    auto j = json::parse(resp.body);
                    if (resp.status == 200 && j["path"] == path && j["body"] == std::to_string(i))
                        ++ok;
                    else
                        ++failed;
                }
            } catch (const std::exception& e) {
                ++failed;
                WARN(e.what());
            }
        });
    }
    // Every client holds its connection open here.
    REQUIRE(eventually([&] { return s.server->open_connections() == kClients || failed > 0; },
                       20000ms));
    REQUIRE(s.server->open_connections() == kClients);
    connected.arrive_and_wait();
    for (auto& t : threads)
        t.join();
    REQUIRE(failed == 0);
    REQUIRE(ok == kClients * kRequests);
    REQUIRE(s.server->total_requests() == kClients * kRequests);
}

TEST_CASE("a responder called after the client left is dropped safely", "[http][concurrency]") {
    Parked parked;
    TestServer s(parked.handler());
    {
        auto stream = s.connect();
        stream.send_all("GET /late HTTP/1.1\r\nHost: x\r\n\r\n", 2000ms);
        REQUIRE(eventually([&] { return parked.count() == 1; }));
    }
    REQUIRE(eventually([&] { return s.server->open_connections() == 0; }));
    bool accepted = false;
    std::thread([&] { accepted = parked.take(0).respond(Response::json(200, "too late")); }).join();
    REQUIRE(accepted);
    // The server is unharmed and the next request is parked and answered normally.
    std::optional<ClientResponse> resp;
    std::thread client([&] { resp = s.client().get("/next"); });
    REQUIRE(eventually([&] { return parked.count() == 2; }));
    parked.take(1).respond(Response::json(200, "fine"));
    client.join();
    REQUIRE(resp->status == 200);
    REQUIRE(json::parse(resp->body) == "fine");
}

TEST_CASE("a responder outliving the server is dropped safely", "[http][concurrency]") {
    Parked parked;
    auto s = std::make_unique<TestServer>(parked.handler(), [] {
        ServerOptions o;
        o.drain_timeout = 200ms;
        return o;
    }());
    std::thread client([&] {
        try {
            s->client().get("/never");
        } catch (const ClientError&) {
        }
    });
    REQUIRE(eventually([&] { return parked.count() == 1; }));
    Responder r = parked.take(0);
    s->server->stop();  // the drain timeout expires: the request is abandoned
    client.join();
    s.reset();
    bool accepted = false;
    std::thread([&] { accepted = r.respond(Response::json(200, "after")); }).join();
    REQUIRE(accepted);
}

TEST_CASE("stop lets the request in flight finish and closes idle connections",
          "[http][concurrency]") {
    Parked parked;
    TestServer s(parked.handler());
    // An idle kept connection.
    auto idle = s.connect();
    idle.send_all("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n", 2000ms);
    REQUIRE(eventually([&] { return parked.count() == 1; }));
    parked.take(0).respond(Response::json(200, "idle"));
    REQUIRE(read_response(idle, 5000ms).status == 200);

    // A request in flight.
    std::optional<ClientResponse> slow;
    std::thread client([&] { slow = s.client().get("/slow"); });
    REQUIRE(eventually([&] { return parked.count() == 2; }));

    std::atomic<bool> stopped{false};
    std::thread stopper([&] {
        s.server->stop();
        stopped = true;
    });
    // Stopping: the idle connection is closed, and no new connection is accepted.
    REQUIRE(idle.read_to_end(5000ms).empty());
    REQUIRE(eventually([&] {
        try {
            TcpStream::connect("127.0.0.1", s.endpoint.port, 500ms);
            return false;
        } catch (const ClientError&) {
            return true;
        }
    }));
    REQUIRE_FALSE(stopped);
    parked.take(1).respond(Response::json(200, "finished"));
    client.join();
    stopper.join();
    REQUIRE(stopped);
    REQUIRE(slow->status == 200);
    REQUIRE(json::parse(slow->body) == "finished");
    REQUIRE(slow->headers.get("Connection") == "close");
    REQUIRE(s.server->open_connections() == 0);
}

TEST_CASE("stop gives up on a request after the drain timeout", "[http][concurrency]") {
    Parked parked;
    ServerOptions o;
    o.drain_timeout = 300ms;
    TestServer s(parked.handler(), o);
    auto stream = s.connect();
    stream.send_all("GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n", 2000ms);
    REQUIRE(eventually([&] { return parked.count() == 1; }));
    const auto start = std::chrono::steady_clock::now();
    s.server->stop();
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(took >= 250ms);
    REQUIRE(took < 5000ms);
    REQUIRE(stream.read_to_end(5000ms).empty());
    REQUIRE(parked.take(0).respond(Response::json(200, "late")));
}
