#pragma once
// The storage driver interface: one node's backend database (a SQLite file or a MySQL schema).
//
// A driver receives statements in the portable dialect (see dialect.hpp), already validated by
// the caller, and is responsible for running them with the same meaning on its engine. Two
// instances of different drivers given the same sequence of execute() calls from the same
// starting state must end up with the same rows and report the same results: that is what makes
// mixed SQLite/MySQL clusters possible, and what the conformance suite in tests/ checks.
//
// Threading: execute() and applied_index() are called from one thread at a time (the apply
// thread). query() may be called concurrently from several reader threads, also while execute()
// runs; readers see either the state before or after a batch, never half of one. A PendingDump
// (begin_dump()) is written on a thread of its own, also while execute() runs.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "backend/snapshot_schema.hpp"
#include "backend/value.hpp"

namespace orcraft::backend {

struct Statement {
    std::string sql;
    std::vector<Value> params;  // bound to '?' placeholders in order
};

// Where time and randomness come from while a batch runs. NOW(), CURRENT_TIMESTAMP (column
// defaults included), UTC_TIMESTAMP(), UNIX_TIMESTAMP() and RAND() are evaluated from this stamp
// and never from the node's own clock, so every node computes the same values.
struct Stamp {
    std::int64_t unix_micros = 0;  // UTC wall-clock time chosen by the leader
    std::uint64_t seed = 0;        // 64-bit random seed chosen by the leader
};

struct ExecResult {
    std::int64_t rows_affected = 0;
    std::int64_t last_insert_id = 0;  // 0 when the statement inserted no auto-increment row
    bool operator==(const ExecResult&) const = default;
};

// A statement of a batch failed; the whole batch was rolled back.
struct StatementError {
    std::size_t statement = 0;  // zero-based position in the batch
    std::string message;
};

struct BatchOutcome {
    // True when the batch's index was already recorded as applied: nothing was run.
    bool already_applied = false;
    std::vector<ExecResult> results;      // one per statement when the batch committed
    std::optional<StatementError> error;  // set when a statement failed and all was rolled back
};

struct QueryResult {
    std::vector<std::string> columns;
    // Portable type names, one per column: "integer", "real", "text", "blob", "datetime" or
    // "null" (no declared type and only NULL values).
    std::vector<std::string> types;
    std::vector<Row> rows;
};

// Thrown for failures of the backend itself (connection lost and not recoverable, disk full,
// file unreadable): the batch's effect is unknown to the caller, which must retry or stop.
// Deterministic SQL errors are never thrown; they are reported in BatchOutcome::error.
class BackendError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A dump begun by Driver::begin_dump(): a read transaction open on a connection that belongs to
// it alone, pinned at index(). It depends on nothing of the driver object, which may go on
// executing batches meanwhile.
class PendingDump {
  public:
    // Ends the read transaction and closes the connection, whether write() ran or not.
    virtual ~PendingDump() = default;
    // The applied index the read transaction sees: the driver's applied_index() when
    // begin_dump() was called.
    virtual std::uint64_t index() const = 0;
    // Writes every user table to `out` exactly as dump() would have at index(): same tables,
    // rows and order, so that the snapshot bytes are the same. Called at most once, from any one
    // thread. Throws BackendError; an exception thrown by `out` (a cancelled snapshot)
    // propagates.
    virtual void write(SnapshotWriter& out) = 0;
};

class Driver {
  public:
    virtual ~Driver() = default;

    // "sqlite" or "mysql".
    virtual std::string_view kind() const = 0;

    // Runs the statements in one transaction with time and randomness taken from stamp, and in
    // the same transaction records `index` as the applied index. If a statement fails, the
    // transaction is rolled back, the failing statement is reported, and `index` is still
    // recorded (in a transaction of its own), because a failed batch is a deterministic outcome
    // that every node reaches the same way. If `index` is not greater than applied_index(),
    // nothing runs and already_applied is set: this is what makes apply exactly-once after a
    // crash. Throws BackendError when the backend itself fails.
    //
    // Index 0 is the unlogged form, for a backend that is itself the shared truth (the
    // shared-backend mode, where nodes write to one MySQL directly): the batch runs and nothing is
    // recorded, applied_index() does not change, and there is no exactly-once recovery: when the
    // connection is lost during the batch, BackendError is thrown and the batch's effect is
    // unknown. A failing statement rolls back the open transaction and is reported as usual. With
    // index 0, a stamp whose unix_micros is 0 means "no stamp": time comes from the database
    // server's own clock (the seed still drives RAND()). Drivers that cannot serve as a shared
    // backend (SQLite) may throw BackendError for index 0.
    virtual BatchOutcome execute(const std::vector<Statement>& batch, const Stamp& stamp,
                                 std::uint64_t index) = 0;

    // Runs read-only statements in one consistent read transaction. A statement error is thrown
    // as StatementQueryError naming the statement; backend failures throw BackendError.
    virtual std::vector<QueryResult> query(const std::vector<Statement>& statements) = 0;

    // The index recorded by the last successful execute(); 0 for a new database.
    virtual std::uint64_t applied_index() = 0;

    // Apply groups: many execute() calls made durable by one commit. Between begin_group() and
    // end_group(), execute() calls with an index run inside one backend transaction. Each batch
    // keeps its own all-or-nothing meaning (a failing statement undoes that batch only, and its
    // index is still recorded) and applied_index() follows the batches as they run, but nothing is
    // visible to query() or durable until end_group() commits the whole group with the last
    // index. When an execute() of the group or end_group() itself throws BackendError, or when
    // abandon_group() is called, what the group has not committed is undone and applied_index()
    // returns to the index durably recorded: its value at begin_group(), unless the driver had
    // to commit part of the group early (MySQL does before DDL, which commits implicitly). Index-0
    // (unlogged) batches, dump() and restore() are not allowed inside a group. While a group is
    // open, query() called on the thread that opened it (a command handler reading what earlier
    // entries wrote) sees the group's batches; query() on any other thread sees committed state
    // only. The defaults do nothing: every execute() then commits on its own, which gives the same
    // results and the same final state, only with one commit per batch.
    virtual void begin_group() {}
    virtual void end_group() {}
    virtual void abandon_group() {}

    // Snapshots (docs/snapshots.md). dump() writes the schema and rows of every user table
    // (never the driver's own bookkeeping tables) to `out`, all read in one consistent read
    // transaction that does not block execute() for longer than a moment, and returns the
    // applied index that same transaction saw. Called from the apply thread, outside apply
    // groups. Throws BackendError. The default implementation refuses: a driver without
    // snapshots.
    virtual std::uint64_t dump(SnapshotWriter& out);

    // A dump in two steps, so that the apply thread need not wait for it: begin_dump() is called
    // on the apply thread, outside apply groups, and opens the dump's consistent read
    // transaction on a connection of its own (cheaply: no rows are read yet); the returned
    // PendingDump then writes exactly what dump() would have written at that moment, on another
    // thread, while execute() goes on. Throws BackendError. Returns nullptr when the driver can
    // only dump in one step (the default), or cannot pin a state here (a SQLite database not in
    // WAL mode, whose readers would block the writer): the caller then uses dump().
    virtual std::unique_ptr<PendingDump> begin_dump() { return nullptr; }

    // Replaces every user table with the tables and rows read from `in` (tables absent from the
    // snapshot are dropped) and records `index` as the applied index, even when it is lower
    // than the current one. Readers see the old state or the new one. When the restore fails
    // part way, the applied index is left unchanged (so the node installs the snapshot again);
    // whether the tables are unchanged too depends on the driver (docs/snapshots.md). Called
    // from the apply thread. Throws BackendError. The default implementation refuses.
    virtual void restore(SnapshotReader& in, std::uint64_t index);
};

inline std::uint64_t Driver::dump(SnapshotWriter&) {
    throw BackendError("the " + std::string(kind()) + " driver cannot write snapshots");
}

inline void Driver::restore(SnapshotReader&, std::uint64_t) {
    throw BackendError("the " + std::string(kind()) + " driver cannot install snapshots");
}

class StatementQueryError : public std::runtime_error {
  public:
    StatementQueryError(std::size_t statement, const std::string& message)
        : std::runtime_error(message), statement_(statement) {}
    std::size_t statement() const { return statement_; }

  private:
    std::size_t statement_;
};

}  // namespace orcraft::backend
