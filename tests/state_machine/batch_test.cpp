// SqlStateMachine::apply_batch: a run of entries applied as one driver apply group gives exactly
// what applying them one by one gives (results, rows, applied index, result checksum), on every
// backend, including what command handlers read; a group that fails part way leaves the
// backend at the state before the group.

#include <catch2/catch.hpp>

#include <stdexcept>

#include "backend/command.hpp"
#include "backend/sql_state_machine.hpp"
#include "tests/state_machine/backends.hpp"

using namespace orcraft::backend;
using orcraft::raft::Entry;
using orcraft::raft::EntryType;
using orcraft::state_machine_test::entry;
using orcraft::state_machine_test::sql_entry;
using orcraft::state_machine_test::TempDir;

namespace {

const Stamp kStamp{1700000000000000, 42};

void register_commands(SqlStateMachine& sm, bool& fail_hard) {
    sm.register_command("add-host", [&fail_hard](Driver& d, const Stamp& stamp, std::uint64_t index,
                                                 const std::string& payload) {
        if (payload.empty()) throw CommandRejected("add-host needs a host name");
        if (fail_hard) throw std::runtime_error("the handler broke");
        // Reads what earlier entries wrote, also those of the same, still open, apply group.
        const auto found =
            d.query({{"SELECT COUNT(*) FROM hosts WHERE name = ?", {Value{payload}}}});
        if (found[0].rows[0][0] != Value{std::int64_t{0}}) return std::string("exists");
        const BatchOutcome out =
            run_sql(d, stamp, index,
                    {{"INSERT INTO hosts (name, seen) VALUES (?, NOW())", {Value{payload}}}});
        return std::string(out.error ? "duplicate" : "added");
    });
    sm.register_command("nothing", [](Driver&, const Stamp&, std::uint64_t, const std::string&) {
        return std::string("nothing written");
    });
}

// A log that exercises every kind of entry: DDL, inserts with generated ids, a failing batch in
// the middle, typed commands (applied, duplicate, rejected, writing nothing), markers, an
// unknown command and an undecodable entry.
std::vector<Entry> mixed_log() {
    return {
        sql_entry(1, {{"CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))", {}},
                      {"CREATE TABLE hosts (name VARCHAR(64) PRIMARY KEY, seen DATETIME)", {}}}),
        sql_entry(2, {{"INSERT INTO t (v) VALUES ('a'), ('b')", {}}}),
        Entry{3, 1, EntryType::kNoop, ""},
        sql_entry(4, {{"INSERT INTO t (v) VALUES ('c')", {}},
                      {"INSERT INTO t (id, v) VALUES (1, 'duplicate')", {}}}),
        entry(5, Command{"add-host", kStamp, "db1"}),
        entry(6, Command{"add-host", kStamp, "db1"}),
        entry(7, Command{"add-host", kStamp, ""}),
        entry(8, Command{"nothing", kStamp, ""}),
        entry(9, Command{"no-such-command", kStamp, "x"}),
        Entry{10, 1, EntryType::kNormal, "not a command"},
        sql_entry(11, {{"UPDATE t SET v = CONCAT(v, '!') WHERE id > 1", {}},
                       {"INSERT INTO t (v) VALUES (NOW())", {}}}),
        Entry{12, 2, EntryType::kConfChange, ""},
        sql_entry(13, {{"DELETE FROM t WHERE v = 'a'", {}}}),
    };
}

std::vector<Row> rows_of(Driver& d, const std::string& query) {
    return d.query({{query, {}}})[0].rows;
}

}  // namespace

TEST_CASE("state_machine: a batch applies like its entries one by one, on every backend",
          "[apply][batch]") {
    TempDir dir;
    for (const std::string& kind : orcraft::state_machine_test::backend_kinds()) {
        DYNAMIC_SECTION(kind) {
            auto single_driver = orcraft::state_machine_test::fresh_driver(kind, dir, "single");
            auto batch_driver = orcraft::state_machine_test::fresh_driver(kind, dir, "batched");
            if (!single_driver || !batch_driver) continue;
            bool fail_hard = false;
            SqlStateMachine single(single_driver);
            SqlStateMachine batched(batch_driver);
            register_commands(single, fail_hard);
            register_commands(batched, fail_hard);

            const std::vector<Entry> log = mixed_log();
            std::vector<std::string> expected;
            for (const Entry& e : log) {
                if (e.type == EntryType::kNormal) {
                    expected.push_back(single.apply(e));
                } else {
                    single.apply_marker(e.index, e.term);
                    expected.emplace_back();
                }
            }
            // Two groups: entries 1-6, then 7-13.
            std::vector<std::string> results =
                batched.apply_batch(std::vector<Entry>(log.begin(), log.begin() + 6));
            const auto rest = batched.apply_batch(std::vector<Entry>(log.begin() + 6, log.end()));
            results.insert(results.end(), rest.begin(), rest.end());

            REQUIRE(results.size() == expected.size());
            for (std::size_t i = 0; i < results.size(); ++i) {
                INFO("entry " << log[i].index);
                CHECK(results[i] == expected[i]);
            }
            CHECK(decode_result(results[3]).kind == ApplyResult::Kind::kStatementFailed);
            // Entry 6 read entry 5's row, written earlier in the same group.
            CHECK(decode_result(results[5]).handler_result == "exists");
            CHECK(batched.applied_index() == 13);
            CHECK(batch_driver->applied_index() == 13);
            CHECK(batched.checksum() == single.checksum());
            CHECK(rows_of(*batch_driver, "SELECT id, v FROM t ORDER BY id") ==
                  rows_of(*single_driver, "SELECT id, v FROM t ORDER BY id"));
            CHECK(rows_of(*batch_driver, "SELECT name, seen FROM hosts") ==
                  rows_of(*single_driver, "SELECT name, seen FROM hosts"));

            // Delivered again after a restart: nothing runs.
            const auto again =
                batched.apply_batch(std::vector<Entry>(log.begin(), log.begin() + 3));
            CHECK(decode_result(again[0]).kind == ApplyResult::Kind::kAlreadyApplied);
            CHECK(batched.checksum() == single.checksum());
        }
    }
}

TEST_CASE("state_machine: a batch that fails part way leaves the SQLite backend as it was",
          "[apply][batch]") {
    TempDir dir;
    const std::string file = dir.path() + "/db.sqlite";
    bool fail_hard = false;
    {
        SqlStateMachine sm(orcraft::state_machine_test::open_sqlite(file));
        register_commands(sm, fail_hard);
        const std::vector<Entry> log = mixed_log();
        sm.apply_batch(std::vector<Entry>(log.begin(), log.begin() + 2));
        REQUIRE(sm.applied_index() == 2);

        // Entry 4 inserts a row, then entry 5's handler throws: the node would stop here.
        fail_hard = true;
        CHECK_THROWS_WITH(sm.apply_batch(std::vector<Entry>(log.begin() + 2, log.begin() + 6)),
                          "the handler broke");
        CHECK(sm.applied_index() == 2);
        CHECK(rows_of(sm.driver(), "SELECT COUNT(*) FROM t")[0][0] == Value{std::int64_t{2}});
    }
    // A restarted node finds the state before the group, and applies the entries again.
    fail_hard = false;
    SqlStateMachine sm(orcraft::state_machine_test::open_sqlite(file));
    register_commands(sm, fail_hard);
    CHECK(sm.applied_index() == 2);
    const std::vector<Entry> log = mixed_log();
    const auto results = sm.apply_batch(std::vector<Entry>(log.begin() + 2, log.end()));
    CHECK(decode_result(results[2]).handler_result == "added");
    CHECK(sm.applied_index() == 13);
    CHECK(rows_of(sm.driver(), "SELECT COUNT(*) FROM hosts")[0][0] == Value{std::int64_t{1}});
}
