// Damaged files on a real file system: what open() drops (a torn tail, reported with a
// warning) and what it refuses (anything else, with the file and offset in the error), per
// docs/raft-storage.md.
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "raft/storage/byte_codec.hpp"
#include "raft/storage/checksum.hpp"
#include "raft/storage/log_store.hpp"
#include "tests/raft_storage/temp_dir.hpp"

using namespace orcraft::raft;
using orcraft::tests::TempDir;
namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

void flip_byte(const std::string& path, std::size_t offset) {
    std::string bytes = read_file(path);
    REQUIRE(offset < bytes.size());
    bytes[offset] = static_cast<char>(bytes[offset] ^ 0x5a);
    write_file(path, bytes);
}

void zero_from(const std::string& path, std::size_t offset) {
    std::string bytes = read_file(path);
    REQUIRE(offset <= bytes.size());
    std::fill(bytes.begin() + static_cast<long>(offset), bytes.end(), '\0');
    write_file(path, bytes);
}

std::vector<std::string> segment_paths(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().filename().string().starts_with("segment-")) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Offsets of the records in a segment (header 32 bytes; record = 16-byte header + padded
// payload; zeros after the last record are preallocated space), read the way
// docs/raft-storage.md describes them. The last element is where the records end.
std::vector<std::size_t> record_bounds(const std::string& path) {
    const std::string bytes = read_file(path);
    std::vector<std::size_t> out;
    std::size_t at = 32;
    while (at + 16 <= bytes.size() && orcraft::raft::storage::get_u8(bytes, at + 4) != 0) {
        out.push_back(at);
        const std::uint32_t length = orcraft::raft::storage::get_u32(bytes, at);
        at += 16 + (length + 7) / 8 * 8;
    }
    out.push_back(std::min(at, bytes.size()));
    return out;
}

std::vector<std::size_t> record_offsets(const std::string& path) {
    auto bounds = record_bounds(path);
    bounds.pop_back();
    return bounds;
}

bool zeros_from(const std::string& path, std::size_t offset) {
    const std::string bytes = read_file(path);
    return bytes.find_first_not_of('\0', offset) == std::string::npos;
}

// Everything in the directory, to show that a refused open() changed nothing.
std::map<std::string, std::string> directory_content(const std::string& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        out[e.path()] = read_file(e.path());
    return out;
}

std::vector<Entry> make_entries(Index first, Index last, Term term) {
    std::vector<Entry> out;
    for (Index i = first; i <= last; ++i) {
        out.push_back(Entry{i, term, EntryType::kNormal, "entry " + std::to_string(i)});
    }
    return out;
}

Snapshot make_snapshot(Index index, Term term) {
    Snapshot s;
    s.meta = SnapshotMeta{index, term, ConfState{{1, 2, 3}, {}}};
    s.data = std::make_shared<const std::string>(std::string(5000, 'x') + std::to_string(index));
    return s;
}

LogStoreOptions small_segments() {
    LogStoreOptions options;
    options.segment_bytes = 600;
    options.trailing_entries = 1000;
    return options;
}

// 60 entries written 5 per batch into several segments of a few batches each.
std::vector<Entry> fill(const std::string& dir) {
    const auto entries = make_entries(1, 60, 1);
    auto store = LogStore::open(dir, small_segments());
    for (std::size_t i = 0; i < entries.size(); i += 5) {
        store->write(
            std::nullopt,
            {entries.begin() + static_cast<long>(i), entries.begin() + static_cast<long>(i + 5)},
            HardState{1, 1, i});
    }
    return entries;
}

// Routes spdlog's default logger into a string for the duration of a test.
class LogCapture {
  public:
    LogCapture() : previous_(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    }
    ~LogCapture() { spdlog::set_default_logger(previous_); }
    std::string text() const { return out_.str(); }

  private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> previous_;
};

std::string open_error(const std::string& dir) {
    try {
        LogStore::open(dir, small_segments());
    } catch (const StorageError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a partial last batch is dropped with a warning naming the file and what was lost") {
    TempDir dir;
    const auto entries = fill(dir.path());
    const std::string last = segment_paths(dir.path()).back();
    const auto records = record_offsets(last);
    REQUIRE(records.size() >= 2);
    fs::resize_file(last, records.back() + 30);

    LogCapture log;
    {
        auto store = LogStore::open(dir.path(), small_segments());
        CHECK(store->restored().entries == std::vector<Entry>(entries.begin(), entries.end() - 5));
        CHECK(store->restored().hard_state == HardState{1, 1, 50});
        CHECK(zeros_from(last, records.back()));
        store->write(std::nullopt, make_entries(56, 57, 2), HardState{2, 0, 50});
    }
    CHECK(log.text().find("dropped a torn tail of ") != std::string::npos);
    CHECK(log.text().find(" bytes at offset " + std::to_string(records.back())) !=
          std::string::npos);
    CHECK(log.text().find(last) != std::string::npos);
    CHECK(log.text().find("entries 56..60") != std::string::npos);
    auto store = LogStore::open(dir.path(), small_segments());
    CHECK(store->last_index() == 57);
    CHECK(store->restored().entries.back() == make_entries(57, 57, 2).front());
}

TEST_CASE("zeros after the last batch are free space, a half-written last batch is dropped") {
    TempDir dir;
    const auto entries = fill(dir.path());
    const std::string last = segment_paths(dir.path()).back();
    write_file(last, read_file(last) + std::string(8192, '\0'));
    {
        auto store = LogStore::open(dir.path(), small_segments());
        CHECK(store->restored().entries == entries);
    }
    // The last batch half written: its second half never reached the disk.
    const auto records = record_offsets(last);
    zero_from(last, records.back() + 24);
    write_file(last, read_file(last) + std::string(100, '\0'));
    auto store = LogStore::open(dir.path(), small_segments());
    CHECK(store->restored().entries == std::vector<Entry>(entries.begin(), entries.end() - 5));
}

TEST_CASE("a damaged record before the tail of the last segment is refused, nothing changed") {
    TempDir dir;
    fill(dir.path());
    const std::string last = segment_paths(dir.path()).back();
    const auto records = record_offsets(last);
    REQUIRE(records.size() >= 2);
    flip_byte(last, records[records.size() - 2] + 40);
    const auto before = directory_content(dir.path());
    const std::string error = open_error(dir.path());
    CHECK(error.find(last) != std::string::npos);
    CHECK(error.find("offset " + std::to_string(records[records.size() - 2])) != std::string::npos);
    CHECK(directory_content(dir.path()) == before);
}

TEST_CASE("damage in a segment other than the last is refused") {
    TempDir dir;
    fill(dir.path());
    const auto segments = segment_paths(dir.path());
    REQUIRE(segments.size() >= 3);
    const std::string first = segments.front();
    const std::string original = read_file(first);
    const auto records = record_offsets(first);

    SECTION("a flipped byte in its last record") {
        flip_byte(first, records.back() + 17);
        const std::string error = open_error(dir.path());
        CHECK(error.find(first) != std::string::npos);
        CHECK(error.find("offset " + std::to_string(records.back())) != std::string::npos);
    }
    SECTION("a truncated last record") {
        fs::resize_file(first, original.size() - 3);
        const std::string error = open_error(dir.path());
        CHECK(error.find(first) != std::string::npos);
        CHECK(error.find("offset " + std::to_string(records.back())) != std::string::npos);
    }
    SECTION("a zero-filled tail") {
        write_file(first, original + std::string(4096, '\0'));
        const std::string error = open_error(dir.path());
        CHECK(error.find(first) != std::string::npos);
        CHECK(error.find("offset " + std::to_string(original.size())) != std::string::npos);
    }
    SECTION("a flipped byte in its header") {
        flip_byte(first, 3);
        const std::string error = open_error(dir.path());
        CHECK(error.find(first) != std::string::npos);
        CHECK(error.find("offset 0") != std::string::npos);
    }
    SECTION("a missing segment in the middle") {
        fs::remove(segments[1]);
        CHECK(open_error(dir.path()).find(segments[1]) != std::string::npos);
    }
    SECTION("a missing first segment") {
        fs::remove(segments[0]);
        CHECK(open_error(dir.path()).find(segments[0]) != std::string::npos);
    }
}

TEST_CASE("a torn header of a just created last segment is repaired") {
    TempDir dir;
    const auto entries = fill(dir.path());
    const auto segments = segment_paths(dir.path());
    // A new segment starts only after the previous one was cut to its valid size.
    fs::resize_file(segments.back(), record_bounds(segments.back()).back());
    const std::string next =
        dir.file("segment-" + std::string(20 - std::to_string(segments.size() + 1).size(), '0') +
                 std::to_string(segments.size() + 1) + ".log");
    write_file(next, std::string(20, '\0'));
    {
        auto store = LogStore::open(dir.path(), small_segments());
        CHECK(store->restored().entries == entries);
        store->write(std::nullopt, make_entries(61, 61, 1), std::nullopt);
    }
    auto store = LogStore::open(dir.path(), small_segments());
    CHECK(store->last_index() == 61);
}

TEST_CASE("a damaged metadata copy gives way to the other one, both damaged are refused") {
    TempDir dir;
    const auto entries = fill(dir.path());
    {
        auto store = LogStore::open(dir.path(), small_segments());
        store->save_snapshot(make_snapshot(40, 1));  // metadata sequence 2 goes to meta.2
    }
    const std::string meta1 = dir.file("meta.1"), meta2 = dir.file("meta.2");
    const std::string good1 = read_file(meta1), good2 = read_file(meta2);

    SECTION("the newer copy torn: the older state, before the snapshot, is restored") {
        flip_byte(meta2, 30);
        LogCapture log;
        auto store = LogStore::open(dir.path(), small_segments());
        CHECK(store->restored().snapshot.meta.index == 0);
        CHECK(store->restored().entries == entries);
        CHECK(log.text().find(meta2) != std::string::npos);
        // The snapshot that copy named is no longer referenced and is removed.
        CHECK_FALSE(
            fs::exists(dir.file("snapshot-00000000000000000001-00000000000000000040.snap")));
    }
    SECTION("the older copy damaged: the newer one is used") {
        write_file(meta1, good1.substr(0, 50));
        auto store = LogStore::open(dir.path(), small_segments());
        CHECK(store->restored().snapshot.meta.index == 40);
        CHECK(store->restored().entries == std::vector<Entry>(entries.begin() + 40, entries.end()));
        // The next metadata update rewrites the damaged copy.
        store->save_snapshot(make_snapshot(50, 1));
        store.reset();
        flip_byte(meta2, 30);
        auto again = LogStore::open(dir.path(), small_segments());
        CHECK(again->restored().snapshot.meta.index == 50);
    }
    SECTION("both copies damaged") {
        flip_byte(meta1, 20);
        zero_from(meta2, 0);
        const std::string error = open_error(dir.path());
        CHECK(error.find(meta1) != std::string::npos);
        CHECK(error.find(meta2) != std::string::npos);
    }
    SECTION("both copies missing while log files exist") {
        fs::remove(meta1);
        fs::remove(meta2);
        CHECK(open_error(dir.path()).find("missing") != std::string::npos);
    }
}

TEST_CASE("a damaged snapshot file is refused with its name and offset") {
    TempDir dir;
    fill(dir.path());
    {
        auto store = LogStore::open(dir.path(), small_segments());
        store->save_snapshot(make_snapshot(30, 1));
    }
    const std::string snap = dir.file("snapshot-00000000000000000001-00000000000000000030.snap");
    REQUIRE(fs::exists(snap));
    const std::string original = read_file(snap);

    SECTION("a flipped data byte") {
        flip_byte(snap, original.size() - 100);
        const std::string error = open_error(dir.path());
        CHECK(error.find(snap) != std::string::npos);
        CHECK(error.find("offset") != std::string::npos);
    }
    SECTION("a flipped manifest byte") {
        flip_byte(snap, 20);
        CHECK(open_error(dir.path()).find(snap) != std::string::npos);
    }
    SECTION("truncated") {
        fs::resize_file(snap, original.size() - 1);
        CHECK(open_error(dir.path()).find(snap) != std::string::npos);
    }
    SECTION("missing") {
        fs::remove(snap);
        CHECK(open_error(dir.path()).find(snap) != std::string::npos);
    }
}

TEST_CASE("files left by interrupted operations are removed at open") {
    TempDir dir;
    const auto entries = fill(dir.path());
    {
        auto store = LogStore::open(dir.path(), small_segments());
        store->save_snapshot(make_snapshot(20, 1));
    }
    const std::string temp =
        dir.file("snapshot-00000000000000000001-00000000000000000050.snap.tmp");
    const std::string newer = dir.file("snapshot-00000000000000000002-00000000000000000055.snap");
    const std::string older = dir.file("snapshot-00000000000000000001-00000000000000000010.snap");
    for (const auto& path : {temp, newer, older})
        write_file(path, "partial");
    auto store = LogStore::open(dir.path(), small_segments());
    CHECK(store->restored().snapshot.meta.index == 20);
    CHECK(store->restored().entries == std::vector<Entry>(entries.begin() + 20, entries.end()));
    for (const auto& path : {temp, newer, older})
        CHECK_FALSE(fs::exists(path));
}

TEST_CASE("files of an unknown format version are refused") {
    using namespace orcraft::raft::storage;
    TempDir dir;
    fill(dir.path());
    SECTION("a segment") {
        const std::string first = segment_paths(dir.path()).front();
        std::string bytes = read_file(first);
        std::string header = bytes.substr(0, 8);
        put_u32(header, 2);
        header.append(bytes.substr(12, 12));
        put_u64(header, checksum64(header));
        write_file(first, header + bytes.substr(32));
        const std::string error = open_error(dir.path());
        CHECK(error.find(first) != std::string::npos);
        CHECK(error.find("format version 2") != std::string::npos);
    }
    SECTION("the metadata") {
        const std::string meta = dir.file("meta.1");
        std::string bytes = read_file(meta);
        std::string out = bytes.substr(0, 8);
        put_u32(out, 2);
        out.append(bytes.substr(12, 76));
        put_u64(out, checksum64(out));
        write_file(meta, out);
        const std::string error = open_error(dir.path());
        CHECK(error.find(meta) != std::string::npos);
        CHECK(error.find("format version 2") != std::string::npos);
    }
}

TEST_CASE("a log that a torn tail cut short of the snapshot restarts after the snapshot") {
    TempDir dir;
    const auto entries = fill(dir.path());
    {
        auto store = LogStore::open(dir.path(), small_segments());
        store->save_snapshot(make_snapshot(60, 1));
    }
    const std::string last = segment_paths(dir.path()).back();
    fs::resize_file(last, record_offsets(last).back() + 10);
    {
        auto store = LogStore::open(dir.path(), small_segments());
        CHECK(store->restored().snapshot.meta.index == 60);
        CHECK(store->restored().entries.empty());
        CHECK(store->last_index() == 60);
        store->write(std::nullopt, make_entries(61, 62, 2), HardState{2, 0, 60});
    }
    auto store = LogStore::open(dir.path(), small_segments());
    CHECK(store->restored().entries == make_entries(61, 62, 2));
}

TEST_CASE("a flipped byte anywhere is refused, or loses at most the last batch, never invents") {
    TempDir source;
    LogStoreOptions options = small_segments();
    options.trailing_entries = 10;
    std::map<Index, Entry> written;
    {
        auto store = LogStore::open(source.path(), options);
        for (Index i = 1; i <= 80; i += 5) {
            const auto batch = make_entries(i, i + 4, 1);
            for (const Entry& e : batch)
                written[e.index] = e;
            store->write(std::nullopt, batch, HardState{1, 1, i + 4});
            if (i == 46) store->save_snapshot(make_snapshot(40, 1));
        }
    }
    const auto segments = segment_paths(source.path());
    REQUIRE(segments.size() >= 3);
    const std::string last_segment = fs::path(segments.back()).filename();
    const std::size_t last_record = record_offsets(segments.back()).back();
    const std::size_t records_end = record_bounds(segments.back()).back();
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(source.path())) {
        if (e.path().filename() != "LOCK") files.push_back(e.path().filename());
    }
    std::sort(files.begin(), files.end());

    std::mt19937_64 rng(7);
    int refused = 0, tail_dropped = 0, unchanged = 0;
    for (int round = 0; round < 400; ++round) {
        TempDir dir;
        fs::copy(source.path(), dir.path(),
                 fs::copy_options::recursive | fs::copy_options::overwrite_existing);
        const std::string name = files[rng() % files.size()];
        const std::string path = dir.file(name);
        const std::size_t offset = rng() % fs::file_size(path);
        flip_byte(path, offset);
        INFO("flipped " << name << " at offset " << offset);

        std::unique_ptr<LogStore> store;
        try {
            store = LogStore::open(dir.path(), options);
        } catch (const StorageError& e) {
            ++refused;
            // The error names the damaged file, also when a damaged current metadata copy gave
            // way to the older one, whose segments a compaction had deleted.
            CHECK(std::string(e.what()).find(path) != std::string::npos);
            CHECK(name != "meta.1");
            CHECK(!(name == last_segment && offset >= last_record));
            continue;
        }
        const Restored r = store->restored();
        for (const Entry& e : r.entries)
            REQUIRE(written.at(e.index) == e);
        CHECK(r.snapshot.meta.index == 40);
        if (store->last_index() == 80) {
            ++unchanged;
            // Only the older metadata copy or free space after the last record may change
            // without consequence.
            CHECK((name == "meta.1" || (name == last_segment && offset >= records_end)));
        } else {
            ++tail_dropped;
            CHECK(store->last_index() == 75);
            CHECK(name == last_segment);
            CHECK(offset >= last_record);
            CHECK(offset < records_end);
        }
    }
    WARN("byte flips: " << refused << " refused, " << tail_dropped << " dropped the last batch, "
                        << unchanged << " without consequence");
    CHECK(refused > 0);
    CHECK(tail_dropped + unchanged > 0);
}
