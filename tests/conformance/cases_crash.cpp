// The applied index survives a crash between statements: a child process applies batches in a
// loop and is killed with SIGKILL at random moments; after reopening, the applied index and
// the rows agree exactly.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "tests/conformance/harness.hpp"

using namespace orcraft::conformance;

namespace {

constexpr int kRowsPerBatch = 40;

struct Child {
    pid_t pid = -1;
    FILE* out = nullptr;
};

Child spawn_helper(const std::string& backend, const std::string& location) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        const std::string rows = std::to_string(kRowsPerBatch);
        execl(ORCRAFT_CRASH_HELPER_PATH, ORCRAFT_CRASH_HELPER_PATH, backend.c_str(),
              location.c_str(), rows.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(fds[1]);
    return Child{pid, fdopen(fds[0], "r")};
}

}  // namespace

TEST_CASE("the applied index and the rows agree after SIGKILL between statements",
          "[conformance][crash]") {
    OPEN_DB();
    db.ok1("CREATE TABLE c (batch BIGINT NOT NULL, n INT NOT NULL, PRIMARY KEY (batch, n))");
    if (!db.reopen()) {
        WARN("skipped on " << backend_name << ": the fixture cannot reopen a database");
        return;
    }
    db.close();
    std::mt19937 rng(Catch::rngSeed() + 17);
    for (int round = 0; round < 6; ++round) {
        INFO("round " << round);
        Child child = spawn_helper(backend_name, db.location());
        // Wait until the child has applied at least one batch, then kill it at a random
        // moment within the next few batches.
        char line[64];
        REQUIRE(std::fgets(line, sizeof line, child.out) != nullptr);
        const auto delay =
            std::chrono::microseconds(std::uniform_int_distribution<int>(0, 60000)(rng));
        std::this_thread::sleep_for(delay);  // fault injection timing, not synchronisation
        REQUIRE(kill(child.pid, SIGKILL) == 0);
        int status = 0;
        REQUIRE(waitpid(child.pid, &status, 0) == child.pid);
        CHECK(WIFSIGNALED(status));
        std::uint64_t last_reported = 0;
        do {
            last_reported =
                std::max<std::uint64_t>(last_reported, std::strtoull(line, nullptr, 10));
        } while (std::fgets(line, sizeof line, child.out) != nullptr);
        std::fclose(child.out);

        REQUIRE(db.reopen());
        const std::uint64_t applied = db.driver().applied_index();
        // Every index the child reported is durable; at most the one in flight may be added.
        CHECK(applied >= last_reported);
        CHECK(applied <= last_reported + 1);
        // Batch 1 was the CREATE TABLE; batches 2..applied each left exactly kRowsPerBatch rows.
        const auto groups = db.rows("SELECT batch, COUNT(*) FROM c GROUP BY batch ORDER BY batch");
        REQUIRE(groups.size() == applied - 1);
        for (std::size_t i = 0; i < groups.size(); ++i) {
            CHECK(groups[i][0] == I(static_cast<std::int64_t>(i) + 2));
            CHECK(groups[i][1] == I(kRowsPerBatch));
        }
        // Tables created by DDL batches exist exactly up to the applied index.
        for (std::uint64_t k = 5; k <= applied + 5; k += 5) {
            bool exists = true;
            try {
                db.driver().query({st("SELECT COUNT(*) FROM d" + std::to_string(k))});
            } catch (const orcraft::backend::StatementQueryError&) {
                exists = false;
            }
            INFO("table d" << k << ", applied " << applied);
            CHECK(exists == (k <= applied));
        }
        db.close();
    }
}
