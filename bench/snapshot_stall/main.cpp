// orcraft-snapshot-stall-bench: how long committed entries wait while a snapshot of a large SQLite
// database is taken, with the snapshot taken in one phase on the apply thread versus begun there
// and written on the snapshot thread.
//
//   orcraft-snapshot-stall-bench [rows] [dir]
//
// Fills a SQLite database in `dir` (default: a new directory under /tmp, removed at the end) with
// `rows` rows (default 1,000,000), then runs an ApplyWorker over the SQL state machine, feeds it
// one small UPDATE entry per millisecond, and asks for a snapshot in each mode, twice. For each it
// prints the snapshot's duration (request to bytes handed over) and the longest gap between two
// applied entries from its start to 0.3 s after its end, which is how long a write waited at
// worst, next to the longest gap of the second before (no snapshot).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backend/command.hpp"
#include "backend/sql_state_machine.hpp"
#include "raft/node/address_book.hpp"
#include "raft/node/apply_worker.hpp"
#include "raft/node/proposals.hpp"
#include "storage_sqlite/sqlite_driver.hpp"

using namespace orcraft;
using Clock = std::chrono::steady_clock;

namespace {

// Forwards to the SQL state machine and notes when each batch was applied. With `two_phase`
// false it keeps the default begin_snapshot(), which takes the whole snapshot on the apply thread.
class TimedMachine final : public raft::StateMachine {
  public:
    explicit TimedMachine(backend::SqlStateMachine& sm) : sm_(sm) {}
    bool two_phase = true;
    double begin_seconds = 0;  // how long the last two-phase begin took on the apply thread

    raft::Index applied_index() override { return sm_.applied_index(); }
    std::string apply(const raft::Entry& e) override { return sm_.apply(e); }
    void apply_marker(raft::Index index, raft::Term term) override {
        sm_.apply_marker(index, term);
    }
    std::vector<std::string> apply_batch(const std::vector<raft::Entry>& entries) override {
        auto out = sm_.apply_batch(entries);
        std::lock_guard lock(mu_);
        applied_at_.push_back(Clock::now());
        return out;
    }
    std::shared_ptr<const std::string> snapshot(raft::Index& index) override {
        return sm_.snapshot(index);
    }
    std::shared_ptr<const std::string> snapshot_with_progress(raft::Index& index,
                                                              SnapshotProgress& p) override {
        return sm_.snapshot_with_progress(index, p);
    }
    std::unique_ptr<PendingSnapshot> begin_snapshot(raft::Index& index,
                                                    SnapshotProgress& p) override {
        if (two_phase) {
            const auto started = Clock::now();
            auto pending = sm_.begin_snapshot(index, p);
            begin_seconds = std::chrono::duration<double>(Clock::now() - started).count();
            return pending;
        }
        return StateMachine::begin_snapshot(index, p);
    }
    void restore(const raft::SnapshotMeta& meta, const std::string& data) override {
        sm_.restore(meta, data);
    }

    // The longest gap between two consecutive applies that ended in [from, to], counting the
    // gap that spans `from`.
    double longest_gap(Clock::time_point from, Clock::time_point to) {
        std::lock_guard lock(mu_);
        double longest = 0;
        for (std::size_t i = 1; i < applied_at_.size(); ++i) {
            if (applied_at_[i] < from || applied_at_[i - 1] > to) continue;
            longest = std::max(
                longest,
                std::chrono::duration<double>(applied_at_[i] - applied_at_[i - 1]).count());
        }
        return longest;
    }

  private:
    backend::SqlStateMachine& sm_;
    std::mutex mu_;
    std::vector<Clock::time_point> applied_at_;
};

raft::Entry update_entry(raft::Index index, std::int64_t row) {
    const backend::Stamp stamp{1700000000000000 + static_cast<std::int64_t>(index), index};
    return raft::Entry{
        index, 1, raft::EntryType::kNormal,
        backend::encode_sql_command(
            {{"UPDATE items SET n = n + 1 WHERE id = ?", {backend::Value{row}}}}, stamp)};
}

}  // namespace

int main(int argc, char** argv) {
    const std::int64_t rows = argc > 1 ? std::atoll(argv[1]) : 1000000;
    std::string dir = argc > 2 ? argv[2] : "";
    const bool own_dir = dir.empty();
    if (own_dir) {
        char tmpl[] = "/tmp/orcraft-snapshot-stall-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) return 1;
        dir = tmpl;
    }
    spdlog::set_level(spdlog::level::warn);

    storage_sqlite::SqliteOptions options;
    options.durable_commits = false;  // as in raft mode
    auto driver = std::make_shared<storage_sqlite::SqliteDriver>(dir + "/db.sqlite", options);
    backend::SqlStateMachine sm(driver);
    raft::Index index = sm.applied_index();
    if (index == 0) {
        const auto started = Clock::now();
        std::vector<raft::Entry> fill;
        fill.push_back(raft::Entry{
            ++index, 1, raft::EntryType::kNormal,
            backend::encode_sql_command({{"CREATE TABLE items (id BIGINT PRIMARY KEY, name "
                                          "VARCHAR(64) NOT NULL, n INT NOT NULL, note TEXT)",
                                          {}}},
                                        {})});
        for (std::int64_t from = 0; from < rows; from += 1000) {
            std::string sql = "INSERT INTO items (id, name, n, note) VALUES ";
            std::vector<backend::Value> params;
            for (std::int64_t id = from; id < std::min(rows, from + 1000); ++id) {
                sql += id == from ? "(?, ?, 0, ?)" : ", (?, ?, 0, ?)";
                params.emplace_back(id);
                params.emplace_back("host-" + std::to_string(id) + ".example.com");
                params.emplace_back(std::string("a note of some length for row ") +
                                    std::to_string(id));
            }
            fill.push_back(raft::Entry{++index, 1, raft::EntryType::kNormal,
                                       backend::encode_sql_command({{sql, params}}, {})});
            if (fill.size() == 100) {
                sm.apply_batch(fill);
                fill.clear();
            }
        }
        if (!fill.empty()) sm.apply_batch(fill);
        std::printf("filled %lld rows in %.1f s\n", static_cast<long long>(rows),
                    std::chrono::duration<double>(Clock::now() - started).count());
    }

    TimedMachine timed(sm);
    raft::ProposalTracker proposals;
    raft::AddressBook book;
    raft::ApplyWorkerOptions o;
    o.snapshot_threshold = 0;  // snapshots only when asked
    o.applied = index;
    o.who = "bench";
    std::promise<void>* taken = nullptr;
    std::unique_ptr<raft::ApplyWorker> worker;
    worker = std::make_unique<raft::ApplyWorker>(
        o, timed, proposals, book,
        [&](raft::Index at, std::shared_ptr<const std::string> data, double,
            std::function<void(bool, std::string)>) {
            std::printf("  snapshot at index %llu: %zu bytes\n",
                        static_cast<unsigned long long>(at), data->size());
            worker->snapshot_finished(at, false);
            taken->set_value();
        },
        [](const std::string& why) {
            std::fprintf(stderr, "state machine failed: %s\n", why.c_str());
        });

    std::atomic<bool> feeding{true};
    std::atomic<raft::Index> next{index + 1};
    std::thread feeder([&] {
        std::int64_t row = 0;
        while (feeding) {
            worker->apply({update_entry(next++, row)});
            row = (row + 7919) % rows;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });

    for (const bool two_phase : {false, true, false, true}) {
        timed.two_phase = two_phase;
        // Steady traffic first; its longest gap is the baseline without a snapshot.
        const auto quiet = Clock::now();
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
        const double baseline = timed.longest_gap(quiet, Clock::now());
        std::promise<void> done;
        taken = &done;
        const auto started = Clock::now();
        worker->snapshot_now([](bool, std::string) {});
        done.get_future().wait();
        const auto ended = Clock::now();
        // The window also covers what follows the dump (SQLite checkpoints the WAL it let grow).
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        std::printf(
            "%s: snapshot took %.3f s; longest gap between applied entries (until 0.3 s after): "
            "%.3f s (%.3f s in the second before, without a snapshot); begin on the apply "
            "thread: %.4f s\n",
            two_phase ? "two-phase" : "one-phase",
            std::chrono::duration<double>(ended - started).count(),
            timed.longest_gap(started, ended + std::chrono::milliseconds(300)), baseline,
            two_phase ? timed.begin_seconds : 0.0);
    }
    feeding = false;
    feeder.join();
    worker->stop();
    if (own_dir) std::filesystem::remove_all(dir);
    return 0;
}
