// Apply groups (driver.hpp: begin_group, end_group, abandon_group): batches applied inside a group
// give the same results and rows as applied one by one, a failing batch undoes only itself,
// readers on other threads see nothing of a group until it ends (the group's own thread sees its
// batches), and abandoning a group undoes it.

#include <thread>

#include "tests/conformance/harness.hpp"

using namespace orcraft::conformance;

namespace {

// A table with generated ids and a unique value, created outside any group.
void create_table(TestDb& db) {
    db.ok1("CREATE TABLE g (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL UNIQUE)");
}

std::int64_t count_rows(TestDb& db, const std::string& table) {
    return std::get<std::int64_t>(db.one("SELECT COUNT(*) FROM " + table));
}

}  // namespace

TEST_CASE("a failing batch inside a group undoes only itself and gives its ids back",
          "[conformance][groups]") {
    OPEN_DB();
    create_table(db);
    db.driver().begin_group();
    CHECK(db.ok1("INSERT INTO g (v) VALUES (1)").last_insert_id == 1);
    const std::uint64_t failing = db.next_index();
    const auto err =
        db.fails({st("INSERT INTO g (v) VALUES (2)"), st("INSERT INTO g (v) VALUES (1)")});
    CHECK(err.statement == 1);
    CHECK(db.driver().applied_index() == failing);
    // The failed batch's id 2 is given back, as when it runs alone.
    CHECK(db.ok1("INSERT INTO g (v) VALUES (3)").last_insert_id == 2);
    CHECK(db.ok1("UPDATE g SET v = v + 10 WHERE v = 3").rows_affected == 1);
    db.driver().end_group();
    CHECK(db.driver().applied_index() == db.next_index() - 1);
    CHECK(db.rows("SELECT id, v FROM g ORDER BY id") ==
          std::vector<Row>{{I(1), I(1)}, {I(2), I(13)}});
    REQUIRE(db.reopen());
    CHECK(db.driver().applied_index() == db.next_index() - 1);
    CHECK(db.ok1("INSERT INTO g (v) VALUES (4)").last_insert_id == 3);
}

TEST_CASE("a DDL batch inside a group runs with the same results as alone",
          "[conformance][groups]") {
    OPEN_DB();
    create_table(db);
    db.driver().begin_group();
    db.ok1("INSERT INTO g (v) VALUES (1)");
    const auto r =
        db.ok({st("CREATE TABLE h (id INT AUTO_INCREMENT PRIMARY KEY, w INT)"),
               st("INSERT INTO h (w) VALUES (7), (8)"), st("INSERT INTO g (v) VALUES (2)")});
    CHECK(r.at(1) == orcraft::backend::ExecResult{2, 1});
    CHECK(r.at(2) == orcraft::backend::ExecResult{1, 2});
    db.ok1("INSERT INTO h (w) VALUES (9)");
    db.fails({st("INSERT INTO h (w) VALUES (10)"), st("INSERT INTO g (v) VALUES (1)")});
    CHECK(db.ok1("INSERT INTO h (w) VALUES (11)").last_insert_id == 4);
    db.driver().end_group();
    CHECK(db.driver().applied_index() == db.next_index() - 1);
    CHECK(db.rows("SELECT id, v FROM g ORDER BY id") ==
          std::vector<Row>{{I(1), I(1)}, {I(2), I(2)}});
    CHECK(db.rows("SELECT id, w FROM h ORDER BY id") ==
          std::vector<Row>{{I(1), I(7)}, {I(2), I(8)}, {I(3), I(9)}, {I(4), I(11)}});
}

TEST_CASE("readers on other threads see nothing of an open group, its own thread sees it all",
          "[conformance][groups]") {
    OPEN_DB();
    create_table(db);
    auto count_elsewhere = [&] {
        std::int64_t n = -1;
        std::thread reader([&] { n = count_rows(db, "g"); });
        reader.join();
        return n;
    };
    db.driver().begin_group();
    db.ok1("INSERT INTO g (v) VALUES (1)");
    db.ok1("INSERT INTO g (v) VALUES (2)");
    // applied_index() follows the batches.
    CHECK(db.driver().applied_index() == db.next_index() - 1);
    CHECK(count_elsewhere() == 0);
    CHECK(count_rows(db, "g") == 2);
    // A failing query on the group's thread leaves the group intact.
    CHECK_THROWS_AS(db.driver().query({st("SELECT nope FROM g")}),
                    orcraft::backend::StatementQueryError);
    db.ok1("INSERT INTO g (v) VALUES (3)");
    CHECK(count_elsewhere() == 0);
    db.driver().end_group();
    CHECK(count_elsewhere() == 3);
    CHECK(count_rows(db, "g") == 3);
}

TEST_CASE("an abandoned group leaves the backend as before the group", "[conformance][groups]") {
    OPEN_DB();
    create_table(db);
    db.ok1("INSERT INTO g (v) VALUES (1)");
    const std::uint64_t before = db.driver().applied_index();
    db.driver().begin_group();
    db.ok1("INSERT INTO g (v) VALUES (2)");
    db.ok1("UPDATE g SET v = 10 WHERE v = 1");
    db.driver().abandon_group();
    CHECK(db.driver().applied_index() == before);
    CHECK(db.rows("SELECT id, v FROM g ORDER BY id") == std::vector<Row>{{I(1), I(1)}});
    // The same entries are delivered again and apply as if for the first time, ids included.
    db.set_next_index(before + 1);
    CHECK(db.ok1("INSERT INTO g (v) VALUES (2)").last_insert_id == 2);
    CHECK(db.driver().applied_index() == before + 1);
    REQUIRE(db.reopen());
    CHECK(db.driver().applied_index() == before + 1);
    CHECK(count_rows(db, "g") == 2);
}

TEST_CASE("entries already applied are skipped inside a group", "[conformance][groups]") {
    OPEN_DB();
    create_table(db);
    db.ok1("INSERT INTO g (v) VALUES (1)");
    const std::uint64_t last = db.next_index() - 1;
    db.driver().begin_group();
    db.set_next_index(last);
    CHECK(db.run({st("INSERT INTO g (v) VALUES (1)")}).already_applied);
    db.ok1("INSERT INTO g (v) VALUES (2)");
    db.set_next_index(last + 1);
    CHECK(db.run({st("INSERT INTO g (v) VALUES (2)")}).already_applied);
    // An empty batch (a marker entry) counts too.
    db.set_next_index(last + 2);
    CHECK(db.run({}).results.empty());
    db.driver().end_group();
    CHECK(db.driver().applied_index() == last + 2);
    CHECK(count_rows(db, "g") == 2);
}
