#pragma once
// The replicated state machine: applies committed raft entries to a backend Driver.
//
// Each normal entry holds a Command (command.hpp). apply() decodes it and dispatches by name:
//
// - "sql" runs the batch with Driver::execute(batch, stamp, entry.index): the statements and the
//   applied index commit in one transaction, so an entry is applied exactly once even across
//   crashes (an index at or below the driver's applied index is not run again).
// - any other name runs the CommandHandler registered under it (register_command). A handler
//   applies its effect through the Driver with the entry's index, normally with run_sql(), so
//   that it is exactly-once in the same way. When a handler returns without having recorded the
//   index (it had nothing to write), the state machine records it.
// - an entry that does not decode, names no registered command, or is rejected by its handler
//   (CommandRejected) gives a CommandFailed result, the same on every node, and its index is
//   still recorded as applied.
//
// apply_batch() applies a run of committed entries as one Driver apply group
// (Driver::begin_group): one backend transaction and one commit for the run, each entry still
// all-or-nothing on its own with exactly the results it would have alone.
//
// apply_marker() records the index of a no-op or configuration entry as applied without running
// SQL (Driver::execute of an empty batch).
//
// Every applied index's result is folded into the result checksum (result_checksum.hpp). The
// chain is kept in memory, written to the optional checksum file after each apply, and carried
// in snapshots, so a node installing a snapshot continues the same chain.
//
// Snapshots (sql_state_machine_snapshot.cpp): snapshot() writes the portable snapshot
// (snapshot_format.hpp, docs/snapshots.md) of the driver's state; restore() replaces the driver's
// state by one, from any backend. begin_snapshot() is the two-phase form the runtime uses: on the
// apply thread it opens the driver's dump read transaction (Driver::begin_dump) and copies the
// result checksum and last stamp at that index; the returned PendingSnapshot then runs the dump
// on the runtime's snapshot thread while entries keep being applied, and gives the same bytes
// snapshot() would have given at that index. A dump that cannot begin (Driver::begin_dump threw
// BackendError: no session for it, an entry half applied) is reported by write(), so it gives up
// that snapshot only. A driver without begin_dump() gets a one-phase snapshot there instead.
//
// Threading: the raft runtime calls the raft::StateMachine methods from its apply thread only.
// checksum(), last_applied_stamp() and the other observers may be called from any thread.
// register_command() must be called before the state machine is handed to the runtime.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "backend/command.hpp"
#include "backend/driver.hpp"
#include "backend/result_checksum.hpp"
#include "raft/node/state_machine.hpp"

namespace orcraft::backend {

struct SnapshotTrailer;

// Applies an application's typed command. It receives the entry's stamp and index and the
// command's payload, applies the command's effect with exactly one Driver::execute(batch, stamp,
// index) call (run_sql() below), and returns result bytes for the proposer. Everything it does
// must be deterministic: the same payload on the same state gives the same writes and the same
// returned bytes on every node and backend (the returned bytes are folded into the result
// checksum, so they must not contain backend-specific text such as error messages; use
// StatementError::statement, not its message). Throw CommandRejected for a payload it refuses;
// a BackendError propagates and stops the node, like any other exception.
using CommandHandler = std::function<std::string(Driver&, const Stamp&, std::uint64_t index,
                                                 const std::string& payload)>;

// Thrown by a CommandHandler for a payload it refuses (before writing anything). The entry's
// result is CommandFailed/kRejected with this message, and its index is recorded.
class CommandRejected : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Runs a batch for a CommandHandler through the same path as the "sql" command.
BatchOutcome run_sql(Driver& driver, const Stamp& stamp, std::uint64_t index,
                     const std::vector<Statement>& batch);

struct SqlStateMachineOptions {
    // Where the result checksum and the last applied stamp are kept across restarts (normally a
    // file in RaftDataDir). Empty: memory only, and the checksum chain of a restarted node is
    // unknown until it installs a snapshot. The file is rewritten after every apply without
    // fsync; after a power loss it may be behind the backend's applied index, and the chain is
    // then unknown (never wrong).
    std::string checksum_file;
    // How many recent (index, checksum) pairs checksum_at() can answer for.
    std::size_t checksum_history = 1024;
};

class SqlStateMachine final : public raft::StateMachine {
  public:
    explicit SqlStateMachine(std::shared_ptr<Driver> driver, SqlStateMachineOptions options = {});
    ~SqlStateMachine() override;
    SqlStateMachine(const SqlStateMachine&) = delete;
    SqlStateMachine& operator=(const SqlStateMachine&) = delete;

    // Registers a typed command. Throws std::invalid_argument for "sql", an empty or too long
    // name, or a name registered before.
    void register_command(const std::string& name, CommandHandler handler);

    raft::Index applied_index() override;
    std::string apply(const raft::Entry& entry) override;
    void apply_marker(raft::Index index, raft::Term term) override;
    std::vector<std::string> apply_batch(const std::vector<raft::Entry>& entries) override;
    std::shared_ptr<const std::string> snapshot(raft::Index& index) override;
    // The same, reporting rows and bytes written as the dump goes.
    std::shared_ptr<const std::string> snapshot_with_progress(raft::Index& index,
                                                              SnapshotProgress& progress) override;
    std::unique_ptr<PendingSnapshot> begin_snapshot(raft::Index& index,
                                                    SnapshotProgress& progress) override;
    void restore(const raft::SnapshotMeta& meta, const std::string& data) override;

    // The result checksum chain (see result_checksum.hpp).
    ChecksumState checksum() const;
    std::uint64_t result_checksum() const { return checksum().value; }
    std::uint64_t checksum_index() const { return checksum().index; }
    // The checksum at a recent index of a known chain.
    std::optional<std::uint64_t> checksum_at(std::uint64_t index) const;

    // The stamp of the last applied command (zero for none since the database was new, or
    // since the checksum file / snapshot that carried it). A new leader continues from it.
    Stamp last_applied_stamp() const;

    Driver& driver() { return *driver_; }

  private:
    ApplyResult apply_command(const Command& command, std::uint64_t index);
    void record_index(std::uint64_t index);
    void finish(std::uint64_t index, std::string_view result_bytes, const Stamp* stamp);
    std::shared_ptr<const std::string> write_snapshot(raft::Index& index,
                                                      SnapshotProgress* progress);
    // The end record of a snapshot of the state at `at` (the applied index): the result checksum
    // and last stamp as they are now. Apply thread.
    SnapshotTrailer trailer_at(std::uint64_t at) const;
    void load_checksum_file();
    void save_checksum_file();

    std::shared_ptr<Driver> driver_;
    SqlStateMachineOptions options_;
    std::map<std::string, CommandHandler, std::less<>> handlers_;
    int checksum_fd_ = -1;
    bool in_group_ = false;  // apply thread only: the checksum file is saved once per group

    mutable std::mutex mu_;  // guards checksum_ and last_stamp_
    ResultChecksum checksum_;
    Stamp last_stamp_;
    // The size of the last snapshot written, shared with the snapshot thread, which reserves
    // about that much for the next one.
    std::shared_ptr<std::atomic<std::uint64_t>> last_snapshot_bytes_ =
        std::make_shared<std::atomic<std::uint64_t>>(0);
};

}  // namespace orcraft::backend
