// Bad input never takes a node down or loses data: after each kind of abuse the node still
// answers and the rows written before are all there.

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "tests/node/node_process.hpp"

using nlohmann::json;
using orcraft::tests::NodeProcess;
using orcraft::tests::TempDir;
using namespace std::chrono_literals;

namespace {

struct SeededNode {
    TempDir dir;
    NodeProcess node;
    explicit SeededNode(json config = json::object()) : node(dir.path(), std::move(config)) {
        node.start();
        auto r =
            node.post("/api/db/execute",
                      {{"statements", json::array({"CREATE TABLE t (id INT PRIMARY KEY, v TEXT)",
                                                   "INSERT INTO t VALUES (1, 'kept')"})}});
        REQUIRE(r.status == 200);
    }
    // The node answers and the seeded row is intact.
    void check_alive_and_intact() const {
        auto r = node.post("/api/db/query",
                           {{"statements", json::array({"SELECT id, v FROM t WHERE id = 1"})}});
        REQUIRE(r.status == 200);
        CHECK(json::parse(r.body)["results"][0]["values"] ==
              json::array({json::array({1, "kept"})}));
    }
};

json parsed(const std::string& body) {
    INFO("body: " << body);
    REQUIRE_NOTHROW(json::parse(body));
    return json::parse(body);
}

}  // namespace

TEST_CASE("malformed JSON bodies get 400 with a JSON error", "[node][bad-input]") {
    SeededNode s;
    auto c = s.node.client();
    for (std::string body : {"{", "not json", "[]", "{\"statements\": 5}", "{\"statements\": [5]}",
                             "{\"statements\": [[\"SELECT 1\", {}]]}",
                             "{\"statements\": [[\"INSERT INTO t VALUES (?, ?)\", "
                             "18446744073709551615, \"x\"]]}"}) {
        INFO(body);
        auto r = c.post("/api/db/execute", body);
        CHECK(r.status == 400);
        CHECK(parsed(r.body).contains("error"));
    }
    s.check_alive_and_intact();
}

TEST_CASE("invalid SQL is refused before anything is applied", "[node][bad-input]") {
    SeededNode s;
    auto r = s.node.post("/api/db/execute",
                         {{"statements", json::array({"INSERT INTO t VALUES (2, 'x')",
                                                      "INSERT INTO t VALUES (UUID(), 'y')"})}});
    CHECK(r.status == 400);
    auto body = parsed(r.body);
    CHECK(body["statement"] == 1);
    CHECK(body["error"].get<std::string>().find("UUID()") != std::string::npos);

    // A statement that fails while running rolls the whole batch back.
    r = s.node.post("/api/db/execute",
                    {{"statements", json::array({"INSERT INTO t VALUES (3, 'x')",
                                                 "INSERT INTO t VALUES (1, 'duplicate')"})}});
    CHECK(r.status == 400);
    CHECK(parsed(r.body)["statement"] == 1);
    s.check_alive_and_intact();
}

TEST_CASE("a write sent to the query endpoint is refused", "[node][bad-input]") {
    SeededNode s;
    auto r = s.node.post("/api/db/query", {{"statements", json::array({"DELETE FROM t"})}});
    CHECK(r.status == 400);
    CHECK(parsed(r.body).contains("error"));
    auto c = s.node.client();
    auto get = c.get("/api/db/query?q=DROP+TABLE+t");
    CHECK(get.status == 400);
    s.check_alive_and_intact();
}

TEST_CASE("a body over the limit gets 413 and the node keeps serving", "[node][bad-input]") {
    SeededNode s(json{{"HTTPMaxBodyBytes", 4096}});
    std::string big(10000, 'x');
    auto r = s.node.post(
        "/api/db/execute",
        {{"statements", json::array({json::array({"INSERT INTO t VALUES (?, ?)", 9, big})})}});
    CHECK(r.status == 413);
    CHECK(parsed(r.body).contains("error"));
    s.check_alive_and_intact();
}

TEST_CASE("a request cut mid-body does not hurt the node", "[node][bad-input]") {
    SeededNode s;
    {
        auto stream = orcraft::server::http::TcpStream::connect("127.0.0.1", s.node.port(), 2s);
        stream.send_all(
            "POST /api/db/execute HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
            "{\"statements\": [\"INSERT INTO t VALUES (5, 'half')\"",
            2s);
        stream.close();
    }
    {
        auto stream = orcraft::server::http::TcpStream::connect("127.0.0.1", s.node.port(), 2s);
        stream.send_all("GARBAGE\x01\x02 / HTTP/9.9\r\n\r\n", 2s);
        auto answer = stream.read_to_end(5s);
        CHECK(answer.find("400") != std::string::npos);
    }
    s.check_alive_and_intact();
    auto r =
        s.node.post("/api/db/query", {{"statements", json::array({"SELECT COUNT(*) FROM t"})}});
    CHECK(parsed(r.body)["results"][0]["values"][0][0] == 1);
}

TEST_CASE("200 concurrent connections write and read", "[node][bad-input]") {
    SeededNode s;
    constexpr int kClients = 200;
    constexpr int kWritesEach = 3;
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
        threads.emplace_back([&, i] {
            try {
                auto c = s.node.client();
                for (int j = 0; j < kWritesEach; ++j) {
                    int id = 1000 + i * kWritesEach + j;
                    auto body = json{
                        {"statements",
                         json::array({json::array({"INSERT INTO t VALUES (?, ?)", id, "row"})})}};
                    auto r = c.post("/api/db/execute", body.dump());
                    (r.status == 200 ? ok : failed)++;
                }
            } catch (const std::exception&) {
                failed++;
            }
        });
    }
    for (auto& t : threads)
        t.join();
    CHECK(failed == 0);
    CHECK(ok == kClients * kWritesEach);
    auto r =
        s.node.post("/api/db/query", {{"statements", json::array({"SELECT COUNT(*) FROM t"})}});
    CHECK(parsed(r.body)["results"][0]["values"][0][0] == 1 + kClients * kWritesEach);
    s.check_alive_and_intact();
}
