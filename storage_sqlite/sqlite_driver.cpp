#include "storage_sqlite/sqlite_driver.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "backend/sql_rand.hpp"
#include "storage_sqlite/connection.hpp"
#include "storage_sqlite/sql_functions.hpp"
#include "storage_sqlite/stamp_vfs.hpp"
#include "storage_sqlite/wal_checkpointer.hpp"

namespace orcraft::storage_sqlite {

using backend::BackendError;
using backend::BatchOutcome;
using backend::ExecResult;
using backend::QueryResult;
using backend::Statement;
using backend::StatementError;
using backend::StatementQueryError;
namespace dialect = backend::dialect;

// Per-statement row counts: inserts and updates from the update hook, deletions made by
// REPLACE from a TEMP trigger; used to report MySQL's rows_affected for upserts and REPLACE,
// and the first inserted rowid for last_insert_id.
struct SqliteDriver::Counters {
    std::string table;
    std::int64_t inserted = 0;
    std::int64_t updated = 0;
    std::int64_t deleted = 0;
    std::int64_t first_insert = 0;

    void reset(const std::string& t) {
        table = t;
        inserted = updated = deleted = first_insert = 0;
    }
};

namespace {

// Thrown inside execute() to abort the batch for a deterministic statement error.
struct StatementFailure {
    std::string message;
};

void update_hook(void* arg, int op, const char* db, const char* table, sqlite3_int64 rowid) {
    auto* c = static_cast<SqliteDriver::Counters*>(arg);
    if (std::string_view(db) != "main" || sqlite3_stricmp(table, c->table.c_str()) != 0) {
        return;
    }
    if (op == SQLITE_INSERT) {
        if (c->inserted++ == 0) {
            c->first_insert = rowid;
        }
    } else if (op == SQLITE_UPDATE) {
        ++c->updated;
    }
}

void count_delete(sqlite3_context* ctx, int, sqlite3_value**) {
    ++static_cast<SqliteDriver::Counters*>(sqlite3_user_data(ctx))->deleted;
    sqlite3_result_null(ctx);
}

std::int64_t system_micros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string upper(std::string s) {
    for (char& c : s) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return s;
}

// The portable type of a declared column type, or "" when the declaration does not decide it.
std::string portable_decltype(const char* decl) {
    if (decl == nullptr) {
        return "";
    }
    const std::string d = upper(decl);
    if (d.find("DATETIME") != std::string::npos || d.find("TIMESTAMP") != std::string::npos) {
        return "datetime";
    }
    if (d.find("INT") != std::string::npos) {
        return "integer";
    }
    if (d.find("CHAR") != std::string::npos || d.find("CLOB") != std::string::npos ||
        d.find("TEXT") != std::string::npos) {
        return "text";
    }
    if (d.find("BLOB") != std::string::npos) {
        return "blob";
    }
    if (d.find("REAL") != std::string::npos || d.find("FLOA") != std::string::npos ||
        d.find("DOUB") != std::string::npos) {
        return "real";
    }
    return "";
}

backend::Value column_value(sqlite3_stmt* stmt, int i, const std::string& declared) {
    switch (sqlite3_column_type(stmt, i)) {
        case SQLITE_INTEGER:
            return static_cast<std::int64_t>(sqlite3_column_int64(stmt, i));
        case SQLITE_FLOAT:
            return sqlite3_column_double(stmt, i);
        case SQLITE_TEXT: {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
            std::string s(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
            if (declared == "blob") {
                return backend::Blob{std::move(s)};
            }
            return s;
        }
        case SQLITE_BLOB: {
            const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, i));
            std::string s(p != nullptr ? p : "",
                          static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
            if (declared == "text" || declared == "datetime") {
                return s;
            }
            return backend::Blob{std::move(s)};
        }
        default:
            return std::monostate{};
    }
}

std::string value_type_name(const backend::Value& v) {
    switch (v.index()) {
        case 1:
            return "integer";
        case 2:
            return "real";
        case 3:
            return "text";
        case 4:
            return "blob";
        default:
            return "null";
    }
}

}  // namespace

SqliteDriver::SqliteDriver(std::string path, SqliteOptions options)
    : path_(std::move(path)),
      options_(std::move(options)),
      counters_(std::make_unique<Counters>()) {
    if (!options_.clock) {
        options_.clock = system_micros;
    }
    if (options_.read_connections == 0) {
        options_.read_connections = 1;
    }
    vfs_ = std::make_unique<StampVfs>(options_.clock);
    batch_clock_ = [this] { return vfs_->now_micros(); };

    writer_ = std::make_unique<Connection>(
        path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs_->name(),
        options_.statement_cache);
    sqlite3_busy_timeout(writer_->db(), options_.busy_timeout_ms);
    writer_->exec("PRAGMA journal_mode=WAL");
    writer_->exec(options_.durable_commits ? "PRAGMA synchronous=FULL"
                                           : "PRAGMA synchronous=NORMAL");
    writer_->exec("PRAGMA foreign_keys=OFF");
    // MySQL compares LIKE case-sensitively under the binary collation the MySQL driver uses.
    writer_->exec("PRAGMA case_sensitive_like=ON");
    // REPLACE's deletions then reach the update hook, so rows_affected counts them like MySQL.
    writer_->exec("PRAGMA recursive_triggers=ON");
    register_time_functions(writer_->db(), &batch_clock_);
    // AUTOINCREMENT makes SQLite create sqlite_sequence, which the TRUNCATE translation uses.
    writer_->exec(
        "CREATE TABLE IF NOT EXISTS orcraft_applied_index ("
        "id INTEGER PRIMARY KEY AUTOINCREMENT, applied INTEGER NOT NULL)");
    {
        int rc = SQLITE_OK;
        sqlite3_stmt* st =
            writer_->prepare("SELECT applied FROM orcraft_applied_index WHERE id = 1", rc);
        if (st == nullptr) {
            throw BackendError("SQLite: cannot read the applied index: " + writer_->last_error());
        }
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            applied_ = static_cast<std::uint64_t>(sqlite3_column_int64(st, 0));
        } else if (rc != SQLITE_DONE) {
            throw BackendError("SQLite: cannot read the applied index: " + writer_->last_error());
        }
        sqlite3_reset(st);
    }
    sqlite3_update_hook(writer_->db(), update_hook, counters_.get());
    if (sqlite3_create_function_v2(writer_->db(), "orcraft_count_delete", 0, SQLITE_UTF8,
                                   counters_.get(), count_delete, nullptr, nullptr,
                                   nullptr) != SQLITE_OK) {
        throw BackendError("cannot register SQL functions on SQLite");
    }

    checkpointer_ = std::make_unique<WalCheckpointer>(path_, writer_->db(), 1000);

    for (std::size_t i = 0; i < options_.read_connections; ++i) {
        auto r = std::make_unique<Connection>(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                              nullptr, options_.statement_cache);
        sqlite3_busy_timeout(r->db(), options_.busy_timeout_ms);
        r->exec("PRAGMA case_sensitive_like=ON");
        r->exec("PRAGMA query_only=ON");
        // Readers serve point reads and snapshot scans; a scan would fill a larger cache with
        // pages it never reads again. 1 MiB holds the interior pages of large tables.
        r->exec("PRAGMA cache_size=-1024");
        register_time_functions(r->db(), &options_.clock);
        readers_.push_back(std::move(r));
    }
    spdlog::debug("sqlite backend {} opened, applied index {}", path_, applied_);
}

SqliteDriver::~SqliteDriver() {
    readers_.clear();
    checkpointer_.reset();
    writer_.reset();
    vfs_.reset();
}

std::uint64_t SqliteDriver::applied_index() {
    std::lock_guard lock(write_mutex_);
    return applied_;
}

void SqliteDriver::write_applied_index(std::uint64_t index) {
    int rc = SQLITE_OK;
    sqlite3_stmt* st = writer_->prepare(
        "INSERT OR REPLACE INTO orcraft_applied_index (id, applied) VALUES (1, ?)", rc);
    if (st == nullptr) {
        throw BackendError("SQLite: cannot write the applied index: " + writer_->last_error());
    }
    sqlite3_bind_int64(st, 1, static_cast<sqlite3_int64>(index));
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        throw BackendError("SQLite: cannot write the applied index: " + writer_->last_error());
    }
}

void SqliteDriver::rollback_quietly() {
    if (sqlite3_get_autocommit(writer_->db()) == 0) {
        sqlite3_exec(writer_->db(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    if (group_open_) {
        // Everything since begin_group() is gone, the recorded index included.
        group_open_ = false;
        group_owner_ = std::thread::id();
        applied_ = group_start_applied_;
    }
}

void SqliteDriver::begin_group() {
    std::lock_guard lock(write_mutex_);
    if (group_open_) {
        throw BackendError("SQLite: begin_group() inside an open group");
    }
    writer_->run("BEGIN IMMEDIATE");
    group_open_ = true;
    group_owner_ = std::this_thread::get_id();
    group_start_applied_ = applied_;
}

void SqliteDriver::end_group() {
    std::lock_guard lock(write_mutex_);
    if (!group_open_) {
        return;
    }
    try {
        if (applied_ != group_start_applied_) {
            write_applied_index(applied_);
        }
        writer_->run("COMMIT");
    } catch (...) {
        rollback_quietly();
        throw;
    }
    group_open_ = false;
    group_owner_ = std::thread::id();
}

void SqliteDriver::abandon_group() {
    std::lock_guard lock(write_mutex_);
    rollback_quietly();
}

ExecResult SqliteDriver::run_statement(const Statement& st, std::size_t position,
                                       const backend::Stamp& stamp) {
    dialect::Translation tr;
    try {
        const std::string sql = dialect::substitute_rand(st.sql, stamp.seed, position);
        tr = translations_.translate(sql, sql.size() == st.sql.size() && sql == st.sql);
    } catch (const dialect::DialectError& e) {
        throw StatementFailure{e.what()};
    }
    if (tr.placeholders != st.params.size()) {
        throw StatementFailure{"statement has " + std::to_string(tr.placeholders) +
                               " placeholders but " + std::to_string(st.params.size()) +
                               " parameters were given"};
    }
    sqlite3* db = writer_->db();
    if (tr.verb == dialect::Verb::Replace) {
        // REPLACE's deletions reach neither the update hook nor sqlite3_changes(); with
        // recursive_triggers on they fire delete triggers, so a TEMP trigger counts them.
        const std::string q = dialect::quote_ident_sqlite(tr.table);
        const std::string trig = dialect::quote_ident_sqlite("orcraft_replace_" + tr.table);
        char* err = nullptr;
        const std::string create = "CREATE TEMP TRIGGER IF NOT EXISTS " + trig +
                                   " AFTER DELETE ON main." + q +
                                   " BEGIN SELECT orcraft_count_delete(); END";
        const int rc = sqlite3_exec(db, create.c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
            sqlite3_free(err);
            if (is_backend_failure(rc)) {
                throw BackendError("SQLite: " + msg);
            }
            throw StatementFailure{msg};
        }
    }
    counters_->reset(tr.table);
    std::int64_t changes = 0;
    for (std::size_t k = 0; k < tr.sqlite.size(); ++k) {
        int rc = SQLITE_OK;
        sqlite3_stmt* stmt = writer_->prepare(tr.sqlite[k], rc);
        if (stmt == nullptr) {
            if (is_backend_failure(rc)) {
                throw BackendError("SQLite: " + writer_->last_error());
            }
            throw StatementFailure{writer_->last_error()};
        }
        if (k == 0 && (rc = bind_params(stmt, st.params)) != SQLITE_OK) {
            sqlite3_reset(stmt);
            throw StatementFailure{std::string("cannot bind parameters: ") + sqlite3_errstr(rc)};
        }
        const std::int64_t before = sqlite3_total_changes64(db);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        }
        const std::int64_t after = sqlite3_total_changes64(db);
        if (rc != SQLITE_DONE) {
            std::string msg = writer_->last_error();
            sqlite3_reset(stmt);
            if (is_backend_failure(rc)) {
                throw BackendError("SQLite: " + msg);
            }
            throw StatementFailure{msg};
        }
        if (k == 0) {
            changes = sqlite3_changes64(db);
            (void)before;
            (void)after;
        }
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }

    ExecResult r;
    const Counters& c = *counters_;
    switch (tr.verb) {
        case dialect::Verb::Upsert:
            r.rows_affected = c.inserted + 2 * c.updated;
            break;
        case dialect::Verb::Replace:
            r.rows_affected = c.inserted + c.deleted;
            break;
        case dialect::Verb::Insert:
        case dialect::Verb::InsertIgnore:
        case dialect::Verb::Update:
        case dialect::Verb::Delete:
            r.rows_affected = changes;
            break;
        default:
            r.rows_affected = 0;  // DDL, like MySQL
            break;
    }
    const bool inserting = tr.verb == dialect::Verb::Insert ||
                           tr.verb == dialect::Verb::InsertIgnore ||
                           tr.verb == dialect::Verb::Upsert || tr.verb == dialect::Verb::Replace;
    if (inserting && c.inserted > 0) {
        // Does the table have an AUTO_INCREMENT column, and did the statement leave it to be
        // generated (not named in the column list)?
        int rc = SQLITE_OK;
        sqlite3_stmt* q = writer_->prepare("SELECT 1 FROM sqlite_sequence WHERE name = ?", rc);
        bool autoinc = false;
        if (q != nullptr) {
            sqlite3_bind_text(q, 1, tr.table.c_str(), -1, SQLITE_TRANSIENT);
            autoinc = sqlite3_step(q) == SQLITE_ROW;
            sqlite3_reset(q);
        }
        bool explicit_id = false;
        if (autoinc && !tr.columns.empty()) {
            sqlite3_stmt* pk =
                writer_->prepare("SELECT name FROM pragma_table_info(?) WHERE pk = 1", rc);
            if (pk != nullptr) {
                sqlite3_bind_text(pk, 1, tr.table.c_str(), -1, SQLITE_TRANSIENT);
                if (sqlite3_step(pk) == SQLITE_ROW) {
                    const std::string name =
                        reinterpret_cast<const char*>(sqlite3_column_text(pk, 0));
                    explicit_id = std::any_of(
                        tr.columns.begin(), tr.columns.end(), [&](const std::string& col) {
                            return sqlite3_stricmp(col.c_str(), name.c_str()) == 0;
                        });
                }
                sqlite3_reset(pk);
            }
        }
        if (autoinc && !explicit_id) {
            r.last_insert_id = c.first_insert;
        }
    }
    return r;
}

BatchOutcome SqliteDriver::execute(const std::vector<Statement>& batch, const backend::Stamp& stamp,
                                   std::uint64_t index) {
    std::lock_guard lock(write_mutex_);
    BatchOutcome out;
    if (index <= applied_) {
        out.already_applied = true;
        return out;
    }
    struct StampScope {
        StampVfs& vfs;
        StampScope(StampVfs& v, std::int64_t micros) : vfs(v) { vfs.set_stamp(micros); }
        ~StampScope() { vfs.clear_stamp(); }
    } scope(*vfs_, stamp.unix_micros);

    if (group_open_) {
        // One batch of a group: a savepoint makes it all-or-nothing inside the group's
        // transaction; the index row is written once, by end_group().
        try {
            writer_->run("SAVEPOINT orcraft_batch");
            run_batch(batch, stamp, out, "ROLLBACK TO orcraft_batch");
            writer_->run("RELEASE orcraft_batch");
        } catch (...) {
            rollback_quietly();
            throw;
        }
        applied_ = index;
        return out;
    }
    try {
        writer_->run("BEGIN IMMEDIATE");
        if (run_batch(batch, stamp, out, "ROLLBACK")) {
            writer_->run("BEGIN IMMEDIATE");
        }
        write_applied_index(index);
        writer_->run("COMMIT");
    } catch (...) {
        rollback_quietly();
        throw;
    }
    applied_ = index;
    return out;
}

bool SqliteDriver::run_batch(const std::vector<Statement>& batch, const backend::Stamp& stamp,
                             BatchOutcome& out, const char* undo) {
    std::size_t position = 0;
    try {
        for (; position < batch.size(); ++position) {
            out.results.push_back(run_statement(batch[position], position, stamp));
        }
    } catch (const StatementFailure& f) {
        writer_->run(undo);
        out.results.clear();
        out.error = StatementError{position, f.message};
        return true;
    }
    return false;
}

std::unique_ptr<Connection> SqliteDriver::acquire_reader() {
    std::unique_lock lock(pool_mutex_);
    pool_cv_.wait(lock, [this] { return !readers_.empty(); });
    auto c = std::move(readers_.back());
    readers_.pop_back();
    return c;
}

void SqliteDriver::release_reader(std::unique_ptr<Connection> c) {
    {
        std::lock_guard lock(pool_mutex_);
        readers_.push_back(std::move(c));
    }
    pool_cv_.notify_one();
}

std::vector<QueryResult> SqliteDriver::query(const std::vector<Statement>& statements) {
    if (group_owner_.load() == std::this_thread::get_id()) {
        // The apply thread reading inside its own group (a command handler validating against
        // the rows earlier entries left): only the writer's open transaction has that state.
        std::lock_guard lock(write_mutex_);
        return run_queries(*writer_, statements);
    }
    auto conn = acquire_reader();
    struct Release {
        SqliteDriver* self;
        std::unique_ptr<Connection>& c;
        ~Release() {
            if (sqlite3_get_autocommit(c->db()) == 0) {
                sqlite3_exec(c->db(), "ROLLBACK", nullptr, nullptr, nullptr);
            }
            self->release_reader(std::move(c));
        }
    } release{this, conn};

    conn->exec("BEGIN");
    std::vector<QueryResult> results = run_queries(*conn, statements);
    conn->exec("COMMIT");
    return results;
}

std::vector<QueryResult> SqliteDriver::run_queries(Connection& connection,
                                                   const std::vector<Statement>& statements) {
    Connection* conn = &connection;
    std::vector<QueryResult> results;
    const auto seed = static_cast<std::uint64_t>(options_.clock());
    for (std::size_t i = 0; i < statements.size(); ++i) {
        const Statement& st = statements[i];
        dialect::Translation tr;
        try {
            const std::string sql = dialect::substitute_rand(st.sql, seed, i);
            tr = translations_.translate(sql, sql.size() == st.sql.size() && sql == st.sql);
        } catch (const dialect::DialectError& e) {
            throw StatementQueryError(i, e.what());
        }
        if (tr.kind != dialect::StatementKind::Read || tr.sqlite.size() != 1) {
            throw StatementQueryError(i, "not a read-only statement");
        }
        if (tr.placeholders != st.params.size()) {
            throw StatementQueryError(
                i, "statement has " + std::to_string(tr.placeholders) + " placeholders but " +
                       std::to_string(st.params.size()) + " parameters were given");
        }
        int rc = SQLITE_OK;
        sqlite3_stmt* stmt = conn->prepare(tr.sqlite[0], rc);
        if (stmt == nullptr) {
            if (is_backend_failure(rc)) {
                throw BackendError("SQLite: " + conn->last_error());
            }
            throw StatementQueryError(i, conn->last_error());
        }
        if (sqlite3_stmt_readonly(stmt) == 0) {
            throw StatementQueryError(i, "not a read-only statement");
        }
        if ((rc = bind_params(stmt, st.params)) != SQLITE_OK) {
            throw StatementQueryError(i,
                                      std::string("cannot bind parameters: ") + sqlite3_errstr(rc));
        }
        QueryResult qr;
        const int ncol = sqlite3_column_count(stmt);
        std::vector<std::string> declared(static_cast<std::size_t>(ncol));
        for (int c = 0; c < ncol; ++c) {
            qr.columns.emplace_back(sqlite3_column_name(stmt, c));
            declared[static_cast<std::size_t>(c)] =
                portable_decltype(sqlite3_column_decltype(stmt, c));
        }
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            backend::Row row;
            row.reserve(static_cast<std::size_t>(ncol));
            for (int c = 0; c < ncol; ++c) {
                row.push_back(column_value(stmt, c, declared[static_cast<std::size_t>(c)]));
            }
            qr.rows.push_back(std::move(row));
        }
        if (rc != SQLITE_DONE) {
            std::string msg = conn->last_error();
            sqlite3_reset(stmt);
            if (is_backend_failure(rc)) {
                throw BackendError("SQLite: " + msg);
            }
            throw StatementQueryError(i, msg);
        }
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        // Types: the declared type when it decides, else the first non-NULL value's type.
        for (int c = 0; c < ncol; ++c) {
            std::string t = declared[static_cast<std::size_t>(c)];
            if (t.empty()) {
                t = "null";
                for (const auto& row : qr.rows) {
                    if (!std::holds_alternative<std::monostate>(row[static_cast<std::size_t>(c)])) {
                        t = value_type_name(row[static_cast<std::size_t>(c)]);
                        break;
                    }
                }
            }
            qr.types.push_back(t);
        }
        results.push_back(std::move(qr));
    }
    return results;
}

}  // namespace orcraft::storage_sqlite
