// The registry's text exposition, read back by an independent strict parser.

#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <thread>

#include "server/metrics/registry.hpp"
#include "server/metrics/text_format.hpp"
#include "tests/metrics/exposition_parser.hpp"

using namespace orcraft::server::metrics;
using orcraft::tests::ExpositionError;
using orcraft::tests::parse_exposition;

TEST_CASE("sample values in the text format", "[metrics]") {
    CHECK(format_value(0) == "0");
    CHECK(format_value(42) == "42");
    CHECK(format_value(-7) == "-7");
    CHECK(format_value(0.25) == "0.25");
    CHECK(format_value(1e-7) == "1e-07");
    CHECK(format_value(12345678901234.0) == "12345678901234");
    CHECK(format_value(INFINITY) == "+Inf");
    CHECK(format_value(-INFINITY) == "-Inf");
    CHECK(format_value(NAN) == "NaN");
    CHECK(std::stod(format_value(0.1)) == 0.1);  // reads back exactly
}

TEST_CASE("escaping of help text and label values", "[metrics]") {
    CHECK(escape_help("a\\b\nc\"d") == "a\\\\b\\nc\"d");
    CHECK(escape_label_value("a\\b\nc\"d") == "a\\\\b\\nc\\\"d");
}

TEST_CASE("names and labels are checked at registration", "[metrics]") {
    Registry r;
    CHECK_THROWS_AS(r.counter("", "x"), std::invalid_argument);
    CHECK_THROWS_AS(r.counter("1abc", "x"), std::invalid_argument);
    CHECK_THROWS_AS(r.counter("a-b", "x"), std::invalid_argument);
    CHECK_THROWS_AS(r.counter("ok_name", "x", {"__reserved"}), std::invalid_argument);
    CHECK_THROWS_AS(r.counter("ok_name2", "x", {"a", "a"}), std::invalid_argument);
    CHECK_THROWS_AS(r.counter("ok_name3", "x", {"a:b"}), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("h", "x", {1}, {"le"}), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("h2", "x", {2, 1}), std::invalid_argument);
    CHECK_NOTHROW(r.counter("ns:sub_total", "x", {"le"}));  // le is only reserved in histograms
    r.gauge("twice", "x");
    CHECK_THROWS_AS(r.gauge("twice", "x"), std::invalid_argument);
    CHECK_THROWS_AS(r.counter("twice", "x"), std::invalid_argument);
    auto& labelled = r.counter("labelled_total", "x", {"a", "b"});
    CHECK_THROWS_AS(labelled.labels({"only one"}), std::invalid_argument);
    CHECK_THROWS_AS(labelled.get(), std::invalid_argument);
}

TEST_CASE("the exposition parses and carries every value exactly", "[metrics]") {
    Registry r;
    auto& requests = r.counter("app_requests_total", "Requests by route.\nSecond line \\ done.",
                               {"route", "status"});
    auto& temperature = r.gauge("app_temperature", "A gauge without labels.").get();
    auto& latency = r.histogram("app_latency_seconds", "Latency.", {0.001, 0.01, 0.1}, {"route"});
    r.counter("app_unused_total", "A labelled family with no series yet.", {"kind"});

    const std::string weird = "quote\" backslash\\ newline\n brace} comma, equals= é";
    requests.labels({"db/execute", "200"}).inc(3);
    requests.labels({"db/execute", "503"}).inc();
    requests.labels({weird, "200"}).inc(7);
    temperature.set(-1.5);
    auto& fast = latency.labels({"a"});
    for (double v : {0.0005, 0.001, 0.005, 0.05, 2.0})
        fast.observe(v);
    latency.labels({"b"});  // a series with no observations

    const auto text = r.expose();
    INFO(text);
    const auto parsed = parse_exposition(text);

    REQUIRE(parsed.families.count("app_requests_total") == 1);
    const auto& family = parsed.families.at("app_requests_total");
    CHECK(family.type == "counter");
    CHECK(family.help == "Requests by route.\nSecond line \\ done.");
    CHECK(parsed.value("app_requests_total", {{"route", "db/execute"}, {"status", "200"}}) == 3);
    CHECK(parsed.value("app_requests_total", {{"route", "db/execute"}, {"status", "503"}}) == 1);
    CHECK(parsed.value("app_requests_total", {{"route", weird}, {"status", "200"}}) == 7);
    CHECK(parsed.value("app_temperature") == -1.5);
    CHECK(parsed.families.at("app_temperature").type == "gauge");
    CHECK(parsed.families.at("app_unused_total").samples.empty());

    CHECK(parsed.families.at("app_latency_seconds").type == "histogram");
    CHECK(parsed.value("app_latency_seconds_bucket", {{"route", "a"}, {"le", "0.001"}}) == 2);
    CHECK(parsed.value("app_latency_seconds_bucket", {{"route", "a"}, {"le", "0.01"}}) == 3);
    CHECK(parsed.value("app_latency_seconds_bucket", {{"route", "a"}, {"le", "0.1"}}) == 4);
    CHECK(parsed.value("app_latency_seconds_bucket", {{"route", "a"}, {"le", "+Inf"}}) == 5);
    CHECK(parsed.value("app_latency_seconds_count", {{"route", "a"}}) == 5);
    CHECK(parsed.value("app_latency_seconds_sum", {{"route", "a"}}) ==
          Approx(0.0005 + 0.001 + 0.005 + 0.05 + 2.0));
    CHECK(parsed.value("app_latency_seconds_count", {{"route", "b"}}) == 0);
    CHECK(parsed.value("app_latency_seconds_bucket", {{"route", "b"}, {"le", "+Inf"}}) == 0);
}

TEST_CASE("the parser rejects what the format forbids", "[metrics]") {
    const auto rejects = [](const std::string& text) {
        INFO(text);
        CHECK_THROWS_AS(parse_exposition(text), ExpositionError);
    };
    rejects("x 1\n");                                                       // no TYPE
    rejects("# TYPE x counter\nx{a=\"b} 1\n");                              // unterminated value
    rejects("# TYPE x counter\nx{a=\"\\t\"} 1\n");                          // unknown escape
    rejects("# TYPE x counter\nx one\n");                                   // not a number
    rejects("# TYPE x counter\nx 1");                                       // no final line feed
    rejects("# TYPE x counter\n# TYPE x counter\nx 1\n");                   // TYPE twice
    rejects("# TYPE x counter\n# TYPE y gauge\nx 1\ny 1\nx{a=\"1\"} 1\n");  // not contiguous
    rejects("# TYPE x counter\nx 1\nx 2\n");                                // duplicate series
    rejects("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n");  // no +Inf
    rejects(
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n");
    rejects(
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n");
    CHECK_NOTHROW(parse_exposition(
        "# a comment\n# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
        "h_bucket{le=\"+Inf\"} 2\nh_sum 1.5\nh_count 2\n\n# TYPE g gauge\ng{a=\"x\",} -Inf 123\n"));
}

TEST_CASE("scrape hooks run before rendering and stop when their handle goes", "[metrics]") {
    Registry r;
    auto& g = r.gauge("source_value", "Read from elsewhere at scrape time.").get();
    int calls = 0;
    {
        auto hook = r.on_scrape([&] { g.set(++calls * 10); });
        CHECK(parse_exposition(r.expose()).value("source_value") == 10);
        CHECK(parse_exposition(r.expose()).value("source_value") == 20);
        ScrapeHook moved = std::move(hook);
        CHECK(parse_exposition(r.expose()).value("source_value") == 30);
    }
    CHECK(parse_exposition(r.expose()).value("source_value") == 30);
    CHECK(calls == 3);
}

TEST_CASE("a failing scrape hook leaves the rest of the exposition intact", "[metrics]") {
    Registry r;
    auto& g = r.gauge("good", "x").get();
    auto bad = r.on_scrape([] { throw std::runtime_error("source unavailable"); });
    auto good = r.on_scrape([&] { g.set(1); });
    CHECK(parse_exposition(r.expose()).value("good") == 1);
}

TEST_CASE("exposition while other threads create series and update them", "[metrics]") {
    Registry r;
    auto& family = r.counter("busy_total", "x", {"worker", "n"});
    auto& histogram = r.histogram("busy_seconds", "x", {0.1, 1}, {"worker"});
    std::atomic<bool> stop{false};
    std::vector<std::thread> workers;
    for (int w = 0; w < 2; ++w) {
        workers.emplace_back([&, w] {
            const std::string worker = std::to_string(w);
            for (int i = 0; !stop.load(); ++i) {
                family.labels({worker, std::to_string(i % 50)}).inc();
                histogram.labels({worker}).observe(0.5);
            }
        });
    }
    for (int i = 0; i < 50; ++i)
        CHECK_NOTHROW(parse_exposition(r.expose()));
    stop = true;
    for (auto& w : workers)
        w.join();
}
