// LogStore::read_entries: entries come back from the segment files exactly as the log holds
// them (after truncations, across segments, after a reopen), within the byte limit, and while
// another thread keeps appending.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "raft/storage/log_store.hpp"
#include "tests/raft_storage/temp_dir.hpp"

using namespace orcraft::raft;
using orcraft::tests::TempDir;

namespace {

// Entries of about `size` bytes, so that a few hundred of them span checkpoints and segments.
std::vector<Entry> sized_entries(Index first, Index last, Term term, std::size_t size) {
    std::vector<Entry> out;
    for (Index i = first; i <= last; ++i) {
        std::string data = "entry-" + std::to_string(i) + "-term-" + std::to_string(term) + "-";
        data.resize(size, static_cast<char>('a' + i % 26));
        out.push_back(Entry{i, term, EntryType::kNormal, std::move(data)});
    }
    return out;
}

// The log as it should be: every write replaces what it overlaps.
struct Model {
    std::map<Index, Entry> log;
    void write(const std::vector<Entry>& entries) {
        log.erase(log.lower_bound(entries.front().index), log.end());
        for (const Entry& e : entries)
            log[e.index] = e;
    }
    std::vector<Entry> slice(Index lo, Index hi, std::size_t max_bytes) const {
        std::vector<Entry> out;
        std::size_t bytes = 0;
        for (auto it = log.find(lo); it != log.end() && it->first <= hi; ++it) {
            bytes += entry_size(it->second);
            if (!out.empty() && bytes > max_bytes) break;
            out.push_back(it->second);
        }
        return out;
    }
};

void write(LogStore& store, Model& model, const std::vector<Entry>& entries) {
    store.write(std::nullopt, entries, HardState{entries.back().term, 1, 0});
    model.write(entries);
}

void check_reads(const LogStore& store, const Model& model, std::mt19937& rng, int rounds) {
    const Index last = model.log.rbegin()->first;
    for (int r = 0; r < rounds; ++r) {
        const Index lo = 1 + rng() % last;
        const Index hi = lo + rng() % 400;
        const std::size_t max_bytes = 1 + rng() % (300 * 1024);
        INFO("lo " << lo << " hi " << hi << " max_bytes " << max_bytes);
        REQUIRE(store.read_entries(lo, hi, max_bytes) == model.slice(lo, hi, max_bytes));
    }
}

}  // namespace

TEST_CASE("entries are read back as the log holds them, across truncations and segments") {
    TempDir dir;
    LogStoreOptions options;
    options.segment_bytes = 1024 * 1024;  // several checkpoints per segment, several segments
    Model model;
    std::mt19937 rng(7);
    {
        auto store = LogStore::open(dir.path(), options);
        Index next = 1;
        Term term = 1;
        while (next <= 3000) {
            // Mostly appends of 1..40 entries; now and then a new term replaces a suffix.
            if (next > 100 && rng() % 10 == 0) {
                ++term;
                next -= 1 + rng() % 60;
            }
            const Index last = next + rng() % 40;
            write(*store, model, sized_entries(next, last, term, 200 + rng() % 1500));
            next = last + 1;
        }
        check_reads(*store, model, rng, 400);
        // A short truncation right after a checkpointed batch: a read that ends before it
        // reaches that batch would return replaced entries.
        const Index end = model.log.rbegin()->first;
        write(*store, model, sized_entries(end - 5, end - 3, term + 1, 100));
        CHECK(store->read_entries(end - 10, end, 1 << 20) == model.slice(end - 10, end, 1 << 20));
    }
    // After a reopen the positions come from the recovery scan.
    auto store = LogStore::open(dir.path(), options);
    check_reads(*store, model, rng, 400);
}

TEST_CASE("read_entries respects its limits and returns nothing for what is not on disk") {
    TempDir dir;
    LogStoreOptions options;
    options.segment_bytes = 64 * 1024;
    options.trailing_entries = 10;
    auto store = LogStore::open(dir.path(), options);
    Model model;
    for (Index i = 1; i <= 1000; i += 10)
        write(*store, model, sized_entries(i, i + 9, 1, 500));

    // One entry even when it alone is over the limit; none past the end.
    CHECK(store->read_entries(5, 100, 1).size() == 1);
    CHECK(store->read_entries(5, 100, 2 * entry_size(model.log[5])).size() == 2);
    CHECK(store->read_entries(990, 2000, 1 << 20).size() == 11);
    CHECK(store->read_entries(1001, 2000, 1 << 20).empty());
    CHECK(store->read_entries(10, 9, 1 << 20).empty());

    // A compaction deletes the segments behind the trailing window; what is left still reads.
    Snapshot snap;
    snap.meta = SnapshotMeta{900, 1, ConfState{{1}, {}}};
    snap.data = std::make_shared<const std::string>("state");
    store->save_snapshot(snap);
    REQUIRE(store->first_index() > 1);
    CHECK(store->read_entries(1, 10, 1 << 20).empty());
    const Index first = store->first_index();
    CHECK(store->read_entries(first, first + 50, 1 << 20) ==
          model.slice(first, first + 50, 1 << 20));
}

TEST_CASE("entries are read back on another thread while the writer appends") {
    TempDir dir;
    LogStoreOptions options;
    options.segment_bytes = 256 * 1024;
    auto store = LogStore::open(dir.path(), options);
    const std::vector<Entry> all = sized_entries(1, 4000, 1, 300);
    std::atomic<Index> written{0};
    std::atomic<bool> done{false};
    std::atomic<int> reads{0};
    std::string failure;

    std::thread reader([&] {
        std::mt19937 rng(11);
        while (!done.load() && failure.empty()) {
            const Index durable = written.load();
            if (durable == 0) continue;
            const Index lo = 1 + rng() % durable;
            auto got = store->read_entries(lo, durable, 64 * 1024);
            if (got.empty() || got.front().index != lo || got.back().index > durable) {
                failure = "read from " + std::to_string(lo) + " up to " + std::to_string(durable) +
                          " returned " + std::to_string(got.size()) + " entries";
            }
            for (const Entry& e : got) {
                if (e != all[e.index - 1])
                    failure = "entry " + std::to_string(e.index) + " differs";
            }
            ++reads;
        }
    });
    for (Index i = 1; i <= all.size(); i += 20) {
        store->write(std::nullopt, {all.begin() + (i - 1), all.begin() + (i + 19)},
                     HardState{1, 1, 0});
        written = i + 19;
    }
    done = true;
    reader.join();
    CHECK(failure.empty());
    INFO(failure);
    CHECK(reads.load() > 0);
}
