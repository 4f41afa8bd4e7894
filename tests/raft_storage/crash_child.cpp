// The writer of the crash test: opens the log store in argv[1], then performs random writes
// (appends, truncating overwrites, hard-state changes, compactions, received snapshots) drawn
// from the seed argv[2]. Before each call it prints what it is about to make durable ("W ...")
// and after the call returned it prints "D", each line with one write(2) to stdout so that a
// SIGKILL at any moment leaves complete lines. Logs go to stderr.
//
// Lines:  O                                                             the store is open
//         W A <first> <count> <term> <hs-term> <hs-vote> <hs-commit>    append (may truncate)
//         W H <hs-term> <hs-vote> <hs-commit>                           hard state only
//         W C <index> <term>                                            save_snapshot
//         W R <index> <term> <count> <hs-term> <hs-vote> <hs-commit>    received snapshot and
//                                                                       `count` entries after it
//         D                                                             the call returned
//         E                                                             all operations done
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "raft/storage/log_store.hpp"
#include "tests/raft_storage/crash_model.hpp"

using namespace orcraft::raft;
using namespace orcraft::tests::crash;

namespace {

void say(const std::string& line) {
    const std::string out = line + "\n";
    if (::write(STDOUT_FILENO, out.data(), out.size()) != static_cast<ssize_t>(out.size())) {
        std::_Exit(3);
    }
}

std::string hs_text(const HardState& hs) {
    return std::to_string(hs.term) + " " + std::to_string(hs.vote) + " " +
           std::to_string(hs.commit);
}

class Writer {
  public:
    Writer(LogStore& store, std::uint64_t seed) : store_(store), rng_(seed) {
        const Restored r = store.restored();
        model_.snapshot_index = r.snapshot.meta.index;
        model_.snapshot_term = r.snapshot.meta.term;
        model_.hard_state = r.hard_state;
        for (const Entry& e : r.entries)
            model_.terms.push_back(e.term);
    }

    void step() {
        const int dice = pick(0, 99);
        if (dice < 60) {
            append();
        } else if (dice < 72) {
            overwrite();
        } else if (dice < 84) {
            hard_state_only();
        } else if (dice < 96) {
            compact();
        } else {
            receive_snapshot();
        }
    }

  private:
    std::uint64_t pick(std::uint64_t lo, std::uint64_t hi) {
        return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_);
    }
    Index last() const { return model_.last_index(); }
    Term term_at(Index i) const {
        return i == model_.snapshot_index ? model_.snapshot_term
                                          : model_.terms[i - model_.snapshot_index - 1];
    }

    void write_entries(Index first, std::uint64_t count, Term term, const HardState& hs) {
        std::vector<Entry> entries;
        for (Index i = first; i < first + count; ++i)
            entries.push_back(make_entry(i, term));
        say("W A " + std::to_string(first) + " " + std::to_string(count) + " " +
            std::to_string(term) + " " + hs_text(hs));
        const bool pass_hs = hs != model_.hard_state || pick(0, 1) == 0;
        store_.write(std::nullopt, entries, pass_hs ? std::optional(hs) : std::nullopt);
        say("D");
        model_.terms.resize(first - model_.snapshot_index - 1);
        model_.terms.insert(model_.terms.end(), count, term);
        model_.hard_state = hs;
    }

    void append() {
        HardState hs = model_.hard_state;
        if (hs.term == 0) hs.term = 1;
        const std::uint64_t count = pick(0, 19) == 0 ? pick(20, 60) : pick(1, 8);
        if (pick(0, 2) > 0) hs.commit = std::max<Index>(hs.commit, pick(hs.commit, last()));
        write_entries(last() + 1, count, hs.term, hs);
    }

    void overwrite() {
        const Index lo = std::max(model_.hard_state.commit, model_.snapshot_index) + 1;
        if (lo > last()) return append();
        HardState hs = model_.hard_state;
        hs.term += 1;
        hs.vote = pick(1, 3);
        write_entries(pick(lo, last()), pick(1, 5), hs.term, hs);
    }

    void hard_state_only() {
        HardState hs = model_.hard_state;
        if (pick(0, 1) == 0) {
            hs.term += 1;
            hs.vote = pick(0, 3);
        } else {
            hs.commit = pick(hs.commit, std::max(hs.commit, last()));
            hs.vote = hs.vote == 0 ? pick(0, 3) : hs.vote;
        }
        say("W H " + hs_text(hs));
        store_.write(std::nullopt, {}, hs);
        say("D");
        model_.hard_state = hs;
    }

    void compact() {
        const Index hi = std::min(model_.hard_state.commit, last());
        if (hi <= model_.snapshot_index) return append();
        const Index index = pick(model_.snapshot_index + 1, hi);
        const Term term = term_at(index);
        Snapshot snap;
        snap.meta = SnapshotMeta{index, term, snapshot_conf()};
        snap.data = std::make_shared<const std::string>(snapshot_payload(index, term));
        say("W C " + std::to_string(index) + " " + std::to_string(term));
        store_.save_snapshot(snap);
        say("D");
        model_.terms.erase(model_.terms.begin(),
                           model_.terms.begin() + static_cast<long>(index - model_.snapshot_index));
        model_.snapshot_index = index;
        model_.snapshot_term = term;
    }

    void receive_snapshot() {
        const Index lo = std::max(model_.hard_state.commit, model_.snapshot_index) + 1;
        const Index index = pick(lo, last() + 10);
        HardState hs{model_.hard_state.term + 1, 0, index};
        const Term term = hs.term;
        Snapshot snap;
        snap.meta = SnapshotMeta{index, term, snapshot_conf()};
        snap.data = std::make_shared<const std::string>(snapshot_payload(index, term));
        const std::uint64_t count = pick(0, 3);
        std::vector<Entry> entries;
        for (Index i = index + 1; i <= index + count; ++i)
            entries.push_back(make_entry(i, term));
        say("W R " + std::to_string(index) + " " + std::to_string(term) + " " +
            std::to_string(count) + " " + hs_text(hs));
        store_.write(snap, entries, hs);
        say("D");
        model_.snapshot_index = index;
        model_.snapshot_term = term;
        model_.terms.assign(count, term);
        model_.hard_state = hs;
    }

    LogStore& store_;
    std::mt19937_64 rng_;
    Model model_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: %s DIR SEED OPERATIONS SEGMENT_BYTES TRAILING_ENTRIES\n",
                     argv[0]);
        return 2;
    }
    auto logger = spdlog::stderr_color_mt("stderr");
    logger->set_level(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    try {
        LogStoreOptions options;
        options.segment_bytes = std::strtoull(argv[4], nullptr, 10);
        options.trailing_entries = std::strtoull(argv[5], nullptr, 10);
        auto store = LogStore::open(argv[1], options);
        say("O");
        Writer writer(*store, std::strtoull(argv[2], nullptr, 10));
        const long operations = std::strtol(argv[3], nullptr, 10);
        for (long i = 0; i < operations; ++i)
            writer.step();
        say("E");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "crash child: %s\n", e.what());
        return 1;
    }
}
