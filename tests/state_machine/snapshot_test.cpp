// Portable snapshots between every pair of backends, the result checksum on mixed backends,
// and refusal of damaged or foreign snapshots.

#include <catch2/catch.hpp>

#include "backend/command.hpp"
#include "backend/command_bytes.hpp"
#include "backend/snapshot_ddl.hpp"
#include "backend/snapshot_format.hpp"
#include "backend/sql_state_machine.hpp"
#include "tests/state_machine/backends.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

using namespace orcraft::backend;
using orcraft::raft::Entry;
using orcraft::raft::SnapshotMeta;
using orcraft::state_machine_test::fresh_driver;
using orcraft::state_machine_test::sql_entry;
using orcraft::state_machine_test::TempDir;

namespace Catch {
template <>
struct StringMaker<Value> {
    static std::string convert(const Value& v) {
        switch (v.index()) {
            case 0:
                return "NULL";
            case 1:
                return std::to_string(std::get<std::int64_t>(v));
            case 2:
                return "double " + std::to_string(std::get<double>(v));
            case 3:
                return "'" + std::get<std::string>(v) + "'";
            default:
                return "blob of " + std::to_string(std::get<Blob>(v).bytes.size()) + " bytes";
        }
    }
};
}  // namespace Catch

namespace {

Value I(std::int64_t v) {
    return Value{v};
}
Value S(std::string v) {
    return Value{std::move(v)};
}
Value B(std::string v) {
    return Value{Blob{std::move(v)}};
}

// Records what a driver's dump() writes.
struct Recorded final : SnapshotWriter {
    std::vector<SnapshotTable> tables;
    std::vector<std::vector<Row>> table_rows;
    std::function<void()> on_first_rows;
    void table(const SnapshotTable& t) override {
        tables.push_back(t);
        table_rows.emplace_back();
    }
    void rows_of(const std::vector<Row>& r) {
        if (on_first_rows) {
            auto f = std::move(on_first_rows);
            on_first_rows = nullptr;
            f();
        }
        table_rows.back().insert(table_rows.back().end(), r.begin(), r.end());
    }
    void rows(const std::vector<Row>& r) override { rows_of(r); }
};

// The log every snapshot case starts from: every portable column type, NULLs, blobs with NUL
// bytes, composite keys, enough rows for several dump pages, deletes that leave the
// AUTO_INCREMENT counter above the largest id, and a table whose counter was never used.
std::vector<Entry> scenario() {
    std::vector<Entry> log;
    std::uint64_t i = 0;
    const auto add = [&](std::vector<Statement> batch) {
        log.push_back(
            sql_entry(++i, std::move(batch),
                      Stamp{1700000000000000 + 1000000 * static_cast<std::int64_t>(i), i}));
    };
    add({{"CREATE TABLE hosts (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, "
          "name VARCHAR(64) NOT NULL, port SMALLINT UNSIGNED NOT NULL DEFAULT 3306, "
          "weight DOUBLE, kind ENUM('primary','replica','it''s') NOT NULL DEFAULT 'replica', "
          "note TEXT, payload VARBINARY(32), big BIGINT, flag TINYINT NOT NULL DEFAULT 0, "
          "seen DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, small MEDIUMINT DEFAULT -5, "
          "ratio DOUBLE NOT NULL DEFAULT 1.50, level INT DEFAULT '7', "
          "active BOOL NOT NULL DEFAULT TRUE, since DATETIME DEFAULT '2020-01-02 03:04:05', "
          "UNIQUE KEY name_port (name, port), KEY seen_at (seen))",
          {}},
         {"CREATE TABLE kv (k VARCHAR(32) PRIMARY KEY, v LONGBLOB, t TIMESTAMP NULL, "
          "tiny TINYTEXT, medium MEDIUMBLOB, u BIGINT UNSIGNED)",
          {}},
         {"CREATE TABLE pairs (a INT NOT NULL, b VARCHAR(8) NOT NULL, c MEDIUMTEXT, "
          "PRIMARY KEY (a, b))",
          {}},
         {"CREATE TABLE empty_auto (id BIGINT AUTO_INCREMENT PRIMARY KEY, x INT)", {}}});
    add(
        {{"INSERT INTO hosts (name, port, weight, kind, note, payload, big, flag) VALUES "
          "(?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?)",
          {S("db1"), I(3306), Value{0.1}, S("primary"), S("quote ' and \\ backslash"),
           B(std::string("\0\x01\xff", 3)), I(-9007199254740993LL), I(1), S("db2"), I(3307),
           Value{-1e300}, S("it's"), Value{}, Value{}, I(std::numeric_limits<std::int64_t>::min()),
           I(-128)}}});
    add({{"INSERT INTO hosts (name) VALUES ('db3'), ('db4'), ('db5 ünïcødé')", {}}});
    add({{"DELETE FROM hosts WHERE name IN ('db3', 'db5 ünïcødé')", {}}});
    add({{"INSERT INTO kv (k, v, t, tiny, medium, u) VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?)",
          {S("a"), B(std::string(70000, '\0') + "end"), S("2038-01-19 03:14:07"), S(""), B(""),
           I(std::numeric_limits<std::int64_t>::max()), S("b"), Value{}, Value{}, Value{}, Value{},
           I(0)}}});
    std::vector<Statement> fill;
    for (int a = 0; a < 25; ++a) {
        std::string sql = "INSERT INTO pairs (a, b, c) VALUES ";
        std::vector<Value> params;
        for (int b = 0; b < 100; ++b) {
            sql += b == 0 ? "(?, ?, ?)" : ", (?, ?, ?)";
            params.push_back(I(a % 2 == 0 ? a : -a));
            params.push_back(S("k" + std::to_string(b)));
            params.push_back(b % 7 == 0 ? Value{}
                                        : S(std::string(static_cast<std::size_t>(b), 'x')));
        }
        fill.push_back({sql, params});
    }
    add(fill);
    add({{"UPDATE hosts SET note = CONCAT(name, '!') WHERE id = 2", {}}});
    return log;
}

// Every table's rows, ordered by its primary key, read through the driver's query().
std::map<std::string, std::vector<Row>> all_rows(Driver& d) {
    Recorded r;
    d.dump(r);
    std::map<std::string, std::vector<Row>> out;
    for (const auto& t : r.tables) {
        std::string order;
        for (const auto& k : t.primary_key)
            order += (order.empty() ? "" : ", ") + ("`" + k + "`");
        const auto q = d.query({{"SELECT * FROM `" + t.name + "` ORDER BY " + order, {}}});
        out[t.name] = q[0].rows;
    }
    return out;
}

std::unique_ptr<SqlStateMachine> machine(std::shared_ptr<Driver> d) {
    return std::make_unique<SqlStateMachine>(std::move(d));
}

}  // namespace

TEST_CASE("state_machine: snapshots move state between any two backends", "[snapshot]") {
    const auto from = GENERATE(from_range(orcraft::state_machine_test::backend_kinds()));
    const auto to = GENERATE(from_range(orcraft::state_machine_test::backend_kinds()));
    INFO(from << " -> " << to);
    TempDir dir;
    auto source_driver = fresh_driver(from, dir, "source");
    auto target_driver = fresh_driver(to, dir, "target");
    if (!source_driver || !target_driver) return;
    auto source = machine(source_driver);
    auto target = machine(target_driver);

    const auto log = scenario();
    for (const auto& e : log) {
        const ApplyResult r = decode_result(source->apply(e));
        INFO("entry " << e.index << ": " << (r.error ? r.error->message : std::string()));
        REQUIRE(r.kind == ApplyResult::Kind::kBatch);
    }
    // The target has a history of its own, which the snapshot replaces entirely.
    target->apply(sql_entry(1, {{"CREATE TABLE stale (id INT PRIMARY KEY)", {}},
                                {"INSERT INTO stale VALUES (1)", {}}}));

    orcraft::raft::Index index = 0;
    const auto data = source->snapshot(index);
    CHECK(index == log.size());
    target->restore(SnapshotMeta{index, 3, {}}, *data);
    CHECK(target->applied_index() == index);
    CHECK(target->checksum() == source->checksum());
    CHECK(target->last_applied_stamp().unix_micros == source->last_applied_stamp().unix_micros);

    // Same rows, same schema as the target describes it itself.
    const auto expected = all_rows(*source_driver);
    CHECK(expected.count("stale") == 0);
    CHECK(expected.at("pairs").size() == 2500);
    CHECK(all_rows(*target_driver) == expected);
    Recorded a;
    Recorded b;
    source_driver->dump(a);
    target_driver->dump(b);
    REQUIRE(a.tables.size() == b.tables.size());
    for (std::size_t t = 0; t < a.tables.size(); ++t) {
        INFO("table " << a.tables[t].name);
        CHECK(portable_create_table(b.tables[t]) == portable_create_table(a.tables[t]));
        CHECK(b.tables[t].next_auto_increment == a.tables[t].next_auto_increment);
    }

    // Both continue identically: AUTO_INCREMENT after the deleted top id, a never-used counter,
    // defaults (CURRENT_TIMESTAMP from the stamp), upserts and the result checksum.
    const std::vector<Entry> next = {
        sql_entry(index + 1,
                  {{"INSERT INTO hosts (name) VALUES ('after')", {}},
                   {"INSERT INTO empty_auto (x) VALUES (1), (2)", {}},
                   {"INSERT INTO kv (k) VALUES ('a') ON DUPLICATE KEY UPDATE u = 1", {}}}),
        sql_entry(index + 2, {{"INSERT INTO hosts (id, name) VALUES (1, 'dup')", {}}}),
        sql_entry(index + 3, {{"REPLACE INTO pairs (a, b, c) VALUES (0, 'k1', 'replaced')", {}}}),
    };
    for (const auto& e : next) {
        const std::string rs = source->apply(e);
        const std::string rt = target->apply(e);
        CHECK(checksum_form(decode_result(rt)) == checksum_form(decode_result(rs)));
    }
    const ApplyResult first = decode_result(target->apply(next[0]));
    CHECK(first.kind == ApplyResult::Kind::kAlreadyApplied);
    CHECK(all_rows(*target_driver) == all_rows(*source_driver));
    CHECK(target->checksum() == source->checksum());
    const auto ids = target_driver->query({{"SELECT id FROM hosts WHERE name = 'after'", {}}});
    CHECK(ids[0].rows[0][0] == I(6));
}

TEST_CASE("state_machine: mixed backends fold the same result checksum", "[checksum]") {
    TempDir dir;
    std::vector<std::unique_ptr<SqlStateMachine>> nodes;
    for (const auto& kind : orcraft::state_machine_test::backend_kinds()) {
        auto d = fresh_driver(kind, dir, "mixed");
        if (!d) return;
        nodes.push_back(machine(d));
    }
    std::vector<Entry> log = scenario();
    std::uint64_t i = log.size();
    // Failures word their errors differently on each backend; the checksum must not care.
    log.push_back(sql_entry(++i, {{"INSERT INTO hosts (id, name) VALUES (1, 'dup')", {}}}));
    log.push_back(sql_entry(++i, {{"INSERT INTO nowhere VALUES (1)", {}}}));
    log.push_back(sql_entry(++i, {{"INSERT INTO kv (k, u) VALUES ('neg', ?)", {I(-1)}}}));
    log.push_back(sql_entry(++i, {{"UPDATE pairs SET c = NULL WHERE a = 2", {}}}));
    for (const auto& e : log) {
        std::vector<ChecksumState> states;
        for (auto& n : nodes) {
            n->apply(e);
            states.push_back(n->checksum());
        }
        for (const auto& s : states) {
            INFO("index " << e.index);
            CHECK(s == states.front());
        }
    }
    ++i;
    for (auto& n : nodes) {
        n->apply_marker(i, 2);
    }
    CHECK(nodes.front()->checksum().index == i);
    for (auto& n : nodes) {
        CHECK(n->checksum() == nodes.front()->checksum());
    }
}

TEST_CASE("state_machine: a snapshot does not block writes and shows one state", "[snapshot]") {
    const auto kind = GENERATE(from_range(orcraft::state_machine_test::backend_kinds()));
    INFO(kind);
    TempDir dir;
    auto driver = fresh_driver(kind, dir, "concurrent");
    if (!driver) return;
    for (const auto& e : scenario()) {
        SqlStateMachine(driver).apply(e);
    }
    const std::uint64_t before = driver->applied_index();
    Recorded r;
    // In the middle of the dump, a write commits (on the same thread: it must not wait for the
    // dump, or this would deadlock).
    r.on_first_rows = [&] {
        const auto out = driver->execute(
            {{"DELETE FROM pairs", {}}, {"CREATE TABLE late (id INT PRIMARY KEY)", {}}}, Stamp{},
            before + 1);
        CHECK_FALSE(out.error);
    };
    const std::uint64_t at = driver->dump(r);
    CHECK(at == before);
    std::size_t pairs = 0;
    bool late = false;
    for (std::size_t t = 0; t < r.tables.size(); ++t) {
        if (r.tables[t].name == "pairs") pairs = r.table_rows[t].size();
        if (r.tables[t].name == "late") late = true;
    }
    CHECK(pairs == 2500);
    CHECK_FALSE(late);
    CHECK(driver->applied_index() == before + 1);
}

TEST_CASE("state_machine: damaged, truncated and foreign snapshots are refused untouched",
          "[snapshot]") {
    const auto kind = GENERATE(from_range(orcraft::state_machine_test::backend_kinds()));
    INFO(kind);
    TempDir dir;
    auto source = machine(orcraft::state_machine_test::open_sqlite(dir.path() + "/source.sqlite"));
    for (const auto& e : scenario())
        source->apply(e);
    orcraft::raft::Index index = 0;
    const std::string good = *source->snapshot(index);

    auto driver = fresh_driver(kind, dir, "victim");
    if (!driver) return;
    auto target = machine(driver);
    target->apply(sql_entry(
        1, {{"CREATE TABLE mine (id INT PRIMARY KEY)", {}}, {"INSERT INTO mine VALUES (42)", {}}}));
    const auto before = all_rows(*driver);
    const auto checksum = target->checksum();

    const auto refused = [&](const std::string& data, const std::string& message) {
        INFO("expecting: " << message);
        CHECK_THROWS_WITH(target->restore(SnapshotMeta{index, 1, {}}, data),
                          Catch::Contains(message));
        CHECK(target->applied_index() == 1);
        CHECK(target->checksum() == checksum);
        CHECK(all_rows(*driver) == before);
    };
    // Rewrites the trailing hash so that only the intended damage remains.
    const auto rehash = [](std::string data) {
        const std::uint64_t h = XXH3_64bits(data.data(), data.size() - 8);
        std::string tail;
        wire::ByteWriter w(tail);
        w.u64(h);
        data.replace(data.size() - 8, 8, tail);
        return data;
    };

    std::string flipped = good;
    flipped[flipped.size() / 2] ^= 0x40;
    refused(flipped, "checksum mismatch");
    refused(good.substr(0, good.size() - 100), "checksum mismatch");
    refused(good.substr(0, 10), "truncated");
    refused("", "bad magic");
    refused("definitely not a snapshot", "bad magic");

    std::string v2 = good;
    v2[8] = 2;
    refused(rehash(v2), "snapshot format version 2 is not supported");

    // Valid checksum over a cut compressed stream: caught by the record check.
    std::string cut = good.substr(0, 16 + (good.size() - 24) / 2) + std::string(8, '\0');
    refused(rehash(cut), "snapshot");

    // Right data, wrong raft index.
    CHECK_THROWS_WITH(target->restore(SnapshotMeta{index + 5, 1, {}}, good),
                      Catch::Contains("raft describes it as index"));
    CHECK(all_rows(*driver) == before);

    // And the intact snapshot installs.
    target->restore(SnapshotMeta{index, 1, {}}, good);
    CHECK(target->applied_index() == index);
    CHECK(all_rows(*driver) == all_rows(source->driver()));
}

TEST_CASE("state_machine: a restore that fails part way leaves the target as it was",
          "[snapshot]") {
    const auto kind = GENERATE(from_range(orcraft::state_machine_test::backend_kinds()));
    INFO(kind);
    TempDir dir;
    auto driver = fresh_driver(kind, dir, "partial");
    if (!driver) return;
    driver->execute({{"CREATE TABLE mine (id INT AUTO_INCREMENT PRIMARY KEY, v INT)", {}},
                     {"INSERT INTO mine (v) VALUES (1)", {}}},
                    Stamp{}, 1);
    const auto before = all_rows(*driver);

    // A reader that fails in the middle of its second table.
    struct Failing final : SnapshotReader {
        int tables = 0;
        bool gave_rows = false;
        std::optional<SnapshotTable> next_table() override {
            if (++tables > 2) return std::nullopt;
            SnapshotTable t;
            t.name = "t" + std::to_string(tables);
            t.columns = {SnapshotColumn{"id", "INT", false, false, std::nullopt}};
            t.primary_key = {"id"};
            gave_rows = false;
            return t;
        }
        bool next_rows(std::vector<Row>& rows) override {
            if (tables == 2) throw SnapshotError("damaged in transit");
            rows.clear();
            if (gave_rows) return false;
            gave_rows = true;
            rows.push_back({I(7)});
            return true;
        }
    } failing;
    CHECK_THROWS_WITH(driver->restore(failing, 99), Catch::Contains("damaged in transit"));
    CHECK(driver->applied_index() == 1);
    CHECK(all_rows(*driver) == before);
    // The backend keeps working.
    const auto out = driver->execute({{"INSERT INTO mine (v) VALUES (2)", {}}}, Stamp{}, 2);
    REQUIRE_FALSE(out.error);
    CHECK(out.results[0].last_insert_id == 2);
}

TEST_CASE("state_machine: an interrupted MySQL install blocks entries until installed again",
          "[snapshot]") {
    if (orcraft::state_machine_test::backend_kinds().size() < 2 ||
        !orcraft::state_machine_test::mysql_available()) {
        return;
    }
    const std::string point =
        GENERATE(as<std::string>{}, "snapshot-before-swap", "snapshot-after-swap");
    INFO(point);
    TempDir dir;
    auto source = machine(orcraft::state_machine_test::open_sqlite(dir.path() + "/source.sqlite"));
    for (const auto& e : scenario())
        source->apply(e);
    orcraft::raft::Index index = 0;
    const std::string data = *source->snapshot(index);

    const std::string db = orcraft::state_machine_test::mysql_database_name("interrupted");
    {
        // The hook throws where a crash would stop the process: nothing after it runs.
        auto driver = orcraft::state_machine_test::fresh_mysql(db, [&](std::string_view at) {
            if (at == point) throw std::runtime_error("crash at " + std::string(at));
        });
        SqlStateMachine sm(driver);
        sm.apply(sql_entry(1, {{"CREATE TABLE mine (id INT PRIMARY KEY)", {}},
                               {"INSERT INTO mine VALUES (42)", {}}}));
        CHECK_THROWS_WITH(sm.restore(SnapshotMeta{index, 1, {}}, data),
                          Catch::Contains("crash at"));
    }
    // The restarted node: the old applied index, and no entry applies on a half-installed state.
    auto driver = orcraft::state_machine_test::open_mysql(db);
    CHECK(driver->applied_index() == 1);
    CHECK_THROWS_WITH(driver->execute({{"INSERT INTO mine VALUES (43)", {}}}, Stamp{}, 2),
                      Catch::Contains("install it again"));
    Recorded r;
    CHECK_THROWS_WITH(driver->dump(r), Catch::Contains("snapshot install was interrupted"));

    SqlStateMachine sm(driver);
    sm.restore(SnapshotMeta{index, 1, {}}, data);
    CHECK(sm.applied_index() == index);
    CHECK(all_rows(*driver) == all_rows(source->driver()));
    const Entry next = sql_entry(index + 1, {{"INSERT INTO hosts (name) VALUES ('after')", {}}});
    CHECK(decode_result(sm.apply(next)).results == decode_result(source->apply(next)).results);
}
