// Kills a real process (the crash helper) at each hook point of the driver, in particular between
// a DDL statement and the progress-marker update, then applies the same entries again in this
// process and checks that every entry took effect exactly once.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "crash_script.hpp"
#include "storage_mysql/mysql_driver.hpp"
#include "test_server.hpp"

using orcraft::backend::Statement;
using orcraft::backend::Value;

namespace {

// Runs the helper with the crash point set; returns its wait status.
int run_helper(const std::string& db, const std::string& point, int nth) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        setenv("ORCRAFT_CRASH_AT", point.c_str(), 1);
        setenv("ORCRAFT_CRASH_NTH", std::to_string(nth).c_str(), 1);
        execl(ORCRAFT_CRASH_HELPER, ORCRAFT_CRASH_HELPER, db.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return status;
}

std::int64_t count(orcraft::backend::Driver& d, const std::string& sql) {
    const auto r = d.query({Statement{sql, {}}});
    return std::get<std::int64_t>(r.at(0).rows.at(0).at(0));
}

void check_final_state(orcraft::backend::Driver& d) {
    CHECK(d.applied_index() == 3);
    const auto r = d.query(
        {Statement{"SELECT id, v, w FROM t ORDER BY id", {}}, Statement{"SELECT id FROM u", {}}});
    using I = std::int64_t;
    const std::vector<orcraft::backend::Row> t_rows = {{Value{I{1}}, Value{I{1}}, Value{I{0}}},
                                                       {Value{I{2}}, Value{I{2}}, Value{I{5}}},
                                                       {Value{I{3}}, Value{I{3}}, Value{I{0}}}};
    CHECK(r[0].rows == t_rows);
    CHECK(r[1].rows == std::vector<orcraft::backend::Row>{{Value{I{10}}}});
}

}  // namespace

TEST_CASE("the crash script applies cleanly without a crash", "[mysql][crash]") {
    const std::string db = "orcraft_t_crash_none";
    orcraft::mysql_test::AdminSession().drop_database(db);
    const int status = run_helper(db, "never", 1);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    orcraft::storage_mysql::MysqlDriver d(orcraft::mysql_test::test_options(db));
    check_final_state(d);
}

TEST_CASE("a crash at any point of a batch is recovered exactly once", "[mysql][crash]") {
    struct Point {
        const char* name;
        int nth;
        std::uint64_t applied_after_crash;  // what the marker must say after the crash
    };
    const auto point = GENERATE(Point{"after-ddl", 1, 0},        // entry 1: CREATE TABLE t
                                Point{"before-ddl", 2, 1},       // entry 2: before CREATE TABLE u
                                Point{"after-ddl", 2, 1},        // entry 2: CREATE TABLE u done
                                Point{"after-ddl", 3, 1},        // entry 2: ALTER TABLE t done
                                Point{"after-statement", 1, 1},  // entry 2: first INSERT, open
                                Point{"before-commit", 1, 1},    // entry 2: last step unconfirmed
                                Point{"after-commit", 1, 2});    // entry 2 committed
    DYNAMIC_SECTION(point.name << " #" << point.nth) {
        const std::string db =
            std::string("orcraft_t_crash_") + point.name + std::to_string(point.nth);
        std::string name = db;
        for (char& c : name)
            if (c == '-') c = '_';
        orcraft::mysql_test::AdminSession().drop_database(name);
        const int status = run_helper(name, point.name, point.nth);
        REQUIRE(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);

        orcraft::storage_mysql::MysqlDriver d(orcraft::mysql_test::test_options(name));
        CHECK(d.applied_index() == point.applied_after_crash);
        CHECK(orcraft::mysql_test::apply_script(d) == 0);
        check_final_state(d);
        // Applying everything once more changes nothing.
        CHECK(orcraft::mysql_test::apply_script(d) == 0);
        CHECK(count(d, "SELECT COUNT(*) FROM t") == 3);
    }
}
