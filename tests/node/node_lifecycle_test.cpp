// The orcraft executable's command line, configuration refusals and clean shutdown.

#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "tests/node/node_process.hpp"

using nlohmann::json;
using orcraft::tests::NodeProcess;
using orcraft::tests::TempDir;

TEST_CASE("--help and --version", "[node][cli]") {
    std::string out;
    CHECK(NodeProcess::run_to_exit({"--help"}, out) == 0);
    CHECK(out.find("--config FILE") != std::string::npos);
    CHECK(NodeProcess::run_to_exit({"--version"}, out) == 0);
    CHECK(out.rfind("orcraft ", 0) == 0);
    CHECK(NodeProcess::run_to_exit({"--bogus"}, out) == 2);
    CHECK(out.find("unknown argument '--bogus'") != std::string::npos);
}

TEST_CASE("a bad configuration refuses to start with a message naming the key", "[node][cli]") {
    TempDir dir;
    auto write = [&](const std::string& text) {
        auto path = (dir.path() / "bad.conf.json").string();
        std::ofstream(path) << text;
        return path;
    };
    std::string out;
    CHECK(NodeProcess::run_to_exit({"--config", write(R"({"DefaultRaftPort": "x"})")}, out) != 0);
    CHECK(out.find("DefaultRaftPort") != std::string::npos);

    CHECK(NodeProcess::run_to_exit({"--config", write(R"({"BackendDB": "sqlite"})")}, out) != 0);
    CHECK(out.find("SQLite3DataFile must be set when BackendDB is sqlite3") != std::string::npos);

    CHECK(NodeProcess::run_to_exit({"--config", write("{ nope")}, out) != 0);
    CHECK(out.find("Cannot read config file") != std::string::npos);

    CHECK(NodeProcess::run_to_exit({"--config", (dir.path() / "missing.json").string()}, out) != 0);
    CHECK(out.find("missing.json") != std::string::npos);

    CHECK(NodeProcess::run_to_exit(
              {"--config", write(R"({"BackendDB": "sqlite", "SQLite3DataFile": ")" +
                                 (dir.path() / "x.db").string() + R"(", "LogLevel": "loud"})")},
              out) != 0);
    CHECK(out.find("LogLevel") != std::string::npos);
}

TEST_CASE("a raft node outside RaftNodes or with an unusable data dir refuses to start",
          "[node][cli]") {
    TempDir dir;
    auto run = [&](json config) {
        config["RaftEnabled"] = true;
        config["BackendDB"] = "sqlite";
        config["SQLite3DataFile"] = (dir.path() / "d.db").string();
        auto path = (dir.path() / "raft.conf.json").string();
        std::ofstream(path) << config.dump();
        std::string out;
        const int status = NodeProcess::run_to_exit({"--config", path}, out);
        CHECK(status == 1);
        return out;
    };
    auto out = run({{"RaftDataDir", (dir.path() / "raft").string()},
                    {"RaftBind", "127.0.0.1:10008"},
                    {"RaftNodes", json::array({"127.0.0.2", "127.0.0.3", "127.0.0.4"})}});
    CHECK(out.find("RaftAdvertise 127.0.0.1:10008 (from RaftBind) is not one of RaftNodes "
                   "[127.0.0.2:10008, 127.0.0.3:10008, 127.0.0.4:10008]") != std::string::npos);

    std::ofstream(dir.path() / "file") << "x";
    out = run({{"RaftDataDir", (dir.path() / "file" / "raft").string()},
               {"RaftBind", "127.0.0.1:10008"}});
    CHECK(out.find("does not exist and cannot be created") != std::string::npos);
}

TEST_CASE("orchestrator's `--config FILE http` form runs a node", "[node][cli]") {
    TempDir dir;
    NodeProcess node(dir.path(), {});
    node.extra_args = {"http"};
    node.start();
    auto c = node.client();
    CHECK(c.get("/api/_ping").status == 200);
}

TEST_CASE("unknown keys are reported in one warning", "[node][cli]") {
    TempDir dir;
    NodeProcess node(dir.path(), {{"Typo1", 1}, {"Typo2", 2}});
    node.start();
    auto log = node.log();
    auto at = log.find("Typo1");
    REQUIRE(at != std::string::npos);
    auto line_end = log.find('\n', at);
    CHECK(log.substr(at, line_end - at).find("Typo2") != std::string::npos);
}

TEST_CASE("a port in use is refused with the address named", "[node][cli]") {
    TempDir dir_a;
    NodeProcess a(dir_a.path(), {});
    a.start();
    TempDir dir_b;
    NodeProcess b(dir_b.path(), {{"ListenAddress", "127.0.0.1:" + std::to_string(a.port())}});
    CHECK_THROWS_WITH(b.start(), Catch::Contains("127.0.0.1:" + std::to_string(a.port())) &&
                                     Catch::Contains("address already in use"));
}

TEST_CASE("SIGTERM and SIGINT shut down cleanly and keep every acknowledged write", "[node][cli]") {
    for (int sig : {SIGTERM, SIGINT}) {
        TempDir dir;
        NodeProcess node(dir.path(), {});
        node.start();
        REQUIRE(node.post("/api/db/execute",
                          {{"statements", json::array({"CREATE TABLE t (id INT PRIMARY KEY)"})}})
                    .status == 200);
        std::atomic<int> acknowledged{0};
        std::atomic<bool> stop{false};
        std::thread writer([&] {
            try {
                auto c = node.client();
                for (int id = 1; !stop; ++id) {
                    auto body =
                        json{{"statements",
                              json::array({json::array({"INSERT INTO t VALUES (?)", id})})}};
                    if (c.post("/api/db/execute", body.dump()).status == 200) acknowledged = id;
                }
            } catch (const std::exception&) {
                // The node went away mid-request: expected once the signal arrives.
            }
        });
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (acknowledged < 50 && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));  // poll interval
        }
        node.signal(sig);
        CHECK(node.wait_exit() == 0);
        stop = true;
        writer.join();
        CHECK(node.log().find("stopped") != std::string::npos);

        node.start();
        auto r = node.post("/api/db/query", {{"statements", json::array({"SELECT COUNT(*), "
                                                                         "MAX(id) FROM t"})}});
        auto row = json::parse(r.body)["results"][0]["values"][0];
        CHECK(row[0].get<int>() >= acknowledged.load());
        CHECK(row[0] == row[1]);  // ids 1..n, none missing
    }
}
