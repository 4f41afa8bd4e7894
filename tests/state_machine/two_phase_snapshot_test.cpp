// Two-phase snapshots of the SQL state machine (begin_snapshot on the apply thread, write() on
// another): the bytes are exactly those of the one-phase snapshot at the index where the
// snapshot began, however much was applied while it was written, on every backend.

#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "backend/command.hpp"
#include "backend/command_bytes.hpp"
#include "backend/snapshot_format.hpp"
#include "backend/sql_state_machine.hpp"
#include "tests/state_machine/backends.hpp"

using namespace orcraft::backend;
using orcraft::raft::Entry;
using orcraft::raft::Index;
using orcraft::raft::StateMachine;
using orcraft::state_machine_test::fresh_driver;
using orcraft::state_machine_test::sql_entry;
using orcraft::state_machine_test::TempDir;

namespace {

struct CountingProgress final : StateMachine::SnapshotProgress {
    std::atomic<int> reports{0};
    void report(std::uint64_t, std::uint64_t) override { ++reports; }
};

Stamp stamp_of(Index i) {
    return Stamp{1700000000000000 + 1000000 * static_cast<std::int64_t>(i), i};
}

void apply_ok(SqlStateMachine& sm, Index index, std::vector<Statement> batch) {
    const ApplyResult r =
        decode_result(sm.apply(sql_entry(index, std::move(batch), stamp_of(index))));
    INFO("entry " << index << ": " << (r.error ? r.error->message : std::string()));
    REQUIRE(r.kind == ApplyResult::Kind::kBatch);
    REQUIRE_FALSE(r.error);
}

// Tables of several kinds (AUTO_INCREMENT, composite key, blobs, NULLs) with enough rows for
// several pages of a MySQL dump. Returns the last index.
Index fill(SqlStateMachine& sm) {
    Index i = 0;
    apply_ok(sm, ++i,
             {{"CREATE TABLE hosts (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) "
               "NOT NULL, port SMALLINT UNSIGNED NOT NULL DEFAULT 3306, seen DATETIME NOT NULL "
               "DEFAULT CURRENT_TIMESTAMP, note TEXT, UNIQUE KEY name_port (name, port))",
               {}},
              {"CREATE TABLE pairs (a INT NOT NULL, b VARCHAR(8) NOT NULL, c MEDIUMBLOB, "
               "PRIMARY KEY (a, b))",
               {}}});
    for (int chunk = 0; chunk < 5; ++chunk) {
        std::string hosts = "INSERT INTO hosts (name, port, note) VALUES ";
        std::string pairs = "INSERT INTO pairs (a, b, c) VALUES ";
        std::vector<Value> hp;
        std::vector<Value> pp;
        for (int k = 0; k < 500; ++k) {
            const int n = chunk * 500 + k;
            hosts += k == 0 ? "(?, ?, ?)" : ", (?, ?, ?)";
            hp.push_back(Value{"host" + std::to_string(n)});
            hp.push_back(Value{std::int64_t{3306 + n % 3}});
            if (n % 5 == 0) {
                hp.emplace_back();
            } else {
                hp.emplace_back(std::string(static_cast<std::size_t>(n % 40), 'n'));
            }
            pairs += k == 0 ? "(?, ?, ?)" : ", (?, ?, ?)";
            pp.push_back(Value{std::int64_t{n % 7 - 3}});
            pp.push_back(Value{"k" + std::to_string(n)});
            pp.push_back(Value{Blob{std::string(static_cast<std::size_t>(n % 9), '\0') + "z"}});
        }
        apply_ok(sm, ++i, {{hosts, hp}, {pairs, pp}});
    }
    apply_ok(sm, ++i, {{"DELETE FROM hosts WHERE id > 2490", {}}});
    return i;
}

}  // namespace

TEST_CASE(
    "state_machine: a two-phase snapshot written after more entries is the one-phase "
    "snapshot at its index",
    "[snapshot]") {
    const auto kind = GENERATE(from_range(orcraft::state_machine_test::backend_kinds()));
    INFO(kind);
    TempDir dir;
    auto driver = fresh_driver(kind, dir, "two_phase");
    if (!driver) return;
    SqlStateMachine sm(driver);
    const Index n = fill(sm);

    Index one_phase_index = 0;
    const auto one_phase = sm.snapshot(one_phase_index);
    REQUIRE(one_phase_index == n);
    const ChecksumState checksum_at_n = sm.checksum();

    CountingProgress progress;
    Index index = 0;
    auto pending = sm.begin_snapshot(index, progress);
    REQUIRE(index == n);
    REQUIRE_FALSE(pending->complete());

    // Applied before the write starts: inserts, updates, deletes, a new table.
    Index i = n;
    apply_ok(sm, ++i, {{"INSERT INTO hosts (name) VALUES ('late1'), ('late2')", {}}});
    apply_ok(sm, ++i, {{"UPDATE pairs SET c = NULL WHERE a = 0", {}}});
    apply_ok(sm, ++i, {{"DELETE FROM hosts WHERE id < 100", {}}});
    apply_ok(
        sm, ++i,
        {{"CREATE TABLE later (id INT PRIMARY KEY)", {}}, {"INSERT INTO later VALUES (1)", {}}});

    // And while it is written, on another thread: DML, and DDL on a table being dumped (on
    // MySQL that waits until the dump's transaction ends).
    std::shared_ptr<const std::string> two_phase;
    // Written after a frame, as the runtime does: the snapshot follows the frame unchanged.
    const std::string frame = "runtime frame";
    std::thread writer([&] { two_phase = pending->write_after(frame, progress); });
    for (int k = 0; k < 20; ++k) {
        apply_ok(sm, ++i,
                 {{"UPDATE hosts SET note = ? WHERE id = ?",
                   {Value{"changed " + std::to_string(k)}, Value{std::int64_t{100 + k}}}}});
    }
    apply_ok(sm, ++i, {{"ALTER TABLE pairs ADD COLUMN d INT NOT NULL DEFAULT 4", {}}});
    writer.join();
    pending.reset();

    REQUIRE(two_phase);
    REQUIRE(two_phase->starts_with(frame));
    const std::string_view unframed = std::string_view(*two_phase).substr(frame.size());
    CHECK(unframed == *one_phase);
    const SnapshotTrailer trailer = verify_snapshot(unframed);
    CHECK(trailer.applied_index == n);
    CHECK(trailer.checksum == checksum_at_n);
    CHECK(progress.reports > 0);
    CHECK(sm.applied_index() == i);
    CHECK(sm.checksum().index == i);

    // A snapshot begun now is at the new index, and differs.
    Index now_index = 0;
    auto now = sm.begin_snapshot(now_index, progress)->write(progress);
    CHECK(now_index == i);
    CHECK(*now != *one_phase);
    Index check_index = 0;
    CHECK(*sm.snapshot(check_index) == *now);
}

TEST_CASE(
    "state_machine: a cancelled two-phase snapshot throws and leaves the state machine as "
    "it was",
    "[snapshot]") {
    const auto kind = GENERATE(from_range(orcraft::state_machine_test::backend_kinds()));
    INFO(kind);
    TempDir dir;
    auto driver = fresh_driver(kind, dir, "two_phase_cancel");
    if (!driver) return;
    SqlStateMachine sm(driver);
    const Index n = fill(sm);

    CountingProgress progress;
    Index index = 0;
    auto pending = sm.begin_snapshot(index, progress);
    pending->cancel();
    CHECK_THROWS_WITH(pending->write(progress), Catch::Contains("cancelled"));
    pending.reset();

    // Nothing held back: entries apply (DDL included), and the next snapshot works.
    apply_ok(sm, n + 1, {{"ALTER TABLE pairs ADD COLUMN d INT NOT NULL DEFAULT 4", {}}});
    Index again = 0;
    const auto data = sm.begin_snapshot(again, progress)->write(progress);
    CHECK(again == n + 1);
    CHECK(verify_snapshot(*data).applied_index == n + 1);
}

namespace {

// A driver without rows: it records indexes, dumps nothing in one step, and, when `refuse` is
// set, cannot begin a two-phase dump.
class OnePhaseDriver final : public Driver {
  public:
    explicit OnePhaseDriver(bool refuse) : refuse_(refuse) {}
    std::string_view kind() const override { return "sqlite"; }
    BatchOutcome execute(const std::vector<Statement>&, const Stamp&,
                         std::uint64_t index) override {
        applied_ = index;
        return {};
    }
    std::vector<QueryResult> query(const std::vector<Statement>&) override { return {}; }
    std::uint64_t applied_index() override { return applied_; }
    std::uint64_t dump(SnapshotWriter&) override { return applied_; }
    std::unique_ptr<PendingDump> begin_dump() override {
        if (refuse_) throw BackendError("no session for the snapshot");
        return nullptr;
    }

  private:
    bool refuse_;
    std::uint64_t applied_ = 0;
};

}  // namespace

TEST_CASE(
    "state_machine: a driver without two-phase dumps snapshots in one step, and one that "
    "cannot begin fails that snapshot only",
    "[snapshot]") {
    CountingProgress progress;
    {
        SqlStateMachine sm(std::make_shared<OnePhaseDriver>(false));
        sm.apply_marker(3, 1);
        Index index = 0;
        auto pending = sm.begin_snapshot(index, progress);
        CHECK(index == 3);
        CHECK(pending->complete());
        Index one_phase_index = 0;
        CHECK(*pending->write(progress) == *sm.snapshot(one_phase_index));
    }
    {
        SqlStateMachine sm(std::make_shared<OnePhaseDriver>(true));
        sm.apply_marker(5, 1);
        Index index = 0;
        auto pending = sm.begin_snapshot(index, progress);
        CHECK(index == 5);
        CHECK_FALSE(pending->complete());
        CHECK_THROWS_WITH(pending->write(progress), Catch::Contains("no session"));
        // The state machine goes on.
        sm.apply_marker(6, 1);
        CHECK(sm.applied_index() == 6);
    }
}
