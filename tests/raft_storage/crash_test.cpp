// Crash test on a real file system: a writer process (raft_storage_crash_child) is SIGKILLed
// at random moments, hundreds of times, in one data directory. It reports every call before
// making it ("W ...") and after it returned ("D"). After each kill the test opens the store
// and requires the restored state to be exactly the state after the last returned call, or
// (for the call in progress) the state after it or, for a received snapshot, the state after
// its first step; every entry and snapshot must hold what the writer generates for its index
// and term. Rounds: RAFT_STORAGE_CRASH_ROUNDS (environment), else the build's default.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "raft/storage/log_store.hpp"
#include "tests/raft_storage/crash_model.hpp"
#include "tests/raft_storage/temp_dir.hpp"

using namespace orcraft::raft;
using namespace orcraft::tests::crash;

namespace {

constexpr const char* kSegmentBytes = "16384";  // small: rollovers and deletions happen often
constexpr const char* kTrailingEntries = "30";

struct ChildRun {
    std::vector<std::string> lines;
    bool killed = false;
    int exit_code = 0;
};

// Runs the writer until it finishes or `kill_after` passes, then SIGKILLs it. The time counts
// from the start of the process, or with `from_open` from the moment it reports the store
// open (so that slow process starts, as under the sanitizers, do not swallow the writes).
ChildRun run_child(const std::string& dir, std::uint64_t seed, std::chrono::microseconds kill_after,
                   bool from_open) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const std::string seed_text = std::to_string(seed);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        ::close(fds[0]);
        ::close(fds[1]);
        ::execl(RAFT_STORAGE_CRASH_CHILD, RAFT_STORAGE_CRASH_CHILD, dir.c_str(), seed_text.c_str(),
                "400", kSegmentBytes, kTrailingEntries, static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);

    ChildRun run;
    std::string buffer;
    // A writer that never reports the store open has failed; the exit code tells why.
    auto deadline = std::chrono::steady_clock::now() +
                    (from_open ? std::chrono::microseconds(std::chrono::seconds(30)) : kill_after);
    bool eof = false;
    bool opened = false;
    auto read_some = [&](int timeout_ms) {
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return;
        char chunk[4096];
        const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
        if (n <= 0) {
            eof = true;
            return;
        }
        buffer.append(chunk, static_cast<std::size_t>(n));
        if (from_open && !opened && buffer.starts_with("O\n")) {
            opened = true;
            deadline = std::chrono::steady_clock::now() + kill_after;
        }
    };
    while (!eof) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() < 0) break;
        read_some(static_cast<int>(left.count()) + 1);
    }
    if (!eof) {
        ::kill(pid, SIGKILL);
        while (!eof)
            read_some(-1);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    ::close(fds[0]);
    run.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;

    std::istringstream in(buffer);
    for (std::string line; std::getline(in, line);)
        run.lines.push_back(line);
    return run;
}

// The states a call may leave behind: the first is "not done"; the last is "done".
std::vector<Model> outcomes(const Model& before, const std::string& call) {
    std::istringstream in(call);
    std::string w, kind;
    in >> w >> kind;
    Model after = before;
    std::vector<Model> states{before};
    if (kind == "A") {
        Index first = 0;
        std::uint64_t count = 0;
        Term term = 0;
        in >> first >> count >> term >> after.hard_state.term >> after.hard_state.vote >>
            after.hard_state.commit;
        after.terms.resize(first - before.snapshot_index - 1);
        after.terms.insert(after.terms.end(), count, term);
    } else if (kind == "H") {
        in >> after.hard_state.term >> after.hard_state.vote >> after.hard_state.commit;
    } else if (kind == "C") {
        Index index = 0;
        in >> index >> after.snapshot_term;
        after.terms.erase(after.terms.begin(),
                          after.terms.begin() + static_cast<long>(index - before.snapshot_index));
        after.snapshot_index = index;
    } else if (kind == "R") {
        std::uint64_t count = 0;
        in >> after.snapshot_index >> after.snapshot_term >> count >> after.hard_state.term >>
            after.hard_state.vote >> after.hard_state.commit;
        after.terms.clear();
        states.push_back(after);  // the snapshot is in, the entries after it not yet
        after.terms.assign(count, after.snapshot_term);
    } else {
        FAIL("unknown call line: " << call);
    }
    states.push_back(after);
    return states;
}

std::string describe(const Model& m) {
    std::ostringstream out;
    out << "snapshot " << m.snapshot_index << "/" << m.snapshot_term << " hs " << m.hard_state.term
        << "/" << m.hard_state.vote << "/" << m.hard_state.commit << " entries "
        << m.snapshot_index + 1 << ".." << m.last_index() << " terms";
    for (const Term t : m.terms)
        out << " " << t;
    return out.str();
}

// The restored state as a Model, after checking that every byte is what the writer generates.
Model restored_model(const Restored& r) {
    Model m;
    m.snapshot_index = r.snapshot.meta.index;
    m.snapshot_term = r.snapshot.meta.term;
    m.hard_state = r.hard_state;
    if (m.snapshot_index > 0) {
        CHECK(r.snapshot.meta.conf == snapshot_conf());
        REQUIRE(r.snapshot.data);
        CHECK(*r.snapshot.data == snapshot_payload(m.snapshot_index, m.snapshot_term));
    }
    for (std::size_t i = 0; i < r.entries.size(); ++i) {
        const Entry& e = r.entries[i];
        REQUIRE(e.index == m.snapshot_index + 1 + i);
        REQUIRE(e == make_entry(e.index, e.term));
        m.terms.push_back(e.term);
    }
    return m;
}

int crash_rounds() {
    if (const char* env = std::getenv("RAFT_STORAGE_CRASH_ROUNDS")) return std::atoi(env);
    return RAFT_STORAGE_CRASH_ROUNDS;
}

}  // namespace

TEST_CASE(
    "a writer killed at random moments loses nothing it reported durable and invents nothing") {
    spdlog::set_level(spdlog::level::warn);
    const int rounds = crash_rounds();
    const std::uint64_t base_seed = 20240601;
    std::mt19937_64 timing(base_seed);
    std::optional<orcraft::tests::TempDir> dir;
    Model model;
    int calls_done = 0;
    std::map<char, int> killed_during;  // by kind of call (A, H, C, R)

    for (int round = 0; round < rounds; ++round) {
        if (round % 50 == 0) {  // now and then a new directory: kills during initialization
            dir.emplace();
            model = Model{};
        }
        // Mostly short runs, some long; one in five counts from the process start, so that the
        // kill may land during open() and its repairs.
        const auto kill_after = std::chrono::microseconds(
            timing() % 4 == 0 ? 10000 + timing() % 40000 : timing() % 10000);
        const bool from_open = timing() % 5 != 0;
        const std::uint64_t seed = base_seed + static_cast<std::uint64_t>(round);
        const ChildRun run = run_child(dir->path(), seed, kill_after, from_open);
        INFO("round " << round << " seed " << seed << " lines " << run.lines.size());
        REQUIRE((run.killed || run.exit_code == 0));

        std::string pending;
        for (const std::string& line : run.lines) {
            if (line.starts_with("W ")) {
                REQUIRE(pending.empty());
                pending = line;
            } else if (line == "D") {
                REQUIRE(!pending.empty());
                model = outcomes(model, pending).back();
                pending.clear();
                ++calls_done;
            }
        }
        const std::vector<Model> allowed =
            pending.empty() ? std::vector<Model>{model} : outcomes(model, pending);
        if (!pending.empty()) ++killed_during[pending[2]];

        LogStoreOptions options;
        options.segment_bytes = std::stoull(kSegmentBytes);
        options.trailing_entries = std::stoull(kTrailingEntries);
        auto store = LogStore::open(dir->path(), options);
        const Model found = restored_model(store->restored());
        bool matched = false;
        for (const Model& m : allowed) {
            if (m == found) {
                model = m;
                matched = true;
                break;
            }
        }
        INFO("call in progress: " << (pending.empty() ? "none" : pending));
        INFO("restored: " << describe(found));
        INFO("durable:  " << describe(allowed.front()));
        INFO("done:     " << describe(allowed.back()));
        REQUIRE(matched);
        CHECK(store->last_index() == model.last_index());
    }
    std::ostringstream kills;
    for (const auto& [kind, n] : killed_during)
        kills << " " << kind << "=" << n;
    WARN("crash test: " << rounds << " rounds, " << calls_done
                        << " calls returned, kills during a call by kind:" << kills.str());
}
