// Apply groups on MySQL: what a DDL batch inside a group commits early, what abandoning and a lost
// connection undo, and recovery after the crash helper is killed (SIGKILL) at points inside a
// group: the applied index and the rows agree, every entry takes effect exactly once, and the
// generated ids are those of an uninterrupted run.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>

#include "crash_script.hpp"
#include "storage_mysql/mysql_driver.hpp"
#include "test_server.hpp"

using orcraft::backend::BackendError;
using orcraft::backend::Row;
using orcraft::backend::Stamp;
using orcraft::backend::Statement;
using orcraft::backend::Value;
using orcraft::storage_mysql::MysqlDriver;
using I = std::int64_t;

namespace {

const Stamp kStamp{1700000000000000, 42};

// Runs the helper on the group script with the crash point set; returns its wait status.
int run_group_helper(const std::string& db, const std::string& point, int nth) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        setenv("ORCRAFT_CRASH_AT", point.c_str(), 1);
        setenv("ORCRAFT_CRASH_NTH", std::to_string(nth).c_str(), 1);
        execl(ORCRAFT_CRASH_HELPER, ORCRAFT_CRASH_HELPER, db.c_str(), "group",
              static_cast<char*>(nullptr));
        _exit(127);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return status;
}

std::vector<Row> rows(orcraft::backend::Driver& d, const std::string& sql) {
    return d.query({Statement{sql, {}}}).at(0).rows;
}

// What readers on other threads see: committed state only, also while a group is open.
std::vector<Row> committed_rows(orcraft::backend::Driver& d, const std::string& sql) {
    std::vector<Row> out;
    std::thread reader([&] { out = rows(d, sql); });
    reader.join();
    return out;
}

bool table_exists(const std::string& db, const std::string& table) {
    return orcraft::mysql_test::AdminSession().query_int(
               "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '" + db +
               "' AND TABLE_NAME = '" + table + "'") > 0;
}

// What the group script leaves once entries up to `applied` took effect: the v values in g and
// the ids in h (nullopt: h does not exist).
void check_state_at(MysqlDriver& d, const std::string& db, std::uint64_t applied) {
    std::set<I> want_g;
    for (I v : {2, 3, 5, 7, 9})
        if (static_cast<std::uint64_t>(v) <= applied) want_g.insert(v);
    std::set<I> got_g;
    for (const auto& r : rows(d, "SELECT v FROM g"))
        got_g.insert(std::get<I>(r.at(0)));
    CHECK(got_g == want_g);
    CHECK(rows(d, "SELECT COUNT(*) FROM g").at(0).at(0) == Value{static_cast<I>(want_g.size())});
    CHECK(table_exists(db, "h") == (applied >= 6));
    if (applied >= 6) {
        std::vector<Row> want_h = {{Value{I{6}}}};
        if (applied >= 8) want_h.push_back({Value{I{8}}});
        CHECK(rows(d, "SELECT id FROM h ORDER BY id") == want_h);
    }
}

void check_final_state(MysqlDriver& d) {
    CHECK(d.applied_index() == 9);
    const std::vector<Row> g = {{Value{I{1}}, Value{I{2}}},
                                {Value{I{2}}, Value{I{3}}},
                                {Value{I{3}}, Value{I{5}}},
                                {Value{I{4}}, Value{I{7}}},
                                {Value{I{5}}, Value{I{9}}}};
    CHECK(rows(d, "SELECT id, v FROM g ORDER BY id") == g);
    CHECK(rows(d, "SELECT id FROM h ORDER BY id") ==
          std::vector<Row>{{Value{I{6}}}, {Value{I{8}}}});
}

std::string fresh_database(const std::string& name) {
    orcraft::mysql_test::AdminSession().drop_database(name);
    return name;
}

}  // namespace

TEST_CASE("mysql_driver: the group script applies cleanly without a crash", "[mysql][groups]") {
    const std::string db = fresh_database("orcraft_t_group_none");
    const int status = run_group_helper(db, "never", 1);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    MysqlDriver d(orcraft::mysql_test::test_options(db));
    check_final_state(d);
}

TEST_CASE("mysql_driver: a crash inside an apply group is recovered exactly once",
          "[mysql][groups][crash]") {
    struct Point {
        const char* name;
        int nth;
        std::uint64_t applied_after_crash;
    };
    // See group_script(): "after-statement" counts the inserts of entries 2, 3, 4 (its first),
    // 5, 6 (run outside the group's transaction), 7, 8, 9; "group-before-commit" and
    // "group-after-commit" the commits before entry 4's counter repair, before entry 6 (DDL),
    // and at end_group().
    const auto point = GENERATE(Point{"after-statement", 1, 1},      // entry 2, group open
                                Point{"after-statement", 3, 1},      // entry 4, before it fails
                                Point{"group-before-commit", 1, 1},  // 2-4, before the repair
                                Point{"group-after-commit", 1, 4},   // ids not yet given back
                                Point{"group-before-commit", 2, 4},  // 5, before the DDL
                                Point{"group-after-commit", 2, 5},   //
                                Point{"after-ddl", 2, 5},            // entry 6: h created
                                Point{"before-commit", 1, 5},        // entry 6: its insert
                                Point{"after-commit", 1, 6},         // entry 6 done
                                Point{"after-statement", 6, 6},      // entry 7, new transaction
                                Point{"group-before-commit", 3, 6},  // end_group()
                                Point{"group-after-commit", 3, 9});
    DYNAMIC_SECTION(point.name << " #" << point.nth) {
        std::string name =
            std::string("orcraft_t_gcrash_") + point.name + std::to_string(point.nth);
        for (char& c : name)
            if (c == '-') c = '_';
        const std::string db = fresh_database(name);
        const int status = run_group_helper(db, point.name, point.nth);
        REQUIRE(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);

        MysqlDriver d(orcraft::mysql_test::test_options(db));
        CHECK(d.applied_index() == point.applied_after_crash);
        check_state_at(d, db, d.applied_index());
        // Delivered again (as a restarted node would), grouped again.
        CHECK(orcraft::mysql_test::apply_group_script(d) ==
              (point.applied_after_crash < 4 ? 1 : 0));
        check_final_state(d);
        CHECK(orcraft::mysql_test::apply_group_script(d) == 0);
        check_final_state(d);
    }
}

TEST_CASE("mysql_driver: a DDL batch commits the group so far and an abandon keeps it",
          "[mysql][groups]") {
    const std::string db = fresh_database("orcraft_t_group_ddl");
    MysqlDriver d(orcraft::mysql_test::test_options(db));
    d.execute({{"CREATE TABLE g (id INT PRIMARY KEY)", {}}}, kStamp, 1);
    d.begin_group();
    d.execute({{"INSERT INTO g VALUES (2)", {}}}, kStamp, 2);
    CHECK(committed_rows(d, "SELECT COUNT(*) FROM g").at(0).at(0) == Value{I{0}});
    d.execute({{"CREATE TABLE h (id INT PRIMARY KEY)", {}}, {"INSERT INTO h VALUES (3)", {}}},
              kStamp, 3);
    // Entry 2 was committed before the DDL ran.
    CHECK(committed_rows(d, "SELECT COUNT(*) FROM g").at(0).at(0) == Value{I{1}});
    d.execute({{"INSERT INTO g VALUES (4)", {}}}, kStamp, 4);
    CHECK(committed_rows(d, "SELECT COUNT(*) FROM g").at(0).at(0) == Value{I{1}});
    CHECK(rows(d, "SELECT COUNT(*) FROM g").at(0).at(0) == Value{I{2}});
    CHECK(d.applied_index() == 4);
    d.abandon_group();
    CHECK(d.applied_index() == 3);
    CHECK(rows(d, "SELECT id FROM g ORDER BY id") == std::vector<Row>{{Value{I{2}}}});
    CHECK(rows(d, "SELECT id FROM h") == std::vector<Row>{{Value{I{3}}}});
    MysqlDriver reopened(orcraft::mysql_test::test_options(db));
    CHECK(reopened.applied_index() == 3);
}

TEST_CASE("mysql_driver: a lost connection inside a group undoes its open part",
          "[mysql][groups]") {
    const std::string db = fresh_database("orcraft_t_group_lost");
    MysqlDriver d(orcraft::mysql_test::test_options(db));
    d.execute({{"CREATE TABLE g (id INT AUTO_INCREMENT PRIMARY KEY, v INT)", {}}}, kStamp, 1);
    d.begin_group();
    d.execute({{"INSERT INTO g (v) VALUES (2)", {}}}, kStamp, 2);
    d.execute({{"INSERT INTO g (v) VALUES (3)", {}}}, kStamp, 3);
    orcraft::mysql_test::AdminSession().kill_connection(d.writer_connection_id());
    CHECK_THROWS_AS(d.execute({{"INSERT INTO g (v) VALUES (4)", {}}}, kStamp, 4), BackendError);
    // The group is over: the backend is as it was at begin_group(), ids included.
    d.abandon_group();
    CHECK(d.applied_index() == 1);
    CHECK(rows(d, "SELECT COUNT(*) FROM g").at(0).at(0) == Value{I{0}});
    d.begin_group();
    for (std::uint64_t i = 2; i <= 4; ++i) {
        const auto out =
            d.execute({{"INSERT INTO g (v) VALUES (?)", {static_cast<I>(i)}}}, kStamp, i);
        CHECK(out.results.at(0).last_insert_id == static_cast<I>(i - 1));
    }
    d.end_group();
    CHECK(d.applied_index() == 4);
    CHECK(rows(d, "SELECT COUNT(*) FROM g").at(0).at(0) == Value{I{3}});
}
