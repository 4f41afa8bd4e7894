// Queries: one consistent state per query, and readers during a write see it whole or not at all.

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/conformance/harness.hpp"

using namespace orcraft::conformance;

TEST_CASE("a query refuses writes and schema changes", "[conformance][readers]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (a INT)");
    auto& d = db.driver();
    CHECK_THROWS_AS(d.query({st("INSERT INTO t (a) VALUES (1)")}),
                    orcraft::backend::StatementQueryError);
    CHECK_THROWS_AS(d.query({st("DROP TABLE t")}), orcraft::backend::StatementQueryError);
    CHECK(db.rows("SELECT a FROM t").empty());
}

TEST_CASE("a query error names the failing statement", "[conformance][readers]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (a INT)");
    try {
        db.driver().query({st("SELECT a FROM t"), st("SELECT nope FROM t")});
        FAIL("no error");
    } catch (const orcraft::backend::StatementQueryError& e) {
        CHECK(e.statement() == 1);
    }
}

TEST_CASE("several statements of one query see one state", "[conformance][readers]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY)");
    db.ok1("INSERT INTO t VALUES (1), (2)");
    const auto r = db.driver().query(
        {st("SELECT COUNT(*) FROM t"), st("SELECT id FROM t WHERE id > ? ORDER BY id", {I(1)})});
    REQUIRE(r.size() == 2);
    CHECK(r[0].rows == std::vector<Row>{{I(2)}});
    CHECK(r[1].rows == std::vector<Row>{{I(2)}});
}

TEST_CASE("readers during a large write see the state before or after, never half",
          "[conformance][readers]") {
    OPEN_DB();
    db.ok1("CREATE TABLE t (id INT PRIMARY KEY, grp INT NOT NULL)");
    auto& d = db.driver();
    constexpr int kBatches = 6;
    constexpr int kRows = 2000;
    std::atomic<bool> done{false};
    std::atomic<int> bad{0};
    std::atomic<int> reads{0};
    std::atomic<int> errors{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 3; ++r) {
        readers.emplace_back([&] {
            while (!done.load()) {
                try {
                    // Each batch adds exactly kRows rows of one group: any count that is not a
                    // multiple of kRows, or a group seen partly, is a torn read.
                    const auto res = d.query({st("SELECT COUNT(*) FROM t"),
                                              st("SELECT grp, COUNT(*) FROM t GROUP BY grp")});
                    const auto total = std::get<std::int64_t>(res[0].rows.at(0).at(0));
                    std::int64_t sum = 0;
                    for (const auto& row : res[1].rows) {
                        const auto n = std::get<std::int64_t>(row.at(1));
                        sum += n;
                        if (n != kRows) {
                            ++bad;
                        }
                    }
                    if (total % kRows != 0 || sum != total) {
                        ++bad;
                    }
                    ++reads;
                } catch (const std::exception&) {
                    ++errors;
                }
            }
        });
    }
    for (int b = 0; b < kBatches; ++b) {
        std::vector<orcraft::backend::Statement> batch;
        for (int i = 0; i < kRows; ++i) {
            batch.push_back(st("INSERT INTO t (id, grp) VALUES (?, ?)", {I(b * kRows + i), I(b)}));
        }
        db.ok(batch);
    }
    // Let the readers observe the final state at least a few times before stopping.
    const int target = reads.load() + 6;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (reads.load() < target && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
    }
    done = true;
    for (auto& t : readers) {
        t.join();
    }
    CHECK(bad.load() == 0);
    CHECK(errors.load() == 0);
    CHECK(reads.load() >= 6);
    CHECK(db.one("SELECT COUNT(*) FROM t") == I(kBatches * kRows));
}
