// SqliteDriver::dump and SqliteDriver::restore: portable snapshots (docs/snapshots.md).
//
// dump() reads through a reader connection in one read transaction. In WAL mode that
// transaction sees one committed state for as long as it lasts while the writer keeps
// committing, so a dump never stalls writes; the applied index comes from the same transaction.
// begin_dump() opens a connection of its own instead, runs BEGIN and reads the applied index
// (the first read is what pins the transaction's WAL snapshot), and returns; the dump itself,
// the same code as dump()'s, runs later on that connection on any thread. While it lasts, the
// WAL cannot be checkpointed past the pinned state, so the WAL file grows with what is applied
// meanwhile and shrinks back at the next checkpoint after it.
//
// restore() runs on the writer in one IMMEDIATE transaction: drop every user table, create the
// snapshot's tables from their portable DDL through the dialect's translation (so they are
// exactly what the same DDL applied through the log would have made), insert the rows, set the
// AUTOINCREMENT sequences and record the applied index, then commit. Readers see the old state
// until the commit and the new one after it; a failure rolls everything back.

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>

#include "backend/dialect.hpp"
#include "backend/snapshot_ddl.hpp"
#include "storage_sqlite/connection.hpp"
#include "storage_sqlite/sqlite_driver.hpp"
#include "storage_sqlite/sqlite_snapshot_schema.hpp"

namespace orcraft::storage_sqlite {

using backend::BackendError;
using backend::Row;
using backend::SnapshotTable;
using backend::SnapshotValueKind;
namespace dialect = backend::dialect;

namespace {

constexpr std::size_t kRowsPerBatch = 1000;

// Names of the user tables, in byte order: everything but SQLite's own tables and the driver's
// (the dialect reserves both prefixes).
std::vector<std::string> user_tables(Connection& c) {
    std::vector<std::string> out;
    int rc = SQLITE_OK;
    sqlite3_stmt* st = c.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_' "
        "AND lower(substr(name, 1, 8)) <> 'orcraft_'",
        rc);
    if (st == nullptr) {
        throw BackendError("SQLite: cannot list tables: " + c.last_error());
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        throw BackendError("SQLite: cannot list tables: " + c.last_error());
    }
    std::sort(out.begin(), out.end());
    return out;
}

backend::Value read_value(sqlite3_stmt* st, int i, SnapshotValueKind kind) {
    backend::Value v;
    switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER:
            v = static_cast<std::int64_t>(sqlite3_column_int64(st, i));
            break;
        case SQLITE_FLOAT:
            v = sqlite3_column_double(st, i);
            break;
        case SQLITE_TEXT: {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
            v = std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
            break;
        }
        case SQLITE_BLOB: {
            const auto* p = static_cast<const char*>(sqlite3_column_blob(st, i));
            v = backend::Blob{std::string(p != nullptr ? p : "",
                                          static_cast<std::size_t>(sqlite3_column_bytes(st, i)))};
            break;
        }
        default:
            break;
    }
    return backend::snapshot_value(std::move(v), kind);
}

void dump_rows(Connection& c, const SnapshotTable& t, backend::SnapshotWriter& out) {
    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        sql += (i == 0 ? "" : ", ") + dialect::quote_ident_sqlite(t.columns[i].name);
    }
    sql += " FROM " + dialect::quote_ident_sqlite(t.name) + " ORDER BY ";
    if (t.primary_key.empty()) {
        sql += "rowid";
    } else {
        for (std::size_t i = 0; i < t.primary_key.size(); ++i) {
            sql += (i == 0 ? "" : ", ") + dialect::quote_ident_sqlite(t.primary_key[i]);
        }
    }
    std::vector<SnapshotValueKind> kinds;
    for (const auto& col : t.columns) {
        kinds.push_back(backend::snapshot_value_kind(col.type));
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(c.db(), sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        throw BackendError("SQLite: cannot read table " + t.name + ": " + c.last_error());
    }
    std::vector<Row> batch;
    int rc = SQLITE_OK;
    try {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            Row row;
            row.reserve(kinds.size());
            for (std::size_t i = 0; i < kinds.size(); ++i) {
                row.push_back(read_value(st, static_cast<int>(i), kinds[i]));
            }
            batch.push_back(std::move(row));
            if (batch.size() == kRowsPerBatch) {
                out.rows(batch);
                batch.clear();
            }
        }
        if (rc != SQLITE_DONE) {
            throw BackendError("SQLite: cannot read table " + t.name + ": " + c.last_error());
        }
        out.rows(batch);
    } catch (...) {
        sqlite3_finalize(st);
        throw;
    }
    sqlite3_finalize(st);
}

void exec_or_throw(Connection& c, const std::string& sql, const std::string& what) {
    char* err = nullptr;
    if (sqlite3_exec(c.db(), sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err != nullptr ? err : c.last_error();
        sqlite3_free(err);
        throw BackendError("SQLite: " + what + ": " + msg);
    }
}

void restore_table(Connection& c, backend::SnapshotReader& in, const SnapshotTable& t) {
    const std::string ddl = backend::portable_create_table(t);
    dialect::Translation tr;
    try {
        tr = dialect::to_sqlite(ddl);
    } catch (const dialect::DialectError& e) {
        throw BackendError("snapshot table " + t.name + " cannot be created here: " + e.what() +
                           " (" + ddl + ")");
    }
    for (const auto& s : tr.sqlite) {
        exec_or_throw(c, s, "creating table " + t.name);
    }
    std::string insert = "INSERT INTO " + dialect::quote_ident_sqlite(t.name) + " (";
    std::string marks;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        insert += (i == 0 ? "" : ", ") + dialect::quote_ident_sqlite(t.columns[i].name);
        marks += i == 0 ? "?" : ", ?";
    }
    insert += ") VALUES (" + marks + ")";
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(c.db(), insert.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        throw BackendError("SQLite: cannot fill table " + t.name + ": " + c.last_error());
    }
    std::vector<Row> rows;
    try {
        while (in.next_rows(rows)) {
            for (const auto& row : rows) {
                int rc = bind_params(st, row);
                if (rc == SQLITE_OK) {
                    rc = sqlite3_step(st);
                }
                if (rc != SQLITE_DONE) {
                    throw BackendError("SQLite: cannot insert a row of table " + t.name + ": " +
                                       c.last_error());
                }
                sqlite3_reset(st);
                sqlite3_clear_bindings(st);
            }
        }
    } catch (...) {
        sqlite3_finalize(st);
        throw;
    }
    sqlite3_finalize(st);
    if (t.next_auto_increment > 0) {
        // SQLite gives the next id max(seq, largest rowid) + 1; the snapshot's counter is at
        // least the largest id + 1, so seq = counter - 1 continues exactly where it left off.
        sqlite3_stmt* seq = nullptr;
        const char* set_seq =
            "INSERT OR REPLACE INTO sqlite_sequence (rowid, name, seq) VALUES ((SELECT rowid FROM "
            "sqlite_sequence WHERE name = ?1), ?1, ?2)";
        if (sqlite3_prepare_v2(c.db(), set_seq, -1, &seq, nullptr) != SQLITE_OK) {
            throw BackendError("SQLite: cannot set the sequence of " + t.name + ": " +
                               c.last_error());
        }
        sqlite3_bind_text(seq, 1, t.name.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(seq, 2, t.next_auto_increment - 1);
        const int rc = sqlite3_step(seq);
        sqlite3_finalize(seq);
        if (rc != SQLITE_DONE) {
            throw BackendError("SQLite: cannot set the sequence of " + t.name + ": " +
                               c.last_error());
        }
    }
}

// Reads the applied index inside the connection's open transaction; the first read of a WAL
// read transaction fixes its view of the database.
std::uint64_t read_applied_index(Connection& c) {
    std::uint64_t index = 0;
    int rc = SQLITE_OK;
    sqlite3_stmt* st = c.prepare("SELECT applied FROM orcraft_applied_index WHERE id = 1", rc);
    if (st == nullptr) {
        throw BackendError("SQLite: cannot read the applied index: " + c.last_error());
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        index = static_cast<std::uint64_t>(sqlite3_column_int64(st, 0));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        throw BackendError("SQLite: cannot read the applied index: " + c.last_error());
    }
    return index;
}

// Writes every user table, inside the connection's open read transaction.
void dump_tables(Connection& c, backend::SnapshotWriter& out) {
    for (const auto& name : user_tables(c)) {
        const SnapshotTable t = read_snapshot_table(c.db(), name);
        out.table(t);
        dump_rows(c, t, out);
    }
}

void rollback_if_open(Connection& c) {
    if (sqlite3_get_autocommit(c.db()) == 0) {
        sqlite3_exec(c.db(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

std::string journal_mode(Connection& c) {
    int rc = SQLITE_OK;
    sqlite3_stmt* st = c.prepare("PRAGMA journal_mode", rc);
    if (st == nullptr) {
        throw BackendError("SQLite: cannot read the journal mode: " + c.last_error());
    }
    std::string mode;
    if (sqlite3_step(st) == SQLITE_ROW) {
        mode = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_reset(st);
    return mode;
}

// A dump pinned by begin_dump(): the connection and its open read transaction.
class SqlitePendingDump final : public backend::PendingDump {
  public:
    SqlitePendingDump(std::unique_ptr<Connection> c, std::uint64_t index)
        : c_(std::move(c)), index_(index) {}
    ~SqlitePendingDump() override { rollback_if_open(*c_); }

    std::uint64_t index() const override { return index_; }

    void write(backend::SnapshotWriter& out) override {
        dump_tables(*c_, out);
        c_->exec("COMMIT");
    }

  private:
    std::unique_ptr<Connection> c_;
    std::uint64_t index_;
};

}  // namespace

std::uint64_t SqliteDriver::dump(backend::SnapshotWriter& out) {
    auto conn = acquire_reader();
    struct Release {
        SqliteDriver* self;
        std::unique_ptr<Connection>& c;
        ~Release() {
            rollback_if_open(*c);
            self->release_reader(std::move(c));
        }
    } release{this, conn};

    conn->exec("BEGIN");
    // Everything below, the applied index included, comes from one committed state.
    const std::uint64_t index = read_applied_index(*conn);
    dump_tables(*conn, out);
    conn->exec("COMMIT");
    return index;
}

std::unique_ptr<backend::PendingDump> SqliteDriver::begin_dump() {
    // A connection of its own, so that a long dump holds none of the query() pool. Like the
    // readers it never writes; it needs none of the writer's functions or its VFS.
    auto c = std::make_unique<Connection>(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                          nullptr, 16);
    sqlite3_busy_timeout(c->db(), options_.busy_timeout_ms);
    c->exec("PRAGMA query_only=ON");
    // A scan reads each page once; a large cache would only take memory.
    c->exec("PRAGMA cache_size=-1024");
    const std::string mode = journal_mode(*c);
    if (mode != "wal") {
        // Outside WAL mode an open read transaction blocks the writer's commits: the caller
        // dumps in one step instead, with the writer waiting.
        spdlog::warn("sqlite backend {}: journal mode is {}, not wal: snapshots stall writes",
                     path_, mode);
        return nullptr;
    }
    c->exec("BEGIN");
    std::uint64_t index = 0;
    try {
        index = read_applied_index(*c);
    } catch (...) {
        rollback_if_open(*c);
        throw;
    }
    return std::make_unique<SqlitePendingDump>(std::move(c), index);
}

void SqliteDriver::restore(backend::SnapshotReader& in, std::uint64_t index) {
    std::lock_guard lock(write_mutex_);
    std::size_t tables = 0;
    try {
        writer_->exec("BEGIN IMMEDIATE");
        // The TEMP triggers that count REPLACE's deletions belong to the tables being dropped.
        std::vector<std::string> triggers;
        {
            int rc = SQLITE_OK;
            sqlite3_stmt* st =
                writer_->prepare("SELECT name FROM sqlite_temp_master WHERE type = 'trigger'", rc);
            if (st == nullptr) {
                throw BackendError("SQLite: cannot list triggers: " + writer_->last_error());
            }
            while (sqlite3_step(st) == SQLITE_ROW) {
                triggers.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
            }
            sqlite3_reset(st);
        }
        for (const auto& trig : triggers) {
            exec_or_throw(*writer_,
                          "DROP TRIGGER IF EXISTS temp." + dialect::quote_ident_sqlite(trig),
                          "dropping trigger " + trig);
        }
        for (const auto& name : user_tables(*writer_)) {
            exec_or_throw(*writer_, "DROP TABLE " + dialect::quote_ident_sqlite(name),
                          "dropping table " + name);
        }
        exec_or_throw(*writer_,
                      "DELETE FROM sqlite_sequence WHERE lower(substr(name, 1, 8)) <> 'orcraft_'",
                      "clearing sequences");
        while (auto t = in.next_table()) {
            restore_table(*writer_, in, *t);
            ++tables;
        }
        write_applied_index(index);
        writer_->exec("COMMIT");
    } catch (...) {
        rollback_quietly();
        throw;
    }
    applied_ = index;
    spdlog::info("sqlite backend {}: installed a snapshot of {} tables at index {}", path_, tables,
                 index);
}

}  // namespace orcraft::storage_sqlite
