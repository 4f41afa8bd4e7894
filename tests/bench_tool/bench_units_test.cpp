// The parts of orcraft-bench that decide its numbers: histogram buckets and percentiles, the
// Prometheus reader, options, and the requests it sends.

#include <catch2/catch.hpp>

#include <csignal>
#include <random>

#include <nlohmann/json.hpp>

#include "bench/orcraft_bench/histogram.hpp"
#include "bench/orcraft_bench/metrics.hpp"
#include "bench/orcraft_bench/options.hpp"
#include "bench/orcraft_bench/requests.hpp"

using namespace orcraft::bench;

TEST_CASE("histogram buckets are contiguous and at most 1/64 of their value wide") {
    std::uint64_t lower = 0;
    for (std::size_t b = 0; b < kBucketCount; ++b) {
        const auto upper = bucket_upper(b);
        REQUIRE(upper >= lower);
        REQUIRE(bucket_of(lower) == b);
        REQUIRE(bucket_of(upper) == b);
        if (lower >= 128) REQUIRE(static_cast<double>(upper - lower + 1) <= lower / 64.0 + 1e-9);
        lower = upper + 1;
    }
    CHECK(bucket_of(std::uint64_t{1} << 62) == kBucketCount - 1);
}

TEST_CASE("histogram percentiles are within 1.6 % of the exact ones") {
    std::mt19937_64 random(7);
    std::lognormal_distribution<double> latency(13.0, 1.0);  // around 0.4 ms in ns
    std::vector<std::uint64_t> values;
    LatencyHistogram a, b;
    for (int i = 0; i < 100'000; ++i) {
        auto v = static_cast<std::uint64_t>(latency(random));
        values.push_back(v);
        (i % 2 ? a : b).record(v);
    }
    auto merged = a.snapshot();
    merged.add(b.snapshot());
    REQUIRE(merged.total == values.size());
    std::sort(values.begin(), values.end());
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        auto exact = static_cast<double>(values[static_cast<std::size_t>(q * values.size()) - 1]);
        auto read = static_cast<double>(merged.quantile(q));
        INFO("q=" << q << " exact=" << exact << " read=" << read);
        CHECK(read >= exact * 0.999);
        CHECK(read <= exact * 1.016 + 1);
    }
    CHECK(merged.max() >= values.back());
}

TEST_CASE("histogram snapshots subtract to the values recorded between them") {
    LatencyHistogram h;
    h.record(1'000);
    h.record(2'000);
    auto before = h.snapshot();
    h.record(5'000'000);
    auto window = h.snapshot().since(before);
    CHECK(window.total == 1);
    CHECK(window.quantile(0.5) >= 5'000'000);
    CHECK(window.quantile(0.5) <= 5'000'000 * 1.016);
    CHECK(window.sum == 5'000'000);
}

TEST_CASE("metric_value sums the samples of one name across labels") {
    const std::string text =
        "# HELP orcraft_raft_commit_index x\n"
        "# TYPE orcraft_raft_commit_index gauge\n"
        "orcraft_raft_commit_index 1234\n"
        "orcraft_raft_commit_index_other 9\n"
        "orcraft_http_requests_total{route=\"execute\",status=\"200\"} 10\n"
        "orcraft_http_requests_total{route=\"query\",status=\"200\"} 5.5\n";
    CHECK(metric_value(text, "orcraft_raft_commit_index") == 1234);
    CHECK(metric_value(text, "orcraft_http_requests_total") == 15.5);
    CHECK_FALSE(metric_value(text, "orcraft_raft_term").has_value());
}

TEST_CASE("options: URL lists, workloads and refusals") {
    const char* argv[] = {"orcraft-bench",
                          "--url",
                          "http://127.0.0.1:3000,http://h:3001/orc/",
                          "--url=http://[::1]:3002",
                          "--workload",
                          "batch",
                          "--batch",
                          "7",
                          "--clients",
                          "64",
                          "--threads",
                          "2"};
    auto o = parse_options(static_cast<int>(std::size(argv)), argv);
    REQUIRE(o.urls.size() == 3);
    CHECK(o.urls[1].host == "h");
    CHECK(o.urls[1].port == 3001);
    CHECK(o.urls[1].prefix == "/orc");
    CHECK(o.urls[2].host == "::1");
    CHECK(o.workload == Workload::Batch);
    CHECK(o.batch == 7);
    CHECK(o.clients == 64);
    const char* bad[] = {"orcraft-bench", "--clients", "0"};
    CHECK_THROWS_AS(parse_options(3, bad), OptionError);
    const char* https[] = {"orcraft-bench", "--url", "https://x"};
    CHECK_THROWS_AS(parse_options(3, https), OptionError);
}

TEST_CASE("requests: unique ids, valid JSON bodies, etcd keys in base64") {
    CHECK(base64("") == "");
    CHECK(base64("f") == "Zg==");
    CHECK(base64("fo") == "Zm8=");
    CHECK(base64("foobar") == "Zm9vYmFy");

    Options o;
    o.urls.push_back(parse_url("http://127.0.0.1:3000/p"));
    o.workload = Workload::Batch;
    o.batch = 3;
    o.value_size = 10;
    RequestFactory factory(o);
    auto c0 = factory.cursor(0);
    auto c1 = factory.cursor(1);
    std::string out;
    std::vector<std::uint64_t> ids;
    factory.next(c0, o.urls[0], out, ids);
    factory.next(c1, o.urls[0], out, ids);
    factory.next(c0, o.urls[0], out, ids);
    std::sort(ids.begin(), ids.end());
    CHECK(ids.size() == 9);
    CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());

    std::string one;
    ids.clear();
    factory.next(c1, o.urls[0], one, ids);
    REQUIRE(one.rfind("POST /p/api/db/execute HTTP/1.1\r\n", 0) == 0);
    auto body = nlohmann::json::parse(one.substr(one.find("\r\n\r\n") + 4));
    auto statement = body.at("statements").at(0);
    CHECK(statement.at(0).get<std::string>().find("VALUES (?, ?), (?, ?), (?, ?)") !=
          std::string::npos);
    CHECK(statement.size() == 7);
    CHECK(statement.at(1).get<std::uint64_t>() == ids.at(0));
    CHECK(statement.at(2).get<std::string>().size() == 10);

    o.protocol = Protocol::Etcd;
    o.workload = Workload::Insert;
    RequestFactory etcd(o);
    auto c = etcd.cursor(0);
    std::string put;
    ids.clear();
    etcd.next(c, o.urls[0], put, ids);
    REQUIRE(put.rfind("POST /p/v3/kv/put HTTP/1.1\r\n", 0) == 0);
    auto put_body = nlohmann::json::parse(put.substr(put.find("\r\n\r\n") + 4));
    CHECK(put_body.at("key") == base64("bench/" + std::to_string(ids.at(0))));
}

TEST_CASE("options: request count, failover probe and metrics URLs") {
    const char* count[] = {"orcraft-bench", "--requests", "10000", "--warmup", "3"};
    auto o = parse_options(static_cast<int>(std::size(count)), count);
    CHECK(o.max_requests == 10000);
    CHECK(o.warmup_s == 0);  // a request count has no warmup

    const char* probe[] = {"orcraft-bench", "--kill-pid",           "1234", "--signal", "TERM",
                           "--metrics-url", "http://a:1,http://b:2"};
    o = parse_options(static_cast<int>(std::size(probe)), probe);
    CHECK(o.kill_pid == 1234);
    CHECK(o.kill_signal == SIGTERM);
    CHECK(o.timeout_s == 1);  // the probe's default per attempt
    REQUIRE(o.metrics_urls.size() == 2);
    CHECK(o.metrics_urls[1].port == 2);

    const char* timeout[] = {"orcraft-bench", "--kill-pid", "1234", "--timeout", "3"};
    o = parse_options(static_cast<int>(std::size(timeout)), timeout);
    CHECK(o.kill_signal == SIGKILL);
    CHECK(o.timeout_s == 3);

    const char* bad[] = {"orcraft-bench", "--signal", "HUP"};
    CHECK_THROWS_AS(parse_options(3, bad), OptionError);
}
