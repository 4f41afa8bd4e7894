// The apply thread's automatic snapshots: taken at the threshold while they are fast; spaced out
// once one was slow, so that a large state machine does not spend its apply thread on
// snapshots; and taken anyway once the log kept in memory grows past the pacing limit.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include "raft/node/address_book.hpp"
#include "raft/node/apply_worker.hpp"
#include "raft/node/proposals.hpp"

using namespace orcraft::raft;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

// A test clock that only moves when told to.
struct ManualClock {
    std::mutex mu;
    SteadyClock::time_point t{};
    SteadyClock::time_point now() {
        std::lock_guard lock(mu);
        return t;
    }
    void advance(SteadyClock::duration d) {
        std::lock_guard lock(mu);
        t += d;
    }
};

// A state machine whose snapshots take `snapshot_cost` of the manual clock.
class SlowSnapshotMachine final : public StateMachine {
  public:
    SlowSnapshotMachine(ManualClock& clock, SteadyClock::duration cost)
        : clock_(clock), cost_(cost) {}
    Index applied_index() override { return applied_; }
    std::string apply(const Entry& e) override {
        applied_ = e.index;
        return {};
    }
    void apply_marker(Index index, Term) override { applied_ = index; }
    std::shared_ptr<const std::string> snapshot(Index& index) override {
        clock_.advance(cost_);
        index = applied_;
        return std::make_shared<const std::string>("state");
    }
    void restore(const SnapshotMeta& meta, const std::string&) override { applied_ = meta.index; }

  private:
    ManualClock& clock_;
    SteadyClock::duration cost_;
    Index applied_ = 0;
};

std::vector<Entry> entries(Index from, Index to) {
    std::vector<Entry> out;
    for (Index i = from; i <= to; ++i)
        out.push_back(Entry{i, 1, EntryType::kNormal, "x"});
    return out;
}

// Returns once everything handed to the worker before was processed (snapshots included).
void drain(ApplyWorker& worker, Index index) {
    std::promise<void> done;
    worker.wait_read(index, [&done](bool, Index, std::string) { done.set_value(); });
    REQUIRE(done.get_future().wait_for(10s) == std::future_status::ready);
}

// An apply thread over a SlowSnapshotMachine that records the index of every snapshot taken.
struct PacedWorker {
    ManualClock clock;
    SlowSnapshotMachine sm;
    ProposalTracker proposals;
    AddressBook book;
    std::mutex mu;
    std::vector<Index> taken;
    std::unique_ptr<ApplyWorker> worker;

    PacedWorker(SteadyClock::duration snapshot_cost, ApplyWorkerOptions o)
        : sm(clock, snapshot_cost) {
        o.now = [this] { return clock.now(); };
        worker = std::make_unique<ApplyWorker>(
            o, sm, proposals, book,
            [this](Index index, std::shared_ptr<const std::string>, double,
                   std::function<void(bool, std::string)>) {
                {
                    std::lock_guard lock(mu);
                    taken.push_back(index);
                }
                worker->snapshot_finished(index, true);
            },
            [](const std::string&) {});
    }
    ~PacedWorker() { worker->stop(); }

    // Applies entries `from`..`to` and returns the snapshots taken so far.
    std::vector<Index> apply(Index from, Index to) {
        worker->apply(entries(from, to));
        drain(*worker, to);
        std::lock_guard lock(mu);
        return taken;
    }
};

}  // namespace

TEST_CASE("snapshot pacing: slow snapshots are spaced out, and bounded by the log kept",
          "[raft_node][unit]") {
    ApplyWorkerOptions o;
    o.snapshot_threshold = 10;
    o.snapshot_pace = 10;
    o.snapshot_pace_limit = 16;
    PacedWorker w(1s, o);  // every snapshot "takes" one second

    // The first snapshot comes at the threshold: nothing says yet that snapshots are slow.
    REQUIRE(w.apply(1, 10) == std::vector<Index>{10});
    // It took a second: the next waits ten seconds past it, even beyond the threshold.
    CHECK(w.apply(11, 25) == std::vector<Index>{10});
    w.clock.advance(9s);
    CHECK(w.apply(26, 26) == std::vector<Index>{10});
    w.clock.advance(1s);
    CHECK(w.apply(27, 27) == std::vector<Index>{10, 27});
    // Without time passing, 16 thresholds of entries force one: the log in memory is bounded.
    CHECK(w.apply(28, 27 + 159) == std::vector<Index>{10, 27});
    CHECK(w.apply(27 + 160, 27 + 160) == std::vector<Index>{10, 27, 27 + 160});
}

TEST_CASE("snapshot pacing: fast snapshots are taken at every threshold", "[raft_node][unit]") {
    ApplyWorkerOptions o;
    o.snapshot_threshold = 10;
    PacedWorker w(10ms, o);
    for (Index i = 1; i < 30; ++i)
        w.apply(i, i);
    CHECK(w.apply(30, 30) == std::vector<Index>{10, 20, 30});
}
