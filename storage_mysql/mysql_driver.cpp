#include "storage_mysql/mysql_driver.hpp"

#include <cppconn/statement.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "backend/dialect.hpp"
#include "backend/sql_rand.hpp"
#include "backend/sql_tokenizer.hpp"
#include "storage_mysql/auto_increment.hpp"
#include "storage_mysql/connection.hpp"
#include "storage_mysql/ddl_undo.hpp"
#include "storage_mysql/mysql_snapshot.hpp"
#include "storage_mysql/progress_marker.hpp"
#include "storage_mysql/schema_fingerprint.hpp"
#include "storage_mysql/statement_kind.hpp"

namespace orcraft::storage_mysql {

using backend::BackendError;
using backend::BatchOutcome;
using backend::ExecResult;
using detail::ErrorClass;
using detail::Marker;
using detail::Session;
using Clock = std::chrono::steady_clock;

namespace {

// A statement failed deterministically: carries the position for the outcome.
struct StatementFailure {
    std::size_t statement;
    std::string message;
};

std::string stamp_assignment(const backend::Stamp& stamp) {
    // MySQL reads SET TIMESTAMP = 0 as "back to the real clock"; the smallest positive value
    // keeps the epoch stamp deterministic (NOW() still shows 1970-01-01 00:00:00).
    const std::int64_t micros = stamp.unix_micros > 0 ? stamp.unix_micros : 1;
    char buf[160];
    std::snprintf(
        buf, sizeof buf, "SET TIMESTAMP = %lld.%06lld, rand_seed1 = %llu, rand_seed2 = %llu",
        static_cast<long long>(micros / 1000000), static_cast<long long>(micros % 1000000),
        static_cast<unsigned long long>(stamp.seed % 0x3FFFFFFFULL),
        static_cast<unsigned long long>((stamp.seed >> 32) % 0x3FFFFFFFULL));
    return buf;
}

// For unlogged batches with no stamp: NOW() and friends read the server's own clock again.
std::string server_clock_assignment(const backend::Stamp& stamp) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "SET TIMESTAMP = DEFAULT, rand_seed1 = %llu, rand_seed2 = %llu",
                  static_cast<unsigned long long>(stamp.seed % 0x3FFFFFFFULL),
                  static_cast<unsigned long long>((stamp.seed >> 32) % 0x3FFFFFFFULL));
    return buf;
}

bool mentions_rand(const std::string& sql) {
    for (std::size_t i = 0; i + 4 <= sql.size(); ++i) {
        if ((sql[i] == 'r' || sql[i] == 'R') && (sql[i + 1] == 'a' || sql[i + 1] == 'A') &&
            (sql[i + 2] == 'n' || sql[i + 2] == 'N') && (sql[i + 3] == 'd' || sql[i + 3] == 'D'))
            return true;
    }
    return false;
}

}  // namespace

struct MysqlDriver::Impl {
    MysqlOptions opt;
    std::string collation;

    // Writer state, used by the apply thread only.
    std::optional<Session> writer;
    std::optional<Marker> marker;  // nullopt: unknown, read it from the server
    std::uint64_t last_writer_id = 0;
    std::int64_t last_writer_server_started = 0;
    bool last_insert_id_dirty = true;  // the session's LAST_INSERT_ID() may be non-zero
    detail::AutoIncrementKeeper autoinc;

    // Reader pool.
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Session> idle;
    int readers_open = 0;

    explicit Impl(MysqlOptions o) : opt(std::move(o)) {}

    void hook(std::string_view point) {
        if (opt.test_hook) opt.test_hook(point);
    }

    [[noreturn]] void fail_open(const sql::SQLException& e) {
        const std::string where =
            opt.socket.empty() ? opt.host + ":" + std::to_string(opt.port) : opt.socket;
        throw BackendError("cannot connect to MySQL backend at " + where + " as user '" + opt.user +
                           "': " + detail::describe(e));
    }

    void open() {
        if (opt.database.empty()) throw BackendError("MySQL backend: database name is empty");
        try {
            Session s = detail::open_session(opt, false, "");
            // Binary, so comparisons and unique keys are case-sensitive as on SQLite, and with
            // no padding (MariaDB), so trailing spaces count as they do on SQLite. MySQL has no
            // such collation for utf8mb4 before 8.0's utf8mb4_0900_bin.
            if (s.query_int("SELECT COUNT(*) FROM information_schema.COLLATIONS "
                            "WHERE COLLATION_NAME = 'utf8mb4_nopad_bin'") > 0) {
                collation = "utf8mb4_nopad_bin";
            } else if (s.query_int("SELECT COUNT(*) FROM information_schema.COLLATIONS "
                                   "WHERE COLLATION_NAME = 'utf8mb4_0900_bin'") > 0) {
                collation = "utf8mb4_0900_bin";
            } else {
                collation = "utf8mb4_bin";
            }
            s.exec("CREATE DATABASE IF NOT EXISTS " + detail::quote_identifier(opt.database) +
                   " CHARACTER SET utf8mb4 COLLATE " + collation);
            s.conn->setSchema(opt.database);
            s.exec("SET collation_connection = " + collation);
            detail::create_marker_table(s);
            autoinc.create_table(s);
            autoinc.load(s);
            autoinc.repair(s);
            marker = detail::load_marker(s);
            last_writer_id = s.connection_id;
            last_writer_server_started = s.server_started;
            writer = std::move(s);
            // A batch the previous process left half-applied is taken back now when it can be,
            // so readers never see its partial effects.
            undo_pending();
        } catch (const sql::SQLException& e) {
            fail_open(e);
        }
    }

    // ---- writer connection ----

    bool lost(const sql::SQLException& e, Session& s) {
        const ErrorClass c = detail::classify_error(e.getErrorCode());
        if (c == ErrorClass::kConnectionLost && e.getErrorCode() != 0) return true;
        if (e.getErrorCode() == 0) {
            // The Connector reports client-side problems (closed connection, bad parameter
            // index) without a server code; only a dead session counts as lost.
            try {
                return !s.conn->isValid();
            } catch (const sql::SQLException&) {
                return true;
            }
        }
        return false;
    }

    // Reconnects the writer and makes sure the previous session no longer exists on the server,
    // so that a COMMIT still in flight on it cannot land after we have read the marker.
    void reconnect_writer() {
        if (writer) {
            try {
                writer->conn->close();
            } catch (const sql::SQLException&) {
            }
            writer.reset();
        }
        marker.reset();
        last_insert_id_dirty = true;
        const auto deadline = Clock::now() + std::chrono::seconds(opt.reconnect_deadline_seconds);
        auto backoff = std::chrono::milliseconds(50);
        for (;;) {
            try {
                Session s = detail::open_session(opt, true, collation);
                // After a server restart the old session died with the server, and its id may
                // already belong to another client's session: only the same server instance
                // can still hold it.
                const bool same_server =
                    std::abs(s.server_started - last_writer_server_started) <= 2;
                if (last_writer_id != 0 && same_server) {
                    retire_session(s, last_writer_id, deadline);
                }
                // A transaction the old session left open was rolled back with it.
                autoinc.load(s);
                autoinc.repair(s);
                last_writer_id = s.connection_id;
                last_writer_server_started = s.server_started;
                writer = std::move(s);
                spdlog::info("mysql backend: writer reconnected (connection {})", last_writer_id);
                return;
            } catch (const sql::SQLException& e) {
                if (detail::classify_error(e.getErrorCode()) != ErrorClass::kConnectionLost)
                    fail_open(e);
                if (Clock::now() + backoff > deadline) {
                    throw BackendError("MySQL backend: could not reconnect within " +
                                       std::to_string(opt.reconnect_deadline_seconds) +
                                       " s: " + detail::describe(e));
                }
                spdlog::warn("mysql backend: reconnect failed ({}), retrying", detail::describe(e));
                std::this_thread::sleep_for(backoff);
                backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
            }
        }
    }

    static void retire_session(Session& s, std::uint64_t old_id, Clock::time_point deadline) {
        const std::string present =
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = " +
            std::to_string(old_id) +
            " AND USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AND DB = DATABASE()";
        while (s.query_int(present) > 0) {
            try {
                s.exec("KILL CONNECTION " + std::to_string(old_id));
            } catch (const sql::SQLException&) {
                // Already gone (1094 unknown thread): the next check ends the loop.
            }
            if (Clock::now() > deadline)
                throw BackendError("MySQL backend: previous writer session " +
                                   std::to_string(old_id) + " does not go away");
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    Session& w() {
        if (!writer) reconnect_writer();
        return *writer;
    }

    Marker& current_marker() {
        if (!marker) marker = detail::load_marker(w());
        return *marker;
    }

    // Runs `fn` with the writer, reconnecting after a lost connection until the deadline.
    template <typename Fn>
    auto with_writer(Fn fn) {
        int transient = 0;
        for (;;) {
            try {
                return fn();
            } catch (const sql::SQLException& e) {
                if (writer && lost(e, *writer)) {
                    spdlog::warn("mysql backend: writer connection lost: {}", detail::describe(e));
                    reconnect_writer();
                    continue;
                }
                if (detail::classify_error(e.getErrorCode()) == ErrorClass::kTransient &&
                    ++transient < 10) {
                    spdlog::warn("mysql backend: retrying batch after {}", detail::describe(e));
                    try {
                        writer->exec("ROLLBACK");
                        autoinc.rolled_back();
                        autoinc.repair(*writer);
                    } catch (const sql::SQLException&) {
                    }
                    marker.reset();
                    continue;
                }
                throw BackendError("MySQL backend: " + detail::describe(e));
            }
        }
    }

    ExecResult run_statement(const backend::Statement& original, StatementKind kind,
                             const backend::Stamp& stamp, std::size_t index_in_batch) {
        Session& s = *writer;
        // RAND() becomes a literal derived from the stamp (backend/sql_rand.hpp), so MySQL and
        // SQLite nodes compute the same value; text already substituted has no RAND() left.
        backend::Statement substituted;
        if (mentions_rand(original.sql)) {
            substituted.sql =
                backend::dialect::substitute_rand(original.sql, stamp.seed, index_in_batch);
            substituted.params = original.params;
        }
        const backend::Statement& st = substituted.sql.empty() ? original : substituted;
        if (kind == StatementKind::kInsert && last_insert_id_dirty) {
            s.exec("DO LAST_INSERT_ID(0)");
            last_insert_id_dirty = false;
        }
        ExecResult r;
        const std::string text = detail::interpolate(st.sql, st.params);
        std::unique_ptr<sql::Statement> stmt(s.conn->createStatement());
        if (kind == StatementKind::kRead) {
            std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery(text));
            while (rs->next()) {
            }
        } else {
            r.rows_affected = stmt->executeUpdate(text);
        }
        if (kind == StatementKind::kInsert) {
            r.last_insert_id = s.query_int("SELECT LAST_INSERT_ID()");
            last_insert_id_dirty = r.last_insert_id != 0;
        }
        return r;
    }

    // Runs one statement; a deterministic error becomes StatementFailure, anything else
    // propagates to with_writer().
    std::optional<StatementFailure> try_statement(const backend::Statement& st, StatementKind kind,
                                                  const backend::Stamp& stamp, std::size_t i,
                                                  std::vector<ExecResult>& out) {
        try {
            out.push_back(run_statement(st, kind, stamp, i));
            return std::nullopt;
        } catch (const backend::dialect::DialectError& e) {
            return StatementFailure{i, e.what()};
        } catch (const sql::InvalidArgumentException& e) {
            // Wrong number of parameters and the like: the statement's fault, not the server's.
            return StatementFailure{i, e.what()};
        } catch (const sql::SQLException& e) {
            if (lost(e, *writer)) throw;
            if (detail::classify_error(e.getErrorCode()) != ErrorClass::kStatement) throw;
            return StatementFailure{i, detail::describe(e)};
        }
    }

    BatchOutcome record_failure(const StatementFailure& f, std::uint64_t index,
                                const std::set<std::string>& targets = {}) {
        Session& s = *writer;
        s.exec("ROLLBACK");
        autoinc.rolled_back();
        const backend::StatementError err{f.statement, f.message};
        Marker m{index, 0, 0, "", detail::encode_failure(err), ""};
        if (marker && marker->pending_index == index) {
            // Earlier DDL steps of this batch committed: take back what can be (created tables
            // and indexes), so the failed batch leaves nothing behind, as on SQLite.
            for (const auto& undo : detail::UndoLog::in_reverse(marker->undo))
                s.exec(undo);
            store_after_ddl(m);
        } else {
            s.exec("START TRANSACTION");
            detail::store_marker(s, m);
            s.exec("COMMIT");
            marker = m;
            // A failed batch leaves no trace, as on SQLite, whose rollback also takes back the
            // sequence: the counter values its statements used are given back. (A crash before
            // this line is repaired the same way at start.)
            autoinc.repair(s, targets);
        }
        BatchOutcome out;
        out.error = err;
        return out;
    }

    // Records the end of a batch whose last step was DDL (or that had no statements).
    BatchOutcome finish(Marker m, std::uint64_t index, const std::vector<ExecResult>& results) {
        m.applied = index;
        m.pending_index = 0;
        m.pending_step = 0;
        m.pending_fingerprint.clear();
        m.results = detail::encode_results(results);
        m.undo.clear();
        store_after_ddl(m);
        BatchOutcome out;
        out.results = results;
        return out;
    }

    // Moves the marker past a DDL step, taking the AUTO_INCREMENT counters afresh in the same
    // transaction.
    void store_after_ddl(const Marker& m) {
        Session& s = *writer;
        s.exec("START TRANSACTION");
        autoinc.resync(s);
        detail::store_marker(s, m);
        s.exec("COMMIT");
        marker = m;
        autoinc.committed(s);
    }

    // An entry left half-applied (its process died, or its connection was lost) whose steps so
    // far can all be taken back is taken back, so it runs again from its start: the node's
    // state is then exactly that of its applied index. Returns whether it did.
    bool undo_pending() {
        const Marker& m = current_marker();
        if (m.pending_index == 0 || !detail::UndoLog::reversible(m.undo)) return false;
        Session& s = w();
        for (const auto& undo : detail::UndoLog::in_reverse(m.undo))
            s.exec(undo);
        Marker cleared = m;
        cleared.pending_index = 0;
        cleared.pending_step = 0;
        cleared.pending_fingerprint.clear();
        cleared.results.clear();
        cleared.undo.clear();
        spdlog::info("mysql backend: took back the partly applied entry {}", m.pending_index);
        store_after_ddl(cleared);
        return true;
    }

    BatchOutcome run_batch(const std::vector<backend::Statement>& batch,
                           const backend::Stamp& stamp, std::uint64_t index) {
        if (current_marker().pending_index != 0) undo_pending();
        Marker m = current_marker();
        if (m.applied >= index) return detail::decode_outcome(m.results);  // committed earlier
        if (m.pending_fingerprint == detail::kRestorePending)
            throw BackendError("MySQL backend: the install of the snapshot at index " +
                               std::to_string(m.pending_index) +
                               " was interrupted; install it again before applying entries");
        Session& s = w();
        s.exec(stamp_assignment(stamp));

        const std::size_t n = batch.size();
        std::vector<StatementKind> kinds;
        for (const auto& st : batch)
            kinds.push_back(classify_statement(st.sql));
        for (std::size_t i = 0; i < n; ++i) {
            if (kinds[i] == StatementKind::kTransactionControl)
                return record_failure(
                    {i, "unsupported in a batch: " + leading_keyword(batch[i].sql) +
                            " (the driver runs each batch in its own transaction)"},
                    index);
            // Statements outside the portable dialect fail here as they do on SQLite (whose
            // driver must translate them), before anything runs.
            try {
                backend::dialect::check(batch[i].sql);
            } catch (const backend::dialect::DialectError& e) {
                return record_failure({i, e.what()}, index);
            }
        }

        std::size_t i = 0;
        std::vector<ExecResult> results;
        bool resuming = false;
        if (m.pending_index != 0) {
            if (m.pending_index != index)
                throw BackendError("MySQL backend: entry " + std::to_string(m.pending_index) +
                                   " was partly applied, but entry " + std::to_string(index) +
                                   " was delivered next");
            resuming = true;
            i = m.pending_step;
            results = detail::decode_outcome(m.results).results;
            if (results.size() != i || i > n)
                throw BackendError("MySQL backend: progress marker does not match entry " +
                                   std::to_string(index));
            spdlog::info("mysql backend: resuming entry {} at statement {}", index, i);
        }
        if (n == 0 || i == n) return finish(m, index, results);

        while (i < n) {
            if (kinds[i] == StatementKind::kImplicitCommit) {
                const std::string before = detail::schema_fingerprint(s);
                if (resuming && !m.pending_fingerprint.empty() && before != m.pending_fingerprint) {
                    // The process died after this DDL committed and before the marker moved.
                    spdlog::info("mysql backend: entry {} statement {} already ran", index, i);
                    results.push_back(ExecResult{});
                } else {
                    m.pending_index = index;
                    m.pending_step = i;
                    m.pending_fingerprint = before;
                    m.results = detail::encode_results(results);
                    m.undo =
                        detail::UndoLog::append(m.undo, detail::undo_statement(s, batch[i].sql));
                    detail::store_marker(s, m);
                    marker = m;
                    hook("before-ddl");
                    if (auto f = try_statement(batch[i], kinds[i], stamp, i, results))
                        return record_failure(*f, index);
                    hook("after-ddl");
                }
                resuming = false;
                ++i;
                if (i == n) return finish(m, index, results);
                m.pending_index = index;
                m.pending_step = i;
                m.pending_fingerprint.clear();
                m.results = detail::encode_results(results);
                store_after_ddl(m);
                continue;
            }
            resuming = false;
            std::size_t j = i;
            while (j < n && kinds[j] != StatementKind::kImplicitCommit)
                ++j;
            std::set<std::string> targets;
            for (std::size_t k = i; k < j; ++k) {
                if (kinds[k] == StatementKind::kInsert) {
                    std::string t = insert_target(batch[k].sql);
                    if (!t.empty()) targets.insert(std::move(t));
                }
            }
            s.exec("START TRANSACTION");
            for (std::size_t k = i; k < j; ++k) {
                if (auto f = try_statement(batch[k], kinds[k], stamp, k, results))
                    return record_failure(*f, index, targets);
                hook("after-statement");
            }
            if (j == n) {
                Marker done = m;
                done.applied = index;
                done.pending_index = 0;
                done.pending_step = 0;
                done.pending_fingerprint.clear();
                done.results = detail::encode_results(results);
                done.undo.clear();
                autoinc.record(s, targets);
                detail::store_marker(s, done);
                hook("before-commit");
                s.exec("COMMIT");
                marker = done;
                autoinc.committed(s);
                hook("after-commit");
                BatchOutcome out;
                out.results = results;
                return out;
            }
            m.pending_index = index;
            m.pending_step = j;
            m.pending_fingerprint.clear();
            m.results = detail::encode_results(results);
            m.undo = detail::UndoLog::kIrreversible;  // committed DML cannot be taken back
            autoinc.record(s, targets);
            detail::store_marker(s, m);
            s.exec("COMMIT");
            marker = m;
            autoinc.committed(s);
            i = j;
        }
        return finish(m, index, results);
    }

    // ---- apply groups (see mysql_driver.hpp) ----

    struct Group {
        bool open = false;         // between begin_group() and end_group()
        bool transaction = false;  // the group's transaction is open on the writer
        Marker durable;            // the marker as last committed
        // The thread that opened the group (its query() calls read through the writer); the
        // only member other threads read.
        std::atomic<std::thread::id> owner{};
    } group;

    void begin_group() {
        if (group.open) throw BackendError("MySQL backend: begin_group() inside an open group");
        group.durable = with_writer([&] { return current_marker(); });
        group.open = true;
        group.transaction = false;
        group.owner = std::this_thread::get_id();
    }

    // query() on the group's own thread while its transaction is open: the statements run on the
    // writer inside that transaction, so they see the group's batches. A failing statement leaves
    // the transaction as it was; a failure of the backend undoes the group.
    std::vector<backend::QueryResult> query_in_group(const std::vector<backend::Statement>& sts) {
        std::vector<backend::QueryResult> out;
        for (std::size_t i = 0; i < sts.size(); ++i) {
            std::string text;
            try {
                text = detail::interpolate(sts[i].sql, sts[i].params);
            } catch (const backend::dialect::DialectError& e) {
                throw backend::StatementQueryError(i, e.what());
            }
            try {
                std::unique_ptr<sql::Statement> plain(writer->conn->createStatement());
                std::unique_ptr<sql::ResultSet> rs(plain->executeQuery(text));
                out.push_back(detail::read_result(*rs, i));
            } catch (const sql::SQLException& e) {
                if (lost(e, *writer) ||
                    detail::classify_error(e.getErrorCode()) != ErrorClass::kStatement)
                    fail_group(e);
                throw backend::StatementQueryError(i, detail::describe(e));
            }
        }
        return out;
    }

    // Commits what the group did since its last commit, with the marker of its last batch.
    // Nothing to do when no batch ran since then. Throws sql::SQLException.
    void commit_group_part() {
        Marker done = *marker;
        if (done.applied == group.durable.applied) return;
        Session& s = *writer;
        if (!group.transaction) s.exec("START TRANSACTION");
        group.transaction = true;
        autoinc.write_noted(s);
        detail::store_marker(s, done);
        hook("group-before-commit");
        s.exec("COMMIT");
        group.transaction = false;
        group.durable = done;
        autoinc.committed(s);
        hook("group-after-commit");
    }

    // Undoes the open part of the group and closes it. The marker is read from the server again
    // at its next use, so applied_index() then says what is durably recorded. `connection_lost`:
    // the server rolled the transaction back already, and the next use of the writer reconnects
    // (retiring the old session first).
    void abandon_open_part(bool connection_lost) noexcept {
        const bool had_transaction = group.transaction;
        group.open = false;
        group.owner = std::thread::id();
        group.transaction = false;
        autoinc.rolled_back();
        marker.reset();
        if (!connection_lost && writer) {
            try {
                if (had_transaction) {
                    writer->exec("ROLLBACK");
                    // InnoDB keeps the counter values the undone statements used.
                    autoinc.repair(*writer);
                }
                return;
            } catch (const sql::SQLException& e) {
                spdlog::warn("mysql backend: rolling back an apply group failed: {}",
                             detail::describe(e));
            }
        }
        writer.reset();
    }

    [[noreturn]] void fail_group(const sql::SQLException& e) {
        const bool connection_lost = !writer || lost(e, *writer);
        abandon_open_part(connection_lost);
        throw BackendError("MySQL backend: apply group undone: " + detail::describe(e));
    }

    void end_group() {
        if (!group.open) return;
        const std::uint64_t intended = marker ? marker->applied : group.durable.applied;
        try {
            if (marker) commit_group_part();
            group.open = false;
            group.owner = std::thread::id();
            return;
        } catch (const sql::SQLException& e) {
            if (writer && lost(e, *writer)) {
                // The COMMIT may have landed before the connection went: once the old session is
                // gone for sure, the marker tells.
                group.open = false;
                group.owner = std::thread::id();
                group.transaction = false;
                autoinc.rolled_back();
                reconnect_writer();
                if (current_marker().applied == intended) return;
                throw BackendError("MySQL backend: apply group undone: " + detail::describe(e));
            }
            fail_group(e);
        }
    }

    BatchOutcome note_in_group(std::uint64_t index, BatchOutcome out) {
        Marker& m = *marker;
        m.applied = index;
        m.results =
            out.error ? detail::encode_failure(*out.error) : detail::encode_results(out.results);
        return out;
    }

    BatchOutcome execute_in_group(const std::vector<backend::Statement>& batch,
                                  const backend::Stamp& stamp, std::uint64_t index) {
        try {
            const Marker& m = current_marker();
            if (index <= m.applied) {
                BatchOutcome out;
                out.already_applied = true;
                return out;
            }
            std::vector<StatementKind> kinds;
            bool commits_implicitly = false;
            for (const auto& st : batch) {
                kinds.push_back(classify_statement(st.sql));
                commits_implicitly |= kinds.back() == StatementKind::kImplicitCommit;
            }
            if (commits_implicitly || m.pending_index != 0) {
                // DDL cannot run inside the group's transaction: the group so far is committed,
                // and the batch runs in steps as outside a group.
                commit_group_part();
                BatchOutcome out = with_writer([&] { return run_batch(batch, stamp, index); });
                group.durable = *marker;
                return out;
            }
            return run_in_group(batch, kinds, stamp, index);
        } catch (const sql::SQLException& e) {
            fail_group(e);
        } catch (...) {
            abandon_open_part(false);
            throw;
        }
    }

    // A batch of DML only, under a savepoint of the group's transaction.
    BatchOutcome run_in_group(const std::vector<backend::Statement>& batch,
                              const std::vector<StatementKind>& kinds, const backend::Stamp& stamp,
                              std::uint64_t index) {
        const std::size_t n = batch.size();
        BatchOutcome out;
        for (std::size_t i = 0; i < n; ++i) {
            std::optional<std::string> refused;
            if (kinds[i] == StatementKind::kTransactionControl) {
                refused = "unsupported in a batch: " + leading_keyword(batch[i].sql) +
                          " (the driver runs each batch in its own transaction)";
            } else {
                try {
                    backend::dialect::check(batch[i].sql);
                } catch (const backend::dialect::DialectError& e) {
                    refused = e.what();
                }
            }
            if (refused) {
                out.error = backend::StatementError{i, *refused};
                return note_in_group(index, std::move(out));
            }
        }
        if (n == 0) return note_in_group(index, std::move(out));

        Session& s = *writer;
        if (!group.transaction) {
            s.exec("START TRANSACTION");
            group.transaction = true;
        }
        s.exec(stamp_assignment(stamp));
        // A savepoint of the same name replaces the previous batch's: no RELEASE needed.
        s.exec("SAVEPOINT orcraft_batch");
        std::set<std::string> targets;
        for (std::size_t k = 0; k < n; ++k) {
            if (kinds[k] != StatementKind::kInsert) continue;
            std::string t = insert_target(batch[k].sql);
            if (!t.empty() && autoinc.tracks(t)) targets.insert(std::move(t));
        }
        std::vector<ExecResult> results;
        for (std::size_t k = 0; k < n; ++k) {
            if (auto f = try_statement(batch[k], kinds[k], stamp, k, results)) {
                // Fails with "savepoint does not exist" when the server rolled back the whole
                // transaction: the group is then undone.
                s.exec("ROLLBACK TO SAVEPOINT orcraft_batch");
                out.error = backend::StatementError{f->statement, f->message};
                out = note_in_group(index, std::move(out));
                if (autoinc.moved_past_recorded(s, targets)) {
                    // The undone statements used AUTO_INCREMENT values; as outside a group they
                    // are given back, which takes an ALTER TABLE and so a commit first.
                    commit_group_part();
                    autoinc.repair(s, targets);
                }
                return out;
            }
            hook("after-statement");
        }
        autoinc.note(s, targets);
        out.results = std::move(results);
        return note_in_group(index, std::move(out));
    }

    // ---- unlogged batches (index 0) ----

    // Runs a batch without touching the applied index or the progress marker: each maximal run of
    // DML statements is one transaction, each DDL statement a step of its own. A lost connection
    // is not retried (the batch's effect is unknown); the caller gets BackendError and the next
    // call reconnects.
    BatchOutcome run_unlogged(const std::vector<backend::Statement>& batch,
                              const backend::Stamp& stamp) {
        Session& s = w();
        s.exec(stamp.unix_micros == 0 ? server_clock_assignment(stamp) : stamp_assignment(stamp));
        const std::size_t n = batch.size();
        std::vector<StatementKind> kinds;
        for (const auto& st : batch)
            kinds.push_back(classify_statement(st.sql));
        BatchOutcome out;
        for (std::size_t i = 0; i < n; ++i) {
            if (kinds[i] == StatementKind::kTransactionControl) {
                out.error = backend::StatementError{
                    i, "unsupported in a batch: " + leading_keyword(batch[i].sql) +
                           " (the driver runs each batch in its own transaction)"};
                return out;
            }
        }
        std::vector<ExecResult> results;
        std::size_t i = 0;
        while (i < n) {
            if (kinds[i] == StatementKind::kImplicitCommit) {
                if (auto f = try_statement(batch[i], kinds[i], stamp, i, results)) {
                    out.error = backend::StatementError{f->statement, f->message};
                    return out;
                }
                ++i;
                continue;
            }
            std::size_t j = i;
            while (j < n && kinds[j] != StatementKind::kImplicitCommit)
                ++j;
            // InnoDB's counters are the truth for tables written unlogged (other nodes write
            // them too): stop tracking them so that repair() never moves them.
            std::set<std::string> targets;
            for (std::size_t k = i; k < j; ++k) {
                if (kinds[k] == StatementKind::kInsert) {
                    std::string t = insert_target(batch[k].sql);
                    if (!t.empty()) targets.insert(std::move(t));
                }
            }
            for (int transient = 0;; ++transient) {
                try {
                    s.exec("START TRANSACTION");
                    for (std::size_t k = i; k < j; ++k) {
                        if (auto f = try_statement(batch[k], kinds[k], stamp, k, results)) {
                            s.exec("ROLLBACK");
                            autoinc.rolled_back();
                            out.error = backend::StatementError{f->statement, f->message};
                            return out;
                        }
                    }
                    autoinc.forget(s, targets);
                    s.exec("COMMIT");
                    autoinc.committed(s);
                    break;
                } catch (const sql::SQLException& e) {
                    // A deadlock rolled the whole run back: running it again is safe.
                    if (lost(e, s) ||
                        detail::classify_error(e.getErrorCode()) != ErrorClass::kTransient ||
                        transient >= 10)
                        throw;
                    spdlog::warn("mysql backend: retrying unlogged batch after {}",
                                 detail::describe(e));
                    try {
                        s.exec("ROLLBACK");
                    } catch (const sql::SQLException&) {
                    }
                    autoinc.rolled_back();
                    results.resize(i);
                }
            }
            i = j;
        }
        out.results = std::move(results);
        return out;
    }

    // ---- readers ----

    Session acquire_reader() {
        {
            std::unique_lock lock(mu);
            cv.wait(lock, [&] {
                return !idle.empty() || readers_open < std::max(1, opt.reader_pool_size);
            });
            if (!idle.empty()) {
                Session s = std::move(idle.back());
                idle.pop_back();
                return s;
            }
            ++readers_open;
        }
        try {
            return detail::open_session(opt, true, collation);
        } catch (const sql::SQLException& e) {
            drop_reader();
            fail_open(e);
        }
    }

    void release_reader(Session s) {
        std::lock_guard lock(mu);
        idle.push_back(std::move(s));
        cv.notify_one();
    }

    void drop_reader() {
        std::lock_guard lock(mu);
        --readers_open;
        cv.notify_one();
    }

    // Closes every idle reader: when one was found lost (the server restarted, or a proxy
    // dropped connections), the others opened before the same event are most likely dead too,
    // and a retry must not pick one of them.
    void drop_idle_readers() {
        std::vector<Session> dead;
        {
            std::lock_guard lock(mu);
            readers_open -= static_cast<int>(idle.size());
            dead.swap(idle);
            cv.notify_all();
        }
        for (auto& session : dead) {
            try {
                session.conn->close();
            } catch (const sql::SQLException&) {
            }
        }
    }

    std::vector<backend::QueryResult> run_query(Session& s,
                                                const std::vector<backend::Statement>& sts) {
        std::vector<backend::QueryResult> out;
        s.exec("START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT");
        for (std::size_t i = 0; i < sts.size(); ++i) {
            try {
                std::string text;
                try {
                    text = detail::interpolate(sts[i].sql, sts[i].params);
                } catch (const backend::dialect::DialectError& e) {
                    throw backend::StatementQueryError(i, e.what());
                }
                std::unique_ptr<sql::Statement> plain(s.conn->createStatement());
                std::unique_ptr<sql::ResultSet> rs(plain->executeQuery(text));
                out.push_back(detail::read_result(*rs, i));
            } catch (const sql::SQLException& e) {
                if (lost(e, s)) throw;
                if (detail::classify_error(e.getErrorCode()) == ErrorClass::kBackend)
                    throw BackendError("MySQL backend: " + detail::describe(e));
                s.exec("ROLLBACK");
                throw backend::StatementQueryError(i, detail::describe(e));
            } catch (const backend::StatementQueryError&) {
                s.exec("ROLLBACK");
                throw;
            }
        }
        s.exec("COMMIT");
        return out;
    }
};

MysqlDriver::MysqlDriver(MysqlOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    impl_->open();
}

MysqlDriver::~MysqlDriver() = default;

BatchOutcome MysqlDriver::execute(const std::vector<backend::Statement>& batch,
                                  const backend::Stamp& stamp, std::uint64_t index) {
    Impl& d = *impl_;
    if (d.group.open) {
        if (index == 0) {
            d.abandon_open_part(false);
            throw BackendError("MySQL backend: an unlogged batch inside an apply group");
        }
        return d.execute_in_group(batch, stamp, index);
    }
    if (index == 0) {
        try {
            return d.run_unlogged(batch, stamp);
        } catch (const sql::SQLException& e) {
            if (d.writer && d.lost(e, *d.writer)) {
                // Reconnect on the next call; the old session is retired there.
                d.writer.reset();
                d.marker.reset();
                throw BackendError(
                    "MySQL backend: connection lost, the batch's effect is unknown: " +
                    detail::describe(e));
            }
            throw BackendError("MySQL backend: " + detail::describe(e));
        }
    }
    const bool already = d.with_writer([&] { return index <= d.current_marker().applied; });
    if (already) {
        BatchOutcome out;
        out.already_applied = true;
        return out;
    }
    return d.with_writer([&] { return d.run_batch(batch, stamp, index); });
}

std::vector<backend::QueryResult> MysqlDriver::query(
    const std::vector<backend::Statement>& statements) {
    for (std::size_t i = 0; i < statements.size(); ++i) {
        if (classify_statement(statements[i].sql) != StatementKind::kRead)
            throw backend::StatementQueryError(
                i, "not a read-only statement: " + leading_keyword(statements[i].sql));
        try {
            if (backend::dialect::check(statements[i].sql) != backend::dialect::StatementKind::Read)
                throw backend::StatementQueryError(i, "not a read-only statement");
        } catch (const backend::dialect::DialectError& e) {
            throw backend::StatementQueryError(i, e.what());
        }
    }
    Impl& d = *impl_;
    if (d.group.owner.load() == std::this_thread::get_id() && d.group.transaction)
        return d.query_in_group(statements);
    for (int attempt = 0;; ++attempt) {
        Session s = d.acquire_reader();
        try {
            auto out = d.run_query(s, statements);
            d.release_reader(std::move(s));
            return out;
        } catch (const sql::SQLException& e) {
            const bool lost = d.lost(e, s);
            d.drop_reader();
            if (lost) d.drop_idle_readers();
            if (lost && attempt == 0) {
                spdlog::warn("mysql backend: reader connection lost ({}), retrying",
                             detail::describe(e));
                continue;
            }
            throw BackendError("MySQL backend: " + detail::describe(e));
        } catch (const backend::StatementQueryError&) {
            d.release_reader(std::move(s));
            throw;
        } catch (...) {
            d.drop_reader();
            throw;
        }
    }
}

std::uint64_t MysqlDriver::applied_index() {
    Impl& d = *impl_;
    return d.with_writer([&] { return d.current_marker().applied; });
}

void MysqlDriver::begin_group() {
    impl_->begin_group();
}

void MysqlDriver::end_group() {
    impl_->end_group();
}

void MysqlDriver::abandon_group() {
    if (impl_->group.open) impl_->abandon_open_part(false);
}

std::uint64_t MysqlDriver::dump(backend::SnapshotWriter& out) {
    Impl& d = *impl_;
    if (d.group.open) throw BackendError("MySQL backend: dump() inside an apply group");
    Session s = d.acquire_reader();
    try {
        s.exec("START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT");
        const std::uint64_t index = detail::dump_tables(s, out);
        s.exec("COMMIT");
        d.release_reader(std::move(s));
        return index;
    } catch (const sql::SQLException& e) {
        d.drop_reader();
        throw BackendError("MySQL backend: snapshot failed: " + detail::describe(e));
    } catch (...) {
        d.drop_reader();
        throw;
    }
}

std::unique_ptr<backend::PendingDump> MysqlDriver::begin_dump() {
    Impl& d = *impl_;
    if (d.group.open) throw BackendError("MySQL backend: begin_dump() inside an apply group");
    Session s;
    try {
        s = detail::open_session(d.opt, true, d.collation);
    } catch (const sql::SQLException& e) {
        throw BackendError("MySQL backend: cannot open a session for a snapshot: " +
                           detail::describe(e));
    }
    return detail::begin_pending_dump(std::move(s));
}

void MysqlDriver::restore(backend::SnapshotReader& in, std::uint64_t index) {
    Impl& d = *impl_;
    if (d.group.open) {
        d.abandon_open_part(false);
        throw BackendError("MySQL backend: restore() inside an apply group");
    }
    try {
        Session& s = d.w();
        if (d.current_marker().pending_index != 0) d.undo_pending();
        const std::vector<detail::BuiltTable> built = detail::build_tables(s, in);
        // From here until the final marker the tables may be the snapshot's while the applied
        // index is still the old one: the marker says so, and execute() refuses entries.
        Marker pending = d.current_marker();
        pending.pending_index = index;
        pending.pending_step = 0;
        pending.pending_fingerprint = detail::kRestorePending;
        pending.results.clear();
        pending.undo = detail::UndoLog::kIrreversible;
        detail::store_marker(s, pending);
        d.marker = pending;
        d.hook("snapshot-before-swap");
        detail::swap_in(s, built);
        d.hook("snapshot-after-swap");
        d.store_after_ddl(Marker{index, 0, 0, "", "", ""});
        spdlog::info("mysql backend: installed a snapshot of {} tables at index {}", built.size(),
                     index);
    } catch (const sql::SQLException& e) {
        d.marker.reset();
        throw BackendError("MySQL backend: snapshot install failed: " + detail::describe(e));
    }
}

std::uint64_t MysqlDriver::writer_connection_id() const {
    return impl_->writer ? impl_->writer->connection_id : 0;
}

}  // namespace orcraft::storage_mysql
