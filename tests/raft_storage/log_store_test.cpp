// The log store's contract on a real directory: what write() and save_snapshot() persist is
// what open() restores, with one sync per write.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "raft/storage/log_store.hpp"
#include "tests/raft_storage/temp_dir.hpp"

using namespace orcraft::raft;
using orcraft::tests::TempDir;

namespace {

std::vector<Entry> make_entries(Index first, Index last, Term term, const std::string& tag = "") {
    std::vector<Entry> out;
    for (Index i = first; i <= last; ++i) {
        out.push_back(Entry{i, term, EntryType::kNormal,
                            tag + "entry-" + std::to_string(i) + "-" + std::to_string(term)});
    }
    return out;
}

Snapshot make_snapshot(Index index, Term term, const std::string& data) {
    Snapshot s;
    s.meta.index = index;
    s.meta.term = term;
    s.meta.conf.voters = {1, 2, 3};
    s.meta.conf.learners = {4};
    s.data = std::make_shared<const std::string>(data);
    return s;
}

std::size_t count_files(const std::string& dir, const std::string& prefix) {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().filename().string().starts_with(prefix)) ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("an empty directory opens as an empty log") {
    TempDir dir;
    auto store = LogStore::open(dir.path(), {});
    const Restored r = store->restored();
    CHECK(r.entries.empty());
    CHECK(r.hard_state == HardState{});
    CHECK(r.snapshot.meta.index == 0);
    CHECK(r.snapshot.meta.conf == ConfState{});
    REQUIRE(r.snapshot.data);
    CHECK(r.snapshot.data->empty());
    CHECK(r.applied == 0);
    CHECK(store->first_index() == 1);
    CHECK(store->last_index() == 0);
}

TEST_CASE("entries and hard state survive a reopen") {
    TempDir dir;
    const auto entries = make_entries(1, 50, 1);
    {
        auto store = LogStore::open(dir.path(), {});
        const auto syncs_at_open = store->stats().syncs;
        store->write(std::nullopt, {entries.begin(), entries.begin() + 20}, HardState{1, 1, 0});
        store->write(std::nullopt, {entries.begin() + 20, entries.end()}, HardState{1, 1, 30});
        store->write(std::nullopt, {}, HardState{1, 1, 45});
        CHECK(store->last_index() == 50);
        CHECK(store->stats().batches == 3);
        CHECK(store->stats().syncs == syncs_at_open + 3);
        CHECK(store->stats().entries_written == 50);
    }
    auto store = LogStore::open(dir.path(), {});
    const Restored r = store->restored();
    CHECK(r.entries == entries);
    CHECK(r.hard_state == HardState{1, 1, 45});
    CHECK(store->first_index() == 1);
    CHECK(store->last_index() == 50);
}

TEST_CASE("one write costs one sync whatever it carries") {
    TempDir dir;
    auto store = LogStore::open(dir.path(), {});
    const auto before = store->stats().syncs;
    store->write(std::nullopt, make_entries(1, 1, 1), HardState{1, 0, 0});
    CHECK(store->stats().syncs == before + 1);
    store->write(std::nullopt, make_entries(2, 100, 1), HardState{1, 0, 1});
    CHECK(store->stats().syncs == before + 2);
    store->write(std::nullopt, {}, HardState{2, 3, 1});
    CHECK(store->stats().syncs == before + 3);
    // Nothing new: nothing written.
    store->write(std::nullopt, {}, HardState{2, 3, 1});
    store->write(std::nullopt, {}, std::nullopt);
    CHECK(store->stats().syncs == before + 3);
}

TEST_CASE("a write that starts inside the log replaces the suffix, also across segments") {
    TempDir dir;
    LogStoreOptions options;
    options.segment_bytes = 512;  // a few entries per segment
    std::vector<Entry> expected = make_entries(1, 40, 1);
    {
        auto store = LogStore::open(dir.path(), options);
        for (Index i = 1; i <= 40; i += 4) {
            store->write(std::nullopt, {expected.begin() + (i - 1), expected.begin() + (i + 3)},
                         HardState{1, 1, 0});
        }
        CHECK(count_files(dir.path(), "segment-") > 3);
        // Replace 12..40 by 12..15 of term 2 (reaches back several segments).
        const auto replacement = make_entries(12, 15, 2, "new-");
        store->write(std::nullopt, replacement, HardState{2, 2, 5});
        CHECK(store->last_index() == 15);
        expected.resize(11);
        expected.insert(expected.end(), replacement.begin(), replacement.end());
    }
    {
        auto store = LogStore::open(dir.path(), options);
        CHECK(store->restored().entries == expected);
        CHECK(store->restored().hard_state == HardState{2, 2, 5});
        CHECK(store->last_index() == 15);
        // Append after the replacement, and replace the very last entry.
        const auto more = make_entries(16, 20, 2, "more-");
        store->write(std::nullopt, more, std::nullopt);
        const auto last = make_entries(20, 20, 3, "last-");
        store->write(std::nullopt, last, HardState{3, 0, 5});
        expected.insert(expected.end(), more.begin(), more.end() - 1);
        expected.push_back(last.front());
    }
    auto store = LogStore::open(dir.path(), options);
    CHECK(store->restored().entries == expected);
    CHECK(store->restored().hard_state == HardState{3, 0, 5});
}

TEST_CASE("save_snapshot keeps the trailing window and deletes older segments") {
    TempDir dir;
    LogStoreOptions options;
    options.segment_bytes = 512;
    options.trailing_entries = 20;
    const auto entries = make_entries(1, 200, 1);
    {
        auto store = LogStore::open(dir.path(), options);
        for (Index i = 1; i <= 200; i += 5) {
            store->write(std::nullopt, {entries.begin() + (i - 1), entries.begin() + (i + 4)},
                         HardState{1, 1, i + 4});
        }
        const std::size_t segments_before = count_files(dir.path(), "segment-");
        REQUIRE(segments_before > 10);
        store->save_snapshot(make_snapshot(150, 1, "state at 150"));
        CHECK(store->stats().segments_deleted > 0);
        CHECK(count_files(dir.path(), "segment-") ==
              segments_before - store->stats().segments_deleted);
        CHECK(store->first_index() <= 131);  // the trailing window 131..150 is kept
        CHECK(store->first_index() > 1);
        CHECK(store->last_index() == 200);
        CHECK(count_files(dir.path(), "snapshot-") == 1);
        store->save_snapshot(make_snapshot(190, 1, "state at 190"));
        CHECK(count_files(dir.path(), "snapshot-") == 1);
        CHECK(store->first_index() <= 171);
    }
    auto store = LogStore::open(dir.path(), options);
    const Restored r = store->restored();
    CHECK(r.snapshot.meta.index == 190);
    CHECK(r.snapshot.meta.term == 1);
    CHECK(r.snapshot.meta.conf == make_snapshot(190, 1, "").meta.conf);
    CHECK(*r.snapshot.data == "state at 190");
    CHECK(r.applied == 190);
    CHECK(r.entries == std::vector<Entry>(entries.begin() + 190, entries.end()));
    CHECK(r.hard_state == HardState{1, 1, 200});
    CHECK(store->first_index() <= 171);
    CHECK(store->last_index() == 200);
}

TEST_CASE("a received snapshot replaces the whole log") {
    TempDir dir;
    const auto old_entries = make_entries(1, 30, 1);
    const auto new_entries = make_entries(101, 105, 3);
    {
        auto store = LogStore::open(dir.path(), {});
        store->write(std::nullopt, old_entries, HardState{1, 1, 10});
        store->write(make_snapshot(100, 3, "received"), new_entries, HardState{3, 0, 100});
        CHECK(store->first_index() == 101);
        CHECK(store->last_index() == 105);
        CHECK(count_files(dir.path(), "segment-") == 1);
    }
    {
        auto store = LogStore::open(dir.path(), {});
        const Restored r = store->restored();
        CHECK(r.snapshot.meta.index == 100);
        CHECK(*r.snapshot.data == "received");
        CHECK(r.entries == new_entries);
        CHECK(r.hard_state == HardState{3, 0, 100});
        // A snapshot alone, with no entries after it.
        store->write(make_snapshot(200, 4, "second"), {}, std::nullopt);
        CHECK(store->last_index() == 200);
        CHECK(store->first_index() == 201);
    }
    auto store = LogStore::open(dir.path(), {});
    const Restored r = store->restored();
    CHECK(r.snapshot.meta.index == 200);
    CHECK(r.entries.empty());
    CHECK(r.hard_state.commit == 200);
    store->write(std::nullopt, make_entries(201, 201, 4), std::nullopt);
    CHECK(store->last_index() == 201);
}

TEST_CASE("a stored snapshot is read back from disk, from another thread too") {
    TempDir dir;
    auto store = LogStore::open(dir.path(), {});
    store->write(std::nullopt, make_entries(1, 20, 1), HardState{1, 1, 20});
    const Snapshot first = make_snapshot(10, 1, "state at 10");
    store->save_snapshot(first);
    std::shared_ptr<const std::string> read;
    std::thread([&] { read = store->read_snapshot(first.meta); }).join();
    REQUIRE(read);
    CHECK(*read == "state at 10");
    // A description that does not match the stored snapshot gets nothing.
    SnapshotMeta other_conf = first.meta;
    other_conf.conf.voters = {1};
    CHECK_FALSE(store->read_snapshot(other_conf));
    // A received snapshot replaces it: the old one is gone, the new one is read back.
    const Snapshot received = make_snapshot(30, 2, "received at 30");
    store->write(received, {}, HardState{2, 0, 30});
    CHECK_FALSE(store->read_snapshot(first.meta));
    REQUIRE(store->read_snapshot(received.meta));
    CHECK(*store->read_snapshot(received.meta) == "received at 30");
}

TEST_CASE("release_restored keeps the description and lets go of the bytes and entries") {
    TempDir dir;
    {
        auto store = LogStore::open(dir.path(), {});
        store->write(std::nullopt, make_entries(1, 20, 1), HardState{1, 1, 20});
        store->save_snapshot(make_snapshot(10, 1, "state at 10"));
    }
    auto store = LogStore::open(dir.path(), {});
    REQUIRE(store->restored().entries.size() == 10);
    store->release_restored();
    const Restored r = store->restored();
    CHECK(r.snapshot.meta == make_snapshot(10, 1, "").meta);
    CHECK_FALSE(r.snapshot.data);
    CHECK(r.entries.empty());
    CHECK(r.hard_state == HardState{1, 1, 20});
    CHECK(r.applied == 10);
    // The bytes are still on disk.
    REQUIRE(store->read_snapshot(r.snapshot.meta));
    CHECK(*store->read_snapshot(r.snapshot.meta) == "state at 10");
}

TEST_CASE("writes that do not fit the log are refused without touching it") {
    TempDir dir;
    auto store = LogStore::open(dir.path(), {});
    store->write(std::nullopt, make_entries(1, 5, 1), HardState{1, 0, 0});
    CHECK_THROWS_AS(store->write(std::nullopt, make_entries(7, 8, 1), std::nullopt),
                    std::invalid_argument);
    auto gap = make_entries(6, 8, 1);
    gap[1].index = 9;
    CHECK_THROWS_AS(store->write(std::nullopt, gap, std::nullopt), std::invalid_argument);
    CHECK_THROWS_AS(store->save_snapshot(make_snapshot(9, 1, "")), std::invalid_argument);
    store->save_snapshot(make_snapshot(3, 1, ""));
    store->save_snapshot(make_snapshot(2, 1, ""));  // stale: ignored
    CHECK_THROWS_AS(store->write(std::nullopt, make_entries(3, 4, 2), std::nullopt),
                    std::invalid_argument);
    CHECK_THROWS_AS(store->write(make_snapshot(2, 1, ""), {}, std::nullopt), std::invalid_argument);
    // A received snapshot with entries that do not follow it: nothing is written.
    CHECK_THROWS_AS(store->write(make_snapshot(10, 2, ""), make_entries(12, 12, 2), std::nullopt),
                    std::invalid_argument);
    CHECK(store->last_index() == 5);
    store->write(std::nullopt, make_entries(6, 6, 1), std::nullopt);
    CHECK(store->last_index() == 6);
    store.reset();
    store = LogStore::open(dir.path(), {});
    CHECK(store->restored().snapshot.meta.index == 3);
    CHECK(store->restored().entries == make_entries(4, 6, 1));
}

TEST_CASE("a directory is used by one store at a time") {
    TempDir dir;
    auto store = LogStore::open(dir.path(), {});
    CHECK_THROWS_AS(LogStore::open(dir.path(), {}), StorageError);
    store.reset();
    CHECK_NOTHROW(LogStore::open(dir.path(), {}));
    CHECK_THROWS_AS(LogStore::open(dir.file("missing"), {}), StorageError);
}

// Not run by default: `raft_storage_tests "[.bench]"` prints what one small write costs.
TEST_CASE("benchmark: one small entry per write", "[.bench]") {
    TempDir dir;
    auto store = LogStore::open(dir.path(), {});
    constexpr int kWrites = 2000;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 1; i <= kWrites; ++i) {
        store->write(std::nullopt,
                     {Entry{static_cast<Index>(i), 1, EntryType::kNormal, std::string(100, 'x')}},
                     HardState{1, 1, static_cast<Index>(i - 1)});
    }
    const auto elapsed =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start);
    WARN(kWrites << " writes of one 100-byte entry: " << elapsed.count() / kWrites
                 << " us per write, " << store->stats().syncs << " syncs");
}
