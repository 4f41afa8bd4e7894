// The WAL checkpoint thread: commits on the writer only wake it, and it keeps the WAL bounded.

#include <sqlite3.h>
#include <stdlib.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "storage_sqlite/wal_checkpointer.hpp"
#include "tests/polling.hpp"

using orcraft::storage_sqlite::WalCheckpointer;
using orcraft::tests::eventually;
using namespace std::chrono_literals;

namespace {

struct Database {
    std::string dir;
    std::string file;
    sqlite3* writer = nullptr;

    Database() {
        std::string t = "/tmp/orcraft-checkpoint-XXXXXX";
        REQUIRE(mkdtemp(t.data()) != nullptr);
        dir = t;
        file = dir + "/db.sqlite";
        REQUIRE(sqlite3_open(file.c_str(), &writer) == SQLITE_OK);
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=NORMAL");
        exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    }
    ~Database() {
        sqlite3_close(writer);
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    void exec(const std::string& sql) {
        REQUIRE(sqlite3_exec(writer, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    }
    // One commit of `rows` rows of 3000 bytes: a page each.
    void write(int rows) {
        exec("BEGIN");
        for (int i = 0; i < rows; ++i)
            exec("INSERT INTO t (v) VALUES (printf('%.3000c', 'x'))");
        exec("COMMIT");
    }
    std::uintmax_t wal_bytes() const {
        std::error_code ec;
        auto n = std::filesystem::file_size(file + "-wal", ec);
        return ec ? 0 : n;
    }
    std::uintmax_t db_bytes() const { return std::filesystem::file_size(file); }
};

}  // namespace

TEST_CASE("a commit past the threshold wakes the checkpoint thread, which copies the WAL back") {
    Database db;
    WalCheckpointer checkpointer(db.file, db.writer, 20);
    const auto db_before = db.db_bytes();

    db.write(5);  // below the threshold: nothing to do
    CHECK(checkpointer.checkpoints() == 0);

    db.write(40);
    REQUIRE(eventually(5000ms, [&] { return checkpointer.checkpoints() >= 1; }));
    // The rows are in the database file itself now, not only in the WAL.
    CHECK(db.db_bytes() >= db_before + 40 * 3000);
}

TEST_CASE("the writer no longer checkpoints on its own") {
    Database db;
    {
        // A threshold no commit reaches: the thread never runs, and SQLite's automatic
        // checkpoint (1000 pages) is off, so the WAL keeps every frame.
        WalCheckpointer checkpointer(db.file, db.writer, 1 << 30);
        for (int i = 0; i < 25; ++i)
            db.write(100);
        CHECK(checkpointer.checkpoints() == 0);
        CHECK(db.wal_bytes() > 2500u * 4096u);
    }
}

TEST_CASE("under steady writes the WAL stays bounded") {
    Database db;
    WalCheckpointer checkpointer(db.file, db.writer, 50);
    std::uintmax_t largest = 0;
    for (int round = 0; round < 40; ++round) {
        const auto before = checkpointer.checkpoints();
        db.write(60);
        // Each round crosses the threshold; wait for its checkpoint before the next one, so
        // the writer can start the WAL over at its next transaction.
        REQUIRE(eventually(5000ms, [&] { return checkpointer.checkpoints() > before; }));
        largest = std::max(largest, db.wal_bytes());
    }
    // 40 rounds of about 60 pages each went through a WAL that never held more than a few
    // rounds' worth.
    CHECK(largest < 4u * 60u * 4200u);
    CHECK(db.db_bytes() >= 40u * 60u * 3000u);
}
