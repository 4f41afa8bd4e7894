// orcraft-bench against a real orcraft process: the table it prints parses, its numbers agree with
// its JSON line, requests succeed, acknowledged ids are really in the table, and an unreachable URL
// is counted as connection errors while the load carries on over the other one.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/node/node_process.hpp"

extern char** environ;

namespace {

using orcraft::tests::NodeProcess;
using orcraft::tests::TempDir;
using namespace std::chrono_literals;

struct BenchRun {
    int status = -1;
    std::string output;  // stdout: the table and the JSON line
    std::map<std::string, std::string> table;
    nlohmann::json json;
};

// Runs orcraft-bench to completion with stdout to a file and stderr (progress lines) to another.
BenchRun run_bench(const TempDir& dir, std::vector<std::string> args) {
    args.insert(args.begin(), ORCRAFT_BENCH_BINARY);
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const auto out_path = dir.path() / "bench.out";
    const auto err_path = dir.path() / "bench.err";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    pid_t pid = -1;
    REQUIRE(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);

    BenchRun run;
    const auto until = std::chrono::steady_clock::now() + 60s;
    for (;;) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
        if (std::chrono::steady_clock::now() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            FAIL("orcraft-bench did not finish in time");
        }
        std::this_thread::sleep_for(20ms);  // polling interval of the deadline loop
    }
    std::ifstream in(out_path);
    std::string line;
    while (std::getline(in, line)) {
        run.output += line + "\n";
        if (!line.empty() && line.front() == '{') {
            run.json = nlohmann::json::parse(line);
            continue;
        }
        auto gap = line.find("  ");
        REQUIRE(gap != std::string::npos);
        auto value_at = line.find_first_not_of(' ', gap);
        REQUIRE(value_at != std::string::npos);
        run.table[line.substr(0, gap)] = line.substr(value_at);
    }
    std::ifstream err(err_path);
    std::stringstream progress;
    progress << err.rdbuf();
    INFO("stderr:\n" << progress.str());
    return run;
}

nlohmann::json config() {
    return {{"RaftEnabled", false}, {"BackendDB", "sqlite"}};
}

std::string url(const NodeProcess& node) {
    return "http://127.0.0.1:" + std::to_string(node.port());
}

}  // namespace

TEST_CASE("insert workload: table, JSON and acknowledged ids agree with the database") {
    TempDir dir;
    NodeProcess node(dir.path(), config());
    node.start();
    const auto ack = (dir.path() / "ack.txt").string();
    auto run = run_bench(dir, {"--url", url(node), "--clients", "4", "--duration", "1", "--warmup",
                               "0.2", "--value-size", "50", "--json", "--ack-log", ack});
    INFO(run.output);
    REQUIRE(run.status == 0);
    REQUIRE(run.table.at("workload") == "insert");
    REQUIRE(run.table.at("clients") == "4");
    const auto requests = std::stoull(run.table.at("requests"));
    CHECK(requests > 10);
    CHECK(run.table.at("errors") == "0");
    CHECK(std::stod(run.table.at("requests/s")) > 10);
    const double p50 = std::stod(run.table.at("latency p50 ms"));
    const double p99 = std::stod(run.table.at("latency p99 ms"));
    CHECK(p50 > 0);
    CHECK(p50 <= p99);
    CHECK(p99 <= std::stod(run.table.at("latency max ms")));
    REQUIRE(run.json.is_object());
    CHECK(run.json.at("requests").get<std::uint64_t>() == requests);
    CHECK(run.json.at("errors").get<std::uint64_t>() == 0);

    // Every acknowledged id is in the table, once; at most one unacknowledged row per client.
    std::ifstream in(ack);
    std::set<std::int64_t> ids;
    std::int64_t id = 0;
    std::size_t lines = 0;
    while (in >> id) {
        ids.insert(id);
        ++lines;
    }
    CHECK(lines == ids.size());
    CHECK(ids.size() >= requests);
    auto answer = node.post("/api/db/query", {{"statements", {"SELECT id FROM bench"}}});
    REQUIRE(answer.status == 200);
    auto values = nlohmann::json::parse(answer.body).at("results").at(0).at("values");
    std::set<std::int64_t> stored;
    for (const auto& row : values)
        stored.insert(row.at(0).get<std::int64_t>());
    for (auto acked : ids)
        REQUIRE(stored.count(acked) == 1);
    CHECK(stored.size() <= ids.size() + 4);
}

TEST_CASE("batch and select workloads succeed") {
    TempDir dir;
    NodeProcess node(dir.path(), config());
    node.start();
    auto batch = run_bench(dir, {"--url", url(node), "--workload", "batch", "--batch", "5",
                                 "--clients", "2", "--duration", "0.5", "--warmup", "0", "--json"});
    INFO(batch.output);
    REQUIRE(batch.status == 0);
    CHECK(batch.table.at("errors") == "0");
    CHECK(batch.json.at("rows").get<std::uint64_t>() ==
          5 * batch.json.at("requests").get<std::uint64_t>());
    for (const char* workload : {"select-weak", "select-linearizable"}) {
        auto run = run_bench(dir, {"--url", url(node), "--workload", workload, "--rows", "300",
                                   "--clients", "2", "--duration", "0.5", "--warmup", "0"});
        INFO(workload << "\n" << run.output);
        REQUIRE(run.status == 0);
        CHECK(std::stoull(run.table.at("requests")) > 10);
        CHECK(run.table.at("errors") == "0");
    }
}

TEST_CASE("an unreachable URL counts as connect errors and the load moves to the other one") {
    TempDir dir;
    NodeProcess node(dir.path(), config());
    node.start();
    // Port 1 on loopback refuses connections.
    auto run = run_bench(dir, {"--url", url(node) + ",http://127.0.0.1:1", "--clients", "4",
                               "--duration", "1", "--warmup", "0", "--json"});
    INFO(run.output);
    REQUIRE(run.status == 0);
    CHECK(std::stoull(run.table.at("requests")) > 10);
    CHECK(std::stoull(run.table.at("errors connect")) >= 1);
    CHECK(run.json.at("errors_by_kind").at("connect").get<std::uint64_t>() >= 1);
}

TEST_CASE("a request count ends the run once that many requests were acknowledged") {
    TempDir dir;
    NodeProcess node(dir.path(), config());
    node.start();
    auto run = run_bench(dir, {"--url", url(node), "--clients", "2", "--requests", "200",
                               "--duration", "50", "--json", "--quiet"});
    INFO(run.output);
    REQUIRE(run.status == 0);
    CHECK(std::stoull(run.table.at("requests")) >= 200);
    CHECK(std::stod(run.table.at("seconds")) < 40);
}

TEST_CASE("failover probe: signals the process, then times the first acknowledged write") {
    TempDir dir;
    NodeProcess node(dir.path(), config());
    node.start();
    // The table the probe writes to.
    REQUIRE(run_bench(dir, {"--url", url(node), "--requests", "1", "--quiet"}).status == 0);

    // A stand-in for the node being killed.
    pid_t victim = -1;
    const char* sleep_argv[] = {"sleep", "60", nullptr};
    REQUIRE(posix_spawnp(&victim, "sleep", nullptr, nullptr, const_cast<char**>(sleep_argv),
                         environ) == 0);
    auto run = run_bench(dir, {"--url", url(node), "--kill-pid", std::to_string(victim), "--signal",
                               "TERM", "--keep-table", "--json"});
    int status = 0;
    REQUIRE(waitpid(victim, &status, 0) == victim);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGTERM);
    INFO(run.output);
    REQUIRE(run.status == 0);
    CHECK(run.table.at("failover ok") == "yes");
    CHECK(run.json.at("ok").get<bool>());
    CHECK(run.json.at("signal") == "TERM");
    CHECK(run.json.at("seconds").get<double>() < 5);
    CHECK(run.json.at("via") == url(node));

    // Nothing answers: the probe gives up at its deadline and says so.
    const char* sleep_again[] = {"sleep", "60", nullptr};
    REQUIRE(posix_spawnp(&victim, "sleep", nullptr, nullptr, const_cast<char**>(sleep_again),
                         environ) == 0);
    auto failed = run_bench(dir, {"--url", "http://127.0.0.1:1", "--kill-pid",
                                  std::to_string(victim), "--duration", "0.3", "--json"});
    REQUIRE(waitpid(victim, &status, 0) == victim);
    CHECK(WTERMSIG(status) == SIGKILL);
    CHECK(failed.status == 1);
    CHECK(failed.table.at("failover ok") == "no");
    CHECK_FALSE(failed.json.at("ok").get<bool>());
}
