// /api/metrics of a real node over TCP: requests are counted by route and status, and a raft
// node reports its runtime.

#include <catch2/catch.hpp>

#include "tests/metrics/exposition_parser.hpp"
#include "tests/node/node_process.hpp"

using namespace orcraft::tests;

TEST_CASE("a standalone node counts its requests by route and status", "[metrics]") {
    TempDir dir;
    NodeProcess node(dir.path(), {{"BackendDB", "sqlite"}, {"RaftEnabled", false}});
    node.start();
    node.wait_healthy();

    REQUIRE(node.post("/api/db/execute", {{"statements", {"CREATE TABLE t (id INT PRIMARY KEY)"}}})
                .status == 200);
    for (int i = 0; i < 3; ++i)
        REQUIRE(node.post("/api/db/execute",
                          {{"statements", nlohmann::json::array({nlohmann::json::array(
                                              {"INSERT INTO t VALUES (?)", i})})}})
                    .status == 200);
    CHECK(node.post("/api/db/execute", {{"statements", {"SELEC nonsense"}}}).status == 400);
    auto client = node.client();
    CHECK(client.get("/api/no-such-route").status == 404);
    CHECK(client.get("/some/other/path").status == 404);

    const auto response = client.get("/api/metrics");
    REQUIRE(response.status == 200);
    CHECK(response.headers.get("Content-Type").value_or("").substr(0, 10) == "text/plain");
    INFO(response.body);
    const auto p = parse_exposition(response.body);
    CHECK(p.value("orcraft_http_requests_total", {{"route", "db/execute"}, {"status", "200"}}) ==
          4);
    CHECK(p.value("orcraft_http_requests_total", {{"route", "db/execute"}, {"status", "400"}}) ==
          1);
    CHECK(p.value("orcraft_http_requests_total", {{"route", "other"}, {"status", "404"}}) == 2);
    CHECK(p.value("orcraft_http_request_duration_seconds_count", {{"route", "db/execute"}}) == 5);
    // wait_healthy() polled the health route at least once.
    CHECK(p.value("orcraft_http_requests_total", {{"route", "health"}, {"status", "200"}}) >= 1);
    CHECK(p.value("process_resident_memory_bytes") > 0);

    // The scrape itself is counted once answered.
    const auto second = parse_exposition(client.get("/api/metrics").body);
    CHECK(second.value("orcraft_http_requests_total", {{"route", "metrics"}, {"status", "200"}}) ==
          1);
}

TEST_CASE("a raft node reports its runtime's disk writes applies and snapshots", "[metrics]") {
    TempDir dir;
    const std::string raft = "127.0.0.1:" + std::to_string(pick_free_port());
    NodeProcess node(dir.path(), {{"BackendDB", "sqlite"},
                                  {"RaftEnabled", true},
                                  {"RaftBind", raft},
                                  {"RaftNodes", {raft}},
                                  {"RaftDataDir", (dir.path() / "raft").string()},
                                  {"RaftSnapshotThreshold", 100},
                                  {"RaftTrailingLogs", 10}});
    node.start();
    node.wait_healthy();
    REQUIRE(node.post("/api/db/execute", {{"statements", {"CREATE TABLE t (id INT PRIMARY KEY)"}}})
                .status == 200);
    // At a threshold of 100, a snapshot slower than 50 ms (under ASan) may defer the next one by
    // up to 16 thresholds (raft/node/apply_worker.hpp): 1,800 writes take at least two.
    for (int i = 0; i < 1800; ++i)
        REQUIRE(node.post("/api/db/execute",
                          {{"statements", nlohmann::json::array({nlohmann::json::array(
                                              {"INSERT INTO t VALUES (?)", i})})}})
                    .status == 200);
    auto client = node.client();
    const auto p = parse_exposition(client.get("/api/metrics").body);
    // Every write is one durable log write of at least one entry, applied in a batch.
    CHECK(p.value("orcraft_raft_fsync_duration_seconds_count") >= 1);
    CHECK(p.value("orcraft_raft_fsync_duration_seconds_sum") > 0);
    CHECK(p.value("orcraft_raft_entries_per_batch_count") >= 1);
    CHECK(p.value("orcraft_raft_entries_per_batch_sum") >= 301);
    CHECK(p.value("orcraft_raft_apply_duration_seconds_count") >= 1);
    CHECK(p.value("orcraft_raft_apply_duration_seconds_sum") > 0);
    // 1,800 entries at a threshold of 100, paced or not: at least two snapshots taken.
    CHECK(p.value("orcraft_raft_snapshot_duration_seconds_count", {{"kind", "taken"}}) >= 2);
    CHECK(p.value("orcraft_raft_snapshot_install_received_bytes") == 0);
    CHECK(p.value("orcraft_backend_errors_total", {{"operation", "apply"}}) == 0);
}
