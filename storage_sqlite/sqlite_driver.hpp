#pragma once
// backend::Driver on a SQLite database file.
//
// Connections: ONE writer connection, used by execute() under a mutex, and a pool of read
// connections for query(). The database runs in WAL mode, so readers never block the writer
// and each query() sees one committed state: it runs all its statements in one read
// transaction, and a batch being applied is invisible until it commits.
//
// Durability (SqliteOptions::durable_commits): with it (the default, and what a node whose
// database is the only record needs), synchronous=FULL: a commit and its applied index are
// fsynced before execute() or end_group() returns, so they survive a power cut. Without it
// (raft mode), synchronous=NORMAL: a commit survives a crash of the process but a power cut may
// take back the last commits, always whole and with their applied index, never leaving the
// database inconsistent. The raft log, fsynced before any entry is applied, then replays them,
// or the node restores its latest snapshot when the log no longer reaches back that far.
//
// Apply groups (Driver::begin_group): one IMMEDIATE transaction for the group, a SAVEPOINT per
// batch, and the applied index written once at the end, so a group of n batches costs one
// commit.
//
// Dialect: statements arrive in the portable dialect (docs/sql-dialect.md) and are translated
// by backend/dialect.hpp; translations are cached by text. RAND() is replaced from the stamp
// before translation (backend/sql_rand.hpp), and time comes from the stamp: NOW(),
// UTC_TIMESTAMP(), UNIX_TIMESTAMP() are SQL functions registered on the writer, and SQLite's
// own clock ('now', CURRENT_TIMESTAMP, DEFAULT CURRENT_TIMESTAMP) is served from the stamp by
// a per-instance VFS shim (stamp_vfs.hpp). Readers evaluate time functions from
// Options::clock, since a query is not part of the log.
//
// Results follow MySQL (see the driver interface and docs/sql-dialect.md): rows_affected counts
// matched rows for UPDATE, and for INSERT ... ON DUPLICATE KEY UPDATE 1 per inserted row plus 2
// per updated row; last_insert_id is the first AUTO_INCREMENT value the statement generated,
// 0 when it generated none.
//
// The applied index lives in the table orcraft_applied_index (one row), written in the same
// transaction as the batch.
//
// Checkpoints: a thread of the driver's own copies the WAL back into the database file once it
// holds 1000 pages (SQLite's default threshold), so that no write waits for a checkpoint; see
// wal_checkpointer.hpp.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backend/dialect.hpp"
#include "backend/driver.hpp"

namespace orcraft::storage_sqlite {

class Connection;
class StampVfs;
class WalCheckpointer;

struct SqliteOptions {
    // How long a connection waits for a lock held by another process before failing.
    int busy_timeout_ms = 5000;
    // Number of read connections in the pool (at least 1).
    std::size_t read_connections = 4;
    // Prepared statements kept per connection.
    std::size_t statement_cache = 256;
    // UTC microseconds since the epoch; the time outside batches (queries). Defaults to the
    // system clock.
    std::function<std::int64_t()> clock;
    // Whether each commit is fsynced (synchronous=FULL) or not (NORMAL); see Durability above.
    bool durable_commits = true;
};

class SqliteDriver final : public backend::Driver {
  public:
    // Opens (creating if needed) the database file at path. Throws BackendError.
    explicit SqliteDriver(std::string path, SqliteOptions options = {});
    ~SqliteDriver() override;

    std::string_view kind() const override { return "sqlite"; }
    backend::BatchOutcome execute(const std::vector<backend::Statement>& batch,
                                  const backend::Stamp& stamp, std::uint64_t index) override;
    std::vector<backend::QueryResult> query(
        const std::vector<backend::Statement>& statements) override;
    std::uint64_t applied_index() override;
    void begin_group() override;
    void end_group() override;
    void abandon_group() override;
    // Portable snapshots (sqlite_snapshot.cpp): dump() reads through a reader connection in one
    // WAL read transaction, so writes continue meanwhile; begin_dump() opens that transaction
    // on a connection of its own (nullptr when the database is not in WAL mode), for a dump
    // written on another thread; restore() replaces every user table in one writer
    // transaction, so readers see the old state or the new one.
    std::uint64_t dump(backend::SnapshotWriter& out) override;
    std::unique_ptr<backend::PendingDump> begin_dump() override;
    void restore(backend::SnapshotReader& in, std::uint64_t index) override;

    const std::string& path() const { return path_; }

    // Row counts gathered by the update hook during one statement (implementation detail).
    struct Counters;

  private:
    std::unique_ptr<Connection> acquire_reader();
    void release_reader(std::unique_ptr<Connection> c);
    void write_applied_index(std::uint64_t index);
    backend::ExecResult run_statement(const backend::Statement& st, std::size_t position,
                                      const backend::Stamp& stamp);
    // Runs the statements of a batch; on a statement's failure runs `undo` (which takes back
    // the batch's effects), records the error in `out` and returns true.
    bool run_batch(const std::vector<backend::Statement>& batch, const backend::Stamp& stamp,
                   backend::BatchOutcome& out, const char* undo);
    // Runs read-only statements on `connection` in the transaction already open there.
    std::vector<backend::QueryResult> run_queries(
        Connection& connection, const std::vector<backend::Statement>& statements);
    // Rolls back the open transaction, and the open group with it.
    void rollback_quietly();

    std::string path_;
    SqliteOptions options_;
    std::function<std::int64_t()> batch_clock_;  // the writer's view: stamp during a batch
    std::unique_ptr<StampVfs> vfs_;
    std::unique_ptr<Connection> writer_;
    std::unique_ptr<Counters> counters_;
    std::unique_ptr<WalCheckpointer> checkpointer_;  // hooked on writer_
    std::mutex write_mutex_;
    std::uint64_t applied_ = 0;
    bool group_open_ = false;
    // The thread that opened the group (none outside groups): its query() calls read through
    // the writer, inside the group's transaction.
    std::atomic<std::thread::id> group_owner_{};
    std::uint64_t group_start_applied_ = 0;  // applied_ at begin_group()

    std::mutex pool_mutex_;
    std::condition_variable pool_cv_;
    std::vector<std::unique_ptr<Connection>> readers_;

    backend::dialect::TranslationCache translations_;
};

}  // namespace orcraft::storage_sqlite
