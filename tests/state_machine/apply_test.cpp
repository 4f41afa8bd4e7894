// SqlStateMachine::apply on SQLite: exactly-once, typed commands, deterministic errors for bad
// entries, markers, the result checksum across restarts, stamps.

#include <catch2/catch.hpp>

#include "backend/command.hpp"
#include "backend/sql_state_machine.hpp"
#include "tests/state_machine/backends.hpp"

using namespace orcraft::backend;
using orcraft::raft::Entry;
using orcraft::state_machine_test::entry;
using orcraft::state_machine_test::sql_entry;
using orcraft::state_machine_test::TempDir;

namespace {

std::shared_ptr<Driver> sqlite_in(const TempDir& dir, const std::string& name = "db") {
    return orcraft::state_machine_test::open_sqlite(dir.path() + "/" + name + ".sqlite");
}

std::int64_t count_rows(Driver& d, const std::string& table) {
    return std::get<std::int64_t>(d.query({{"SELECT COUNT(*) FROM " + table, {}}})[0].rows[0][0]);
}

}  // namespace

TEST_CASE("state_machine: an sql entry applies once and returns its results", "[apply]") {
    TempDir dir;
    auto driver = sqlite_in(dir);
    SqlStateMachine sm(driver);
    CHECK(sm.applied_index() == 0);
    CHECK(sm.checksum() == ChecksumState{0, 0, true});

    const Entry e1 =
        sql_entry(1, {{"CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)", {}},
                      {"INSERT INTO t (v) VALUES (?), (?)", {Value{"a"}, Value{"b"}}}});
    const ApplyResult r1 = decode_result(sm.apply(e1));
    REQUIRE(r1.kind == ApplyResult::Kind::kBatch);
    REQUIRE(r1.results.size() == 2);
    CHECK(r1.results[1] == ExecResult{2, 1});
    CHECK(sm.applied_index() == 1);
    const ChecksumState after1 = sm.checksum();
    CHECK(after1.index == 1);
    CHECK(after1.known);

    // Delivered again (a restart replaying the log): nothing runs, nothing is folded.
    const ApplyResult again = decode_result(sm.apply(e1));
    CHECK(again.kind == ApplyResult::Kind::kAlreadyApplied);
    CHECK(count_rows(*driver, "t") == 2);
    CHECK(sm.checksum() == after1);

    // A failing statement rolls the batch back; the index is still applied.
    const Entry e2 = sql_entry(2, {{"INSERT INTO t (v) VALUES ('c')", {}},
                                   {"INSERT INTO t (id, v) VALUES (1, 'dup')", {}}});
    const ApplyResult r2 = decode_result(sm.apply(e2));
    REQUIRE(r2.kind == ApplyResult::Kind::kStatementFailed);
    CHECK(r2.error->statement == 1);
    CHECK(count_rows(*driver, "t") == 2);
    CHECK(sm.applied_index() == 2);
    CHECK(sm.checksum().index == 2);
}

TEST_CASE("state_machine: markers advance the applied index and the chain", "[apply]") {
    TempDir dir;
    SqlStateMachine sm(sqlite_in(dir));
    sm.apply_marker(1, 1);
    CHECK(sm.applied_index() == 1);
    CHECK(sm.checksum().index == 1);
    const auto value = sm.result_checksum();
    sm.apply_marker(1, 1);  // again: nothing
    CHECK(sm.result_checksum() == value);
    CHECK(decode_result(sm.apply(sql_entry(2, {}))).kind == ApplyResult::Kind::kBatch);
    CHECK(sm.applied_index() == 2);
}

TEST_CASE("state_machine: registered commands apply through the driver exactly once", "[apply]") {
    TempDir dir;
    auto driver = sqlite_in(dir);
    SqlStateMachine sm(driver);
    int calls = 0;
    sm.register_command("add-host", [&](Driver& d, const Stamp& stamp, std::uint64_t index,
                                        const std::string& payload) {
        ++calls;
        if (payload.empty()) throw CommandRejected("add-host needs a host name");
        const BatchOutcome out = run_sql(
            d, stamp, index,
            {{"CREATE TABLE IF NOT EXISTS hosts (name VARCHAR(64) PRIMARY KEY, seen DATETIME)", {}},
             {"INSERT INTO hosts (name, seen) VALUES (?, NOW())", {Value{payload}}}});
        return out.error ? "error at " + std::to_string(out.error->statement) : std::string("ok");
    });
    sm.register_command("noop", [&](Driver&, const Stamp&, std::uint64_t, const std::string&) {
        ++calls;
        return std::string("nothing to do");
    });
    CHECK_THROWS_AS(sm.register_command("sql", {}), std::invalid_argument);
    CHECK_THROWS_AS(sm.register_command("noop", [](Driver&, const Stamp&, std::uint64_t,
                                                   const std::string&) { return std::string(); }),
                    std::invalid_argument);

    const Stamp stamp{1700000000000000, 7};
    const Entry e1 = entry(1, Command{"add-host", stamp, "db1"});
    ApplyResult r = decode_result(sm.apply(e1));
    REQUIRE(r.kind == ApplyResult::Kind::kHandler);
    CHECK(r.handler_result == "ok");
    CHECK(driver->query({{"SELECT seen FROM hosts", {}}})[0].rows[0][0] ==
          Value{"2023-11-14 22:13:20"});
    CHECK(sm.last_applied_stamp().unix_micros == stamp.unix_micros);

    CHECK(decode_result(sm.apply(e1)).kind == ApplyResult::Kind::kAlreadyApplied);
    CHECK(calls == 1);

    r = decode_result(sm.apply(entry(2, Command{"add-host", stamp, "db1"})));
    CHECK(r.handler_result == "error at 1");
    CHECK(sm.applied_index() == 2);

    // A handler with nothing to write: the index is recorded for it.
    r = decode_result(sm.apply(entry(3, Command{"noop", stamp, ""})));
    CHECK(r.handler_result == "nothing to do");
    CHECK(sm.applied_index() == 3);

    r = decode_result(sm.apply(entry(4, Command{"add-host", stamp, ""})));
    CHECK(r.kind == ApplyResult::Kind::kCommandFailed);
    CHECK(r.failure == CommandFailure::kRejected);
    CHECK(r.message == "add-host needs a host name");
    CHECK(sm.applied_index() == 4);
}

TEST_CASE("state_machine: unknown and undecodable entries fail the same way on every node",
          "[apply]") {
    TempDir dir;
    SqlStateMachine a(sqlite_in(dir, "a"));
    SqlStateMachine b(sqlite_in(dir, "b"));
    std::string bad_version = encode_sql_command({}, Stamp{});
    bad_version[0] = 9;
    std::string bad_batch = encode_command(Command{"sql", Stamp{}, "\x05"});
    const std::vector<Entry> log = {
        entry(1, Command{"frobnicate", Stamp{1, 2}, "x"}),
        Entry{2, 1, orcraft::raft::EntryType::kNormal, "garbage"},
        Entry{3, 1, orcraft::raft::EntryType::kNormal, bad_version},
        Entry{4, 1, orcraft::raft::EntryType::kNormal, bad_batch},
        Entry{5, 1, orcraft::raft::EntryType::kNormal, ""},
    };
    const std::vector<CommandFailure> expected = {
        CommandFailure::kUnknownCommand, CommandFailure::kUnsupportedVersion,
        CommandFailure::kUnsupportedVersion, CommandFailure::kMalformed,
        CommandFailure::kMalformed};
    for (std::size_t i = 0; i < log.size(); ++i) {
        INFO("entry " << log[i].index);
        const std::string ra = a.apply(log[i]);
        CHECK(ra == b.apply(log[i]));
        const ApplyResult r = decode_result(ra);
        CHECK(r.kind == ApplyResult::Kind::kCommandFailed);
        CHECK(r.failure == expected[i]);
        CHECK(a.applied_index() == log[i].index);
    }
    CHECK(a.checksum() == b.checksum());
    CHECK(decode_result(a.apply(log[0])).message.empty());  // already applied: no message
}

TEST_CASE("state_machine: the checksum file carries the chain and the stamp across restarts",
          "[apply][checksum]") {
    TempDir dir;
    const std::string db = dir.path() + "/db.sqlite";
    const std::string file = dir.path() + "/result-checksum";
    ChecksumState before;
    {
        SqlStateMachine sm(orcraft::state_machine_test::open_sqlite(db), {file, 16});
        sm.apply(sql_entry(1, {{"CREATE TABLE t (id BIGINT PRIMARY KEY)", {}}}, Stamp{500, 1}));
        sm.apply(sql_entry(2, {{"INSERT INTO t VALUES (1)", {}}}, Stamp{600, 2}));
        before = sm.checksum();
        CHECK(sm.checksum_at(1));
    }
    {
        SqlStateMachine sm(orcraft::state_machine_test::open_sqlite(db), {file, 16});
        CHECK(sm.checksum() == before);
        CHECK(sm.last_applied_stamp().unix_micros == 600);
        CHECK(sm.last_applied_stamp().seed == 2);
        sm.apply(sql_entry(3, {{"INSERT INTO t VALUES (2)", {}}}));
        CHECK(sm.checksum().known);
    }
    {
        // Without the file, the chain of a database with history is unknown.
        SqlStateMachine sm(orcraft::state_machine_test::open_sqlite(db));
        CHECK_FALSE(sm.checksum().known);
        CHECK(sm.checksum().index == 3);
        CHECK_FALSE(sm.checksum_at(3));
    }
    {
        // A file behind the backend (a power loss lost its last write): unknown, never wrong.
        SqlStateMachine other(orcraft::state_machine_test::open_sqlite(db), {file, 16});
        CHECK(other.checksum().known);
        other.apply(sql_entry(4, {{"INSERT INTO t VALUES (3)", {}}}));
    }
    {
        auto driver = orcraft::state_machine_test::open_sqlite(db);
        driver->execute({{"INSERT INTO t VALUES (4)", {}}}, Stamp{}, 5);
        SqlStateMachine sm(driver, {file, 16});
        CHECK_FALSE(sm.checksum().known);
        CHECK(sm.checksum().index == 5);
    }
}
