// Two-phase snapshots on the apply thread: the state machine's PendingSnapshot::write() runs on
// the snapshot thread while entries keep being applied; a failing write is not fatal; stop() and
// installing a received snapshot abandon a write that is still running.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "polling.hpp"
#include "raft/node/address_book.hpp"
#include "raft/node/apply_worker.hpp"
#include "raft/node/proposals.hpp"

using namespace orcraft::raft;
using namespace std::chrono_literals;
using orcraft::tests::eventually;

namespace {

// A state machine whose state is its applied index. Its snapshots are two-phase: begin records
// the index, and write() blocks until the test releases it (or the runtime cancels it), then
// returns "state at <index>" or throws when told to fail.
class GatedStateMachine final : public StateMachine {
  public:
    Index applied_index() override { return applied_.load(); }
    std::string apply(const Entry& e) override {
        applied_ = e.index;
        return {};
    }
    void apply_marker(Index index, Term) override { applied_ = index; }
    std::shared_ptr<const std::string> snapshot(Index& index) override {
        index = applied_;
        return std::make_shared<const std::string>(state_at(index));
    }
    void restore(const SnapshotMeta& meta, const std::string&) override {
        {
            std::lock_guard lock(mu_);
            restored_during_write_ = restored_during_write_ || writing_;
        }
        applied_ = meta.index;
    }

    std::unique_ptr<PendingSnapshot> begin_snapshot(Index& index, SnapshotProgress&) override {
        index = applied_;
        std::lock_guard lock(mu_);
        ++begun_;
        return std::make_unique<Gated>(*this, index, fail_next_);
    }

    static std::string state_at(Index index) { return "state at " + std::to_string(index); }

    // The next write() throws instead of returning bytes.
    void fail_next_write() {
        std::lock_guard lock(mu_);
        fail_next_ = true;
    }
    // Lets the write() that is waiting (or the next one) go on.
    void release() {
        std::lock_guard lock(mu_);
        ++releases_;
        cv_.notify_all();
    }
    int begun() {
        std::lock_guard lock(mu_);
        return begun_;
    }
    bool writing() {
        std::lock_guard lock(mu_);
        return writing_;
    }
    int cancelled() {
        std::lock_guard lock(mu_);
        return cancelled_;
    }
    bool restored_during_write() {
        std::lock_guard lock(mu_);
        return restored_during_write_;
    }

  private:
    class Gated final : public PendingSnapshot {
      public:
        Gated(GatedStateMachine& sm, Index index, bool& fail) : sm_(sm), index_(index) {
            fail_ = fail;
            fail = false;
        }
        std::shared_ptr<const std::string> write(SnapshotProgress&) override {
            std::unique_lock lock(sm_.mu_);
            sm_.writing_ = true;
            sm_.cv_.wait(lock, [&] { return sm_.releases_ > 0 || cancel_; });
            sm_.writing_ = false;
            if (cancel_) {
                ++sm_.cancelled_;
                throw std::runtime_error("cancelled");
            }
            --sm_.releases_;
            if (fail_) throw std::runtime_error("disk on fire");
            return std::make_shared<const std::string>(state_at(index_));
        }
        void cancel() override {
            std::lock_guard lock(sm_.mu_);
            cancel_ = true;
            sm_.cv_.notify_all();
        }

      private:
        GatedStateMachine& sm_;
        Index index_;
        bool fail_ = false;
        bool cancel_ = false;  // guarded by sm_.mu_
    };

    std::atomic<Index> applied_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    int begun_ = 0;
    int releases_ = 0;
    int cancelled_ = 0;
    bool writing_ = false;
    bool fail_next_ = false;
    bool restored_during_write_ = false;
};

std::vector<Entry> entries(Index from, Index to) {
    std::vector<Entry> out;
    for (Index i = from; i <= to; ++i)
        out.push_back(Entry{i, 1, EntryType::kNormal, "x"});
    return out;
}

struct Taken {
    Index index = 0;
    std::string state;
};

// An ApplyWorker over a GatedStateMachine that records every snapshot handed to the loop, and
// finishes it at once as the loop would.
struct Harness {
    GatedStateMachine sm;
    ProposalTracker proposals;
    AddressBook book;
    std::mutex mu;
    std::vector<Taken> taken;
    std::optional<std::string> failure;
    std::unique_ptr<ApplyWorker> worker;

    explicit Harness(std::uint64_t threshold) {
        ApplyWorkerOptions o;
        o.snapshot_threshold = threshold;
        o.who = "test";
        o.slow_snapshot_seconds = 1e9;  // no pacing: snapshots come at every threshold
        worker = std::make_unique<ApplyWorker>(
            o, sm, proposals, book,
            [this](Index index, std::shared_ptr<const std::string> data, double,
                   std::function<void(bool, std::string)> done) {
                auto parts = unframe_snapshot(*data);
                {
                    std::lock_guard lock(mu);
                    taken.push_back(Taken{index, parts ? std::string(parts->state) : "?"});
                }
                worker->snapshot_finished(index, true);
                if (done) done(true, "taken");
            },
            [this](const std::string& why) {
                std::lock_guard lock(mu);
                failure = why;
            });
    }
    ~Harness() {
        sm.release();  // a write still waiting must not hold stop() up
        worker->stop();
    }

    std::vector<Taken> snapshots() {
        std::lock_guard lock(mu);
        return taken;
    }
    bool applied(Index index) {
        return eventually(
            10s, [&] { return worker->applied() >= index; }, 1ms);
    }
};

// A snapshot_now() whose outcome the test can wait for.
struct Request {
    std::promise<std::pair<bool, std::string>> promise;
    std::future<std::pair<bool, std::string>> future = promise.get_future();
    std::function<void(bool, std::string)> done() {
        return [this](bool ok, std::string message) { promise.set_value({ok, message}); };
    }
    std::pair<bool, std::string> get() {
        REQUIRE(future.wait_for(10s) == std::future_status::ready);
        return future.get();
    }
};

}  // namespace

TEST_CASE("background snapshots: entries keep being applied while a snapshot is written",
          "[raft_node][unit]") {
    Harness h(10);
    h.worker->apply(entries(1, 10));
    REQUIRE(eventually(
        10s, [&] { return h.sm.writing(); }, 1ms));
    CHECK(h.sm.begun() == 1);

    // The write is blocked; the apply thread is not.
    h.worker->apply(entries(11, 45));
    REQUIRE(h.applied(45));
    CHECK(h.sm.writing());
    CHECK(h.snapshots().empty());
    // One snapshot at a time: the thresholds passed meanwhile started no other.
    CHECK(h.sm.begun() == 1);

    h.sm.release();
    REQUIRE(eventually(
        10s, [&] { return !h.snapshots().empty(); }, 1ms));
    const auto taken = h.snapshots();
    CHECK(taken.front().index == 10);
    CHECK(taken.front().state == GatedStateMachine::state_at(10));

    // The next threshold starts the next snapshot, at the index reached by then.
    h.worker->apply(entries(46, 46));
    REQUIRE(eventually(
        10s, [&] { return h.sm.begun() == 2; }, 1ms));
    h.sm.release();
    REQUIRE(eventually(
        10s, [&] { return h.snapshots().size() == 2; }, 1ms));
    CHECK(h.snapshots()[1].index == 46);
    CHECK(h.snapshots()[1].state == GatedStateMachine::state_at(46));
}

TEST_CASE("background snapshots: a failing write is not fatal and the next snapshot succeeds",
          "[raft_node][unit]") {
    Harness h(10);
    h.sm.fail_next_write();
    h.worker->apply(entries(1, 10));
    REQUIRE(eventually(
        10s, [&] { return h.sm.writing(); }, 1ms));
    h.sm.release();
    // A snapshot_now() asked while that write runs waits for it, then gets a snapshot of its own.
    Request asked;
    h.worker->snapshot_now(asked.done());
    REQUIRE(eventually(
        10s, [&] { return h.sm.begun() == 2; }, 1ms));
    CHECK_FALSE(h.worker->failed());
    h.sm.release();
    CHECK(asked.get().first);
    REQUIRE(h.snapshots().size() == 1);
    CHECK(h.snapshots()[0].index == 10);

    // A snapshot_now() caller hears of a failed write.
    h.sm.fail_next_write();
    Request failing;
    h.worker->snapshot_now(failing.done());
    REQUIRE(eventually(
        10s, [&] { return h.sm.writing(); }, 1ms));
    h.sm.release();
    const auto outcome = failing.get();
    CHECK_FALSE(outcome.first);
    CHECK(outcome.second.find("disk on fire") != std::string::npos);

    // Automatic snapshots go on: the node keeps applying and snapshotting.
    h.worker->apply(entries(11, 30));
    REQUIRE(h.applied(30));
    REQUIRE(eventually(
        10s, [&] { return h.sm.writing(); }, 1ms));
    h.sm.release();
    REQUIRE(eventually(
        10s, [&] { return h.snapshots().size() == 2; }, 1ms));
    CHECK(h.snapshots()[1].index >= 20);
    CHECK_FALSE(h.worker->failed());
    std::lock_guard lock(h.mu);
    CHECK_FALSE(h.failure.has_value());
}

TEST_CASE("background snapshots: stop abandons a write that is still running",
          "[raft_node][unit]") {
    Harness h(0);  // no automatic snapshots
    Request asked;
    h.worker->apply(entries(1, 5));
    h.worker->snapshot_now(asked.done());
    REQUIRE(eventually(
        10s, [&] { return h.sm.writing(); }, 1ms));
    // A second request waits behind the running one.
    Request queued;
    h.worker->snapshot_now(queued.done());
    h.worker->stop();
    CHECK(h.sm.cancelled() == 1);
    CHECK_FALSE(asked.get().first);
    CHECK_FALSE(queued.get().first);
    CHECK(h.snapshots().empty());
    CHECK(h.worker->applied() == 5);
}

TEST_CASE("background snapshots: installing a received snapshot abandons the running write",
          "[raft_node][unit]") {
    Harness h(0);
    h.worker->apply(entries(1, 5));
    Request asked;
    h.worker->snapshot_now(asked.done());
    REQUIRE(eventually(
        10s, [&] { return h.sm.writing(); }, 1ms));

    Snapshot received;
    received.meta = SnapshotMeta{100, 2, {}};
    received.data = std::make_shared<const std::string>(frame_snapshot({}, "received"));
    h.worker->install(received);
    REQUIRE(eventually(
        10s, [&] { return h.worker->snapshots_installed() == 1; }, 1ms));
    CHECK(h.worker->applied() == 100);
    CHECK(h.sm.cancelled() == 1);
    CHECK_FALSE(h.sm.restored_during_write());
    const auto outcome = asked.get();
    CHECK_FALSE(outcome.first);
    CHECK(outcome.second.find("abandoned") != std::string::npos);

    // The node goes on from the installed state, snapshots included.
    h.worker->apply(entries(101, 103));
    REQUIRE(h.applied(103));
    Request next;
    h.worker->snapshot_now(next.done());
    REQUIRE(eventually(
        10s, [&] { return h.sm.writing(); }, 1ms));
    h.sm.release();
    CHECK(next.get().first);
    REQUIRE(h.snapshots().size() == 1);
    CHECK(h.snapshots()[0].index == 103);
    CHECK(h.snapshots()[0].state == GatedStateMachine::state_at(103));
}
