// Applies the crash script (with a second argument "group": the apply-group script) to the
// database named by argv[1] on the test server and kills itself with SIGKILL at the hook point
// named by ORCRAFT_CRASH_AT, the ORCRAFT_CRASH_NTH-th time (default 1) the driver reaches it.
// Exits 0 when the point was never reached and the script reported the errors it should.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "crash_script.hpp"
#include "storage_mysql/mysql_driver.hpp"

int main(int argc, char** argv) {
    const bool group = argc == 3 && std::string(argv[2]) == "group";
    if (argc != 2 && !group) {
        std::fprintf(stderr, "usage: %s DATABASE [group]\n", argv[0]);
        return 2;
    }
    auto env = [](const char* name, const char* fallback) {
        const char* v = std::getenv(name);
        return std::string(v != nullptr ? v : fallback);
    };
    orcraft::storage_mysql::MysqlOptions o;
    o.host = env("ORCRAFT_TEST_MYSQL_HOST", "127.0.0.1");
    o.port = std::atoi(env("ORCRAFT_TEST_MYSQL_PORT", "3306").c_str());
    o.user = env("ORCRAFT_TEST_MYSQL_USER", "orcraft");
    o.password = env("ORCRAFT_TEST_MYSQL_PASSWORD", "");
    o.database = argv[1];
    const std::string point = env("ORCRAFT_CRASH_AT", "");
    int remaining = std::atoi(env("ORCRAFT_CRASH_NTH", "1").c_str());
    o.test_hook = [&](std::string_view reached) {
        if (reached == point && --remaining == 0) std::raise(SIGKILL);
    };
    try {
        orcraft::storage_mysql::MysqlDriver driver(o);
        if (group) return orcraft::mysql_test::apply_group_script(driver) == 1 ? 0 : 1;
        return orcraft::mysql_test::apply_script(driver) == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "crash helper: %s\n", e.what());
        return 3;
    }
}
