#pragma once
// backend::Driver on MySQL or MariaDB through Connector/C++ (the Connector's headers, which pull
// in Boost, stay inside the implementation).
//
// Sessions. Every connection runs with time_zone '+00:00', utf8mb4 with a binary, no-pad
// collation (utf8mb4_nopad_bin on MariaDB, utf8mb4_0900_bin on MySQL 8; string comparison and
// unique keys are then case-sensitive and trailing spaces count, as on SQLite; older MySQL falls
// back to utf8mb4_bin, which ignores trailing spaces), explicit_defaults_for_timestamp and the
// sql_mode STRICT_ALL_TABLES, NO_ZERO_IN_DATE, NO_ZERO_DATE, NO_ENGINE_SUBSTITUTION,
// NO_AUTO_VALUE_ON_ZERO (strict: a value MySQL would silently truncate is an error; an explicit 0
// in an AUTO_INCREMENT column stays 0, as on SQLite; division by zero is NULL on both backends).
// open() creates the schema when missing, with that collation.
//
// Connections. One writer connection runs execute(); up to reader_pool_size reader connections
// serve query(), each query in `START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT`, so the
// statements of one query see one committed state, and readers never see half a batch.
//
// Time and randomness. Each batch first runs `SET TIMESTAMP = <stamp seconds.micros>` (NOW(),
// CURRENT_TIMESTAMP, UNIX_TIMESTAMP() and column defaults then use the stamp) and sets rand_seed1
// and rand_seed2 from the stamp's seed, so RAND() gives the same sequence on every MySQL node.
//
// Applied index and batches. The table orcraft_applied_index (InnoDB, one row) holds the applied
// index, updated in the transaction of the batch itself. MySQL commits DDL implicitly, so a batch
// containing DDL cannot be one transaction. Such a batch runs as steps: each maximal run of DML
// statements is one transaction, and each DDL statement is a step of its own. The row also holds
// a progress marker for the entry being applied (its index, the number of statements done, their
// results, a schema fingerprint and an undo log), written before each DDL statement and in the
// same transaction as each DML step. What happens when the batch cannot finish (a statement
// fails, or the process dies between steps):
//
// - When every step done so far can be taken back, it is (ddl_undo.hpp: CREATE TABLE and CREATE
//   INDEX are dropped again), so the batch has no effect, as on SQLite. This covers the usual
//   "create, then fill" batch. A failing batch then records only its index; after a crash the
//   driver takes the steps back when it opens, and the entry runs again from its start when it
//   is delivered again.
// - Otherwise (DML committed before a later DDL step, or DDL such as ALTER, DROP or TRUNCATE that
//   cannot be taken back) the completed steps stay. A failing batch keeps them (the one place
//   where MySQL cannot match SQLite). After a crash the entry resumes where it stopped when it is
//   delivered again: for a DDL statement that was about to run, the driver compares the current
//   schema fingerprint (tables, columns, indexes from information_schema) with the one recorded
//   before it and skips the statement when the schema changed (it ran) or runs it when not. DDL
//   that leaves the fingerprint unchanged is idempotent (TRUNCATE, ALTER ... AUTO_INCREMENT,
//   CREATE ... IF NOT EXISTS on an existing table), so running it again is correct.
//
// Either way no statement is applied twice and none is skipped; in the second case the node's
// tables show the completed steps of the entry after applied_index() until it is delivered again.
//
// Apply groups (driver.hpp: begin_group, end_group, abandon_group). A batch of DML only runs in
// the group's one open transaction, under `SAVEPOINT orcraft_batch`: a failing statement undoes
// the batch with ROLLBACK TO SAVEPOINT, and its index still counts. The marker (applied index and
// the last batch's results) is written once, in the COMMIT that end_group() makes; until then
// readers, which read committed state only, see nothing of the group, except query() on the
// thread that opened the group, which runs on the writer inside the group's transaction. Three
// things commit the group early (with the index of its last batch so far) and then let it continue
// in a new transaction: a batch containing DDL, which then runs step by step exactly as outside a
// group; a batch whose entry the marker shows as partly applied (resumed as outside a group); and a
// failing batch whose undone statements used AUTO_INCREMENT values, which are given back as
// outside a group, by an ALTER TABLE after the commit. A failure of the backend inside a group
// (lost connection, deadlock, a ROLLBACK TO SAVEPOINT refused because the server rolled the
// whole transaction back) undoes the open part and throws BackendError; nothing of the group is
// retried, since its earlier batches are no longer at hand. After that, and after
// abandon_group(), applied_index() is the index durably recorded: the value at begin_group(), or
// the index of the group's last early commit. When the connection is lost during end_group()'s
// COMMIT, the driver reconnects, makes sure the old session is gone, and reads the marker: if
// the COMMIT landed, end_group() returns normally. A crash inside a group loses exactly the
// open part, which the server rolls back; the marker and the rows agree, as after a crash
// between ungrouped batches, and the counters the lost part used are given back at start-up.
//
// Lost connections (errors 2002, 2006, 2013, 1927, ...). The driver reconnects, with a deadline.
// The writer first makes sure its old session is gone on the server (KILL and wait), then reads
// the marker: a batch that committed is not run again (its results are read back from the
// marker); one that did not is run again from its last completed step. Readers reconnect and
// rerun their query once.
//
// Unlogged batches (index 0, see driver.hpp) run on the writer connection like other batches but
// never read or write the progress marker; with a zero stamp they run with SET TIMESTAMP =
// DEFAULT, so NOW() is the server's clock. A lost connection during one is not retried.
//
// rows_affected is MySQL's count with CLIENT_FOUND_ROWS: an UPDATE counts the rows it matched
// (changed or not, as SQLite counts them); an ON DUPLICATE KEY UPDATE counts 1 per inserted row
// and 2 per updated row (1 when the update left the row unchanged); REPLACE counts deleted plus
// inserted rows. last_insert_id is the first id the statement generated, 0 when it generated
// none (explicit ids, ignored rows, upserts that updated). AUTO_INCREMENT counters are InnoDB's
// (values used by ignored rows, updating upserts and failed batches stay used, as the SQLite
// driver reproduces), except that the values used by an attempt that never counted (interrupted
// by a crash, a lost connection or a deadlock retry) are given back (see auto_increment.hpp).

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "backend/driver.hpp"
#include "storage_mysql/mysql_options.hpp"

namespace orcraft::storage_mysql {

class MysqlDriver final : public backend::Driver {
  public:
    // Connects, creates the database when missing and the applied-index table. Throws
    // backend::BackendError naming the server's error (bad password, unreachable host, TLS).
    explicit MysqlDriver(MysqlOptions options);
    ~MysqlDriver() override;
    MysqlDriver(const MysqlDriver&) = delete;
    MysqlDriver& operator=(const MysqlDriver&) = delete;

    std::string_view kind() const override { return "mysql"; }
    backend::BatchOutcome execute(const std::vector<backend::Statement>& batch,
                                  const backend::Stamp& stamp, std::uint64_t index) override;
    std::vector<backend::QueryResult> query(
        const std::vector<backend::Statement>& statements) override;
    std::uint64_t applied_index() override;
    // Apply groups; see "Apply groups" above.
    void begin_group() override;
    void end_group() override;
    void abandon_group() override;
    // Portable snapshots (mysql_snapshot.hpp): dump() reads on a reader connection in a
    // transaction started WITH CONSISTENT SNAPSHOT, so the writer continues meanwhile;
    // begin_dump() starts that transaction on a session opened for the dump alone, which is then
    // written on another thread (DDL on a table being dumped waits until the dump ends);
    // restore() builds the tables under temporary names and swaps them in with one RENAME TABLE.
    std::uint64_t dump(backend::SnapshotWriter& out) override;
    std::unique_ptr<backend::PendingDump> begin_dump() override;
    void restore(backend::SnapshotReader& in, std::uint64_t index) override;

    // The server-side id of the writer connection (for tests that kill it).
    std::uint64_t writer_connection_id() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace orcraft::storage_mysql
