// SharedBackendService opening its connections in the background: an opener that fails until the
// test lets it succeed, an in-memory lease store and a driver that records what it runs.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <thread>

#include "backend/shared_backend_service.hpp"
#include "fake_lease_store.hpp"
#include "tests/polling.hpp"

using namespace std::chrono_literals;
using orcraft::tests::always_for;
using orcraft::tests::eventually;
using namespace orcraft::backend;
using orcraft::tests::FakeLeaseStore;

namespace {

using Clock = std::chrono::steady_clock;

// A driver that accepts every batch (one affected row per statement) and answers every query
// with no result sets.
class RecordingDriver final : public Driver {
  public:
    explicit RecordingDriver(std::atomic<int>& batches) : batches_(batches) {}
    std::string_view kind() const override { return "fake"; }
    BatchOutcome execute(const std::vector<Statement>& batch, const Stamp&,
                         std::uint64_t) override {
        ++batches_;
        BatchOutcome out;
        out.results.assign(batch.size(), ExecResult{1, 0});
        return out;
    }
    std::vector<QueryResult> query(const std::vector<Statement>&) override { return {}; }
    std::uint64_t applied_index() override { return 0; }

  private:
    std::atomic<int>& batches_;
};

// The database as the opener sees it: down (every attempt throws) until `up` is set.
struct Backend {
    std::atomic<bool> up{false};
    std::atomic<bool> bad_settings{false};
    std::atomic<int> attempts{0};
    std::atomic<int> batches{0};

    SharedBackendOpener opener() {
        return [this] {
            ++attempts;
            if (bad_settings) throw SharedBackendSettingsError("MySQL error 1045: access denied");
            if (!up) throw BackendError("MySQL error 2002: connection refused");
            SharedBackendConnections c;
            c.data = std::make_unique<RecordingDriver>(batches);
            c.lease = std::make_unique<FakeLeaseStore>([] { return Clock::now(); });
            return c;
        };
    }
};

SharedBackendOptions fast_options() {
    SharedBackendOptions o;
    o.hostname = "node";
    o.token = "token";
    o.reader_threads = 1;
    o.lease = 5s;
    o.tick = 20ms;
    o.open_retry_max = 80ms;
    o.random = [] { return std::uint64_t{7}; };
    return o;
}

ExecuteReply write(SharedBackendService& s) {
    std::promise<ExecuteReply> p;
    s.execute({Statement{"CREATE TABLE t (id INTEGER PRIMARY KEY)", {}}},
              [&p](ExecuteReply r) { p.set_value(std::move(r)); });
    return p.get_future().get();
}

QueryReply read(SharedBackendService& s) {
    std::promise<QueryReply> p;
    s.query({Statement{"SELECT 1", {}}}, ReadLevel::None,
            [&p](QueryReply r) { p.set_value(std::move(r)); });
    return p.get_future().get();
}

ElectionReply grab(SharedBackendService& s) {
    std::promise<ElectionReply> p;
    s.grab_election([&p](ElectionReply r) { p.set_value(std::move(r)); });
    return p.get_future().get();
}

}  // namespace

TEST_CASE("a shared-backend node whose database is down serves as unhealthy, then recovers",
          "[shared_backend_service]") {
    Backend db;
    SharedBackendService service(db.opener(), fast_options());
    REQUIRE(eventually(5s, [&] { return db.attempts >= 3; }));

    auto s = service.status();
    CHECK_FALSE(s.healthy);
    CHECK_FALSE(s.is_leader);
    CHECK(s.mode == "shared-backend");
    CHECK(s.error.find("shared backend unavailable") != std::string::npos);
    CHECK(s.error.find("connection refused") != std::string::npos);

    auto w = write(service);
    CHECK(w.failure == Failure::NotLeader);
    CHECK(w.error.find("connection refused") != std::string::npos);
    auto q = read(service);
    CHECK(q.failure == Failure::NotLeader);
    CHECK(q.error.find("connection refused") != std::string::npos);
    CHECK_FALSE(grab(service).ok);
    CHECK(db.batches == 0);

    db.up = true;
    REQUIRE(eventually(5s, [&] {
        auto st = service.status();
        return st.healthy && st.is_leader;
    }));
    CHECK(service.status().error.empty());
    w = write(service);
    CHECK(w.failure == Failure::None);
    CHECK(w.results.size() == 1);
    CHECK(db.batches == 1);
    CHECK(read(service).failure == Failure::None);
}

TEST_CASE("attempts to open back off up to the configured bound", "[shared_backend_service]") {
    Backend db;
    const auto started = Clock::now();
    SharedBackendService service(db.opener(), fast_options());
    REQUIRE(eventually(5s, [&] { return db.attempts >= 5; }));
    const auto waited = Clock::now() - started;
    const int attempts = db.attempts;
    // Waits of 20, 40, 80, 80, ... ms: a load can only make attempts rarer, so this bound holds
    // (without the backoff, 20 ms apart, there would be about four times as many).
    CHECK(attempts <= 3 + static_cast<int>(waited / 80ms) + 1);
    service.stop();
    const int after_stop = db.attempts;
    CHECK(service.status().error.find("connection refused") != std::string::npos);
    CHECK(db.attempts == after_stop);
}

TEST_CASE("settings that cannot work are retried too, and stop() ends the retries",
          "[shared_backend_service]") {
    Backend db;
    db.bad_settings = true;
    SharedBackendService service(db.opener(), fast_options());
    REQUIRE(eventually(5s, [&] { return db.attempts >= 2; }));
    CHECK(service.status().error.find("1045") != std::string::npos);
    const auto stopping = Clock::now();
    service.stop();
    CHECK(Clock::now() - stopping < 1s);
    const int attempts = db.attempts;
    CHECK(write(service).failure != Failure::None);
    CHECK(db.attempts == attempts);
}
