#pragma once
// orcraft as a library: run an orcraft node inside your own program (docs/embedding.md).
//
// A Node is configured exactly like the `orcraft` executable (the same orchestrator-style JSON
// keys). With RaftEnabled true it is a member of a raft cluster; with RaftEnabled false and a
// SQLite BackendDB it is a standalone node that is always the leader (handy for development and
// single-machine programs). Shared-backend mode (RaftEnabled false with MySQL) is not offered
// here: it has no log to put typed commands through.
//
// Besides SQL (execute() and query(), the same as the HTTP API's), a program registers its own
// typed commands: a name and a handler that turns a payload into SQL writes. run(name, payload)
// puts the command into the replicated log; every node applies it once, in log order, by calling
// the same handler on its own database. This is how an orchestrator-like program replicates its
// operations ("register-node", "reserve-item") rather than raw statements.
//
// Life cycle: construct, register commands and leadership observers, start(), use, stop() (or
// destroy). A Node is not copyable or movable.
//
// Threading:
//  - Every method may be called from any thread once the node is constructed, except where a
//    method says otherwise.
//  - The blocking methods (execute, query, run, stop) wait for the outcome; never call them from
//    a callback of an async method (that could wait for the thread it is running on).
//  - Callbacks of the async methods are called exactly once, on the node's own threads (its
//    apply thread, a reader thread or the raft loop thread), or on the calling thread before the
//    method returns when the request is refused at once (invalid SQL, a stopped node). They must
//    return quickly and must not block; they may call the async methods.
//  - Leadership observers run one at a time, in order, on a thread the node keeps for them. They
//    may block and may call any method except stop(); while one runs, later events wait.
//  - Command handlers run on the apply thread of every node; see CommandHandler.
//
// Logging: the library logs through spdlog's default logger, one line per event that matters.
// The program chooses the level (spdlog::set_level); the `orcraft` executable uses LogLevel.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "backend/config.hpp"
#include "backend/driver.hpp"
#include "backend/service.hpp"
#include "backend/sql_state_machine.hpp"

namespace orcraft::embed {

using backend::Blob;
using backend::Config;
using backend::ExecResult;
using backend::QueryResult;
using backend::ReadLevel;
using backend::Row;
using backend::Stamp;
using backend::Statement;
using backend::Value;

// Reads a configuration file exactly as `orcraft --config FILE` does (defaults, `${VAR}`
// passwords, the credentials file, address normalization, validation). Warnings (unknown keys,
// settings that cannot work well) are logged. Throws backend::ConfigError with the message an
// operator would see.
Config load_config_file(const std::filesystem::path& file);

// Why a request did not succeed.
enum class ErrorCode {
    // This node is not the leader, or lost leadership before the write committed: nothing was
    // applied. Error::leader() and leader_url() name the leader when one is known; send the
    // request there (its HTTP API, or your own channel to the program that embeds it).
    kNotLeader,
    // The request was refused or a statement failed: nothing of it was applied. Invalid SQL, a
    // statement error while applying, an unknown command name, an empty batch.
    // Error::statement() names the statement when known.
    kBadRequest,
    // A typed command's handler refused the payload (CommandRejected): the command was applied
    // as a no-op on every node. what() is the handler's message.
    kRejected,
    // The write was not confirmed in time, or the node stopped while waiting: it may still be
    // applied. Re-read before retrying a write that is not idempotent.
    kTimeout,
    // The node is not running: stopped, failed to start, or stopped itself after a failure of
    // its disk, its database or a command handler (status().error says why). A write that was
    // in flight when the node stopped may still be applied by the cluster.
    kStopped,
    // The backend database failed while serving a read or a standalone write.
    kBackend,
};

const char* to_string(ErrorCode code);

// The failure of a request: thrown by the blocking methods, handed to the callbacks of the async
// ones.
class Error : public std::runtime_error {
  public:
    Error(ErrorCode code, const std::string& message, std::string leader = {},
          std::string leader_url = {}, std::optional<std::size_t> statement = std::nullopt);

    ErrorCode code() const { return code_; }
    // kNotLeader: the leader's identity ("ip:port" of its raft address) and its HTTP base URL,
    // each "" when unknown.
    const std::string& leader() const { return leader_; }
    const std::string& leader_url() const { return leader_url_; }
    // kBadRequest: the zero-based position of the offending statement, when known.
    std::optional<std::size_t> statement() const { return statement_; }

  private:
    ErrorCode code_;
    std::string leader_;
    std::string leader_url_;
    std::optional<std::size_t> statement_;
};

// A value or the Error that prevented it; what the async methods hand to their callbacks.
template <typename T>
class Outcome {
  public:
    Outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Outcome(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    // The value; throws the Error when !ok().
    const T& value() const& {
        if (!ok()) throw std::get<1>(v_);
        return std::get<0>(v_);
    }
    T value() && {
        if (!ok()) throw std::get<1>(v_);
        return std::move(std::get<0>(v_));
    }
    // The error; only when !ok() (throws std::bad_variant_access otherwise).
    const Error& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

// A committed batch of writes.
struct WriteResult {
    std::vector<ExecResult> results;  // one per statement
    std::uint64_t index = 0;          // the log index the batch was applied at
};

// A committed typed command.
struct CommandResult {
    std::string result;       // what the handler returned
    std::uint64_t index = 0;  // the log index the command was applied at
};

// Thrown by a command handler for a payload it refuses (before writing anything). The proposer
// gets ErrorCode::kRejected with this message; every node records the command as applied
// without effect. The message must be the same on every node: build it from the payload and
// the rows read, never from a database's error text.
using CommandRejected = backend::CommandRejected;

// Thrown by CommandContext::read() and write() when a statement fails (a constraint, a missing
// table). It is a CommandRejected naming the statement ("statement 1 failed"), so a handler that
// does not catch it rejects the command; a handler that catches it may return a result of its
// own instead. Nothing of a failed write() was applied.
class StatementFailed : public CommandRejected {
  public:
    StatementFailed(std::size_t statement, const std::string& message)
        : CommandRejected(message), statement_(statement) {}
    std::size_t statement() const { return statement_; }

  private:
    std::size_t statement_;
};

// What a command handler works with while its command is applied on one node. Made by the
// node for each command; valid only during the handler call.
class CommandContext {
  public:
    CommandContext(backend::Driver& driver, const Stamp& stamp, std::uint64_t index);

    // The time and random seed the leader chose for this command (the same on every node). SQL
    // run by write() takes NOW() and RAND() from it; a handler that needs a time uses this one,
    // never its own clock.
    const Stamp& stamp() const { return stamp_; }
    // The command's log index (the same on every node).
    std::uint64_t index() const { return index_; }

    // Runs read-only statements (portable SQL, docs/sql-dialect.md) on the state as every
    // earlier command left it. Throws StatementFailed for a failing statement, CommandRejected
    // for a statement that is not valid read-only portable SQL.
    std::vector<QueryResult> read(const std::vector<Statement>& statements);

    // Applies writes in one transaction, together with this command's log index: at most one
    // call per command (a second one throws CommandRejected without running; the first one's
    // writes stay). A failing statement rolls the whole batch back and throws StatementFailed;
    // a statement that is not valid portable SQL throws CommandRejected before anything runs.
    // An empty batch does nothing. Returns one result per statement.
    std::vector<ExecResult> write(const std::vector<Statement>& batch);

    // Throws CommandRejected(why). Call it before write(): a rejection after a write keeps the
    // write (the rows stay; only the proposer's answer says rejected).
    [[noreturn]] void reject(const std::string& why);

  private:
    backend::Driver& driver_;
    Stamp stamp_;
    std::uint64_t index_;
    bool written_ = false;
};

// Applies one typed command on one node and returns the result bytes for the proposer.
//
// Contract (it is what keeps the replicas identical):
//  - It runs on every node, exactly once per command, in log order, on the node's apply thread;
//    nothing else writes meanwhile. Keep it short: every later write waits for it.
//  - It is deterministic: the same payload on the same rows gives the same writes and the same
//    returned bytes on every node, whatever its backend (SQLite or MySQL). It reads only through
//    the context, takes time and randomness only from the context's stamp, and does no I/O of
//    its own (no files, no network, no calls into the Node).
//  - It validates first (read(), then reject() for a payload it refuses) and writes with one
//    write() call.
//  - An exception other than CommandRejected (a database failure, a bug) stops the node: the
//    command's effect on this node is then unknown, and the program should exit and restart it.
using CommandHandler =
    std::function<std::string(CommandContext& context, const std::string& payload)>;

// A change of this node's view of the leadership.
struct Leadership {
    bool is_leader = false;  // this node takes writes and runs commands now
    std::string leader;      // the leader's identity, "" when no leader is known
    std::uint64_t term = 0;  // the raft term (a standalone node is the leader of term 1)
};

using LeadershipObserver = std::function<void(const Leadership&)>;

// What status() reports.
struct Status {
    std::string mode;  // "raft" or "standalone"
    bool running = false;
    bool healthy = false;  // the leader, or a follower of a cluster with a leader
    std::string error;     // why not healthy ("" when healthy)
    std::string self;      // this node's identity: "ip:port" in raft mode, the host name otherwise
    bool is_leader = false;
    std::string leader;      // "" when unknown
    std::string leader_url;  // the leader's HTTP base URL, "" when unknown
    std::uint64_t term = 0;
    std::uint64_t commit_index = 0;
    std::uint64_t applied_index = 0;
    std::vector<std::string> members;  // every member's identity (voters, then learners)
    // The result checksum chain at applied_index (docs/log-entries.md): equal on two nodes at
    // the same applied index when they applied the same results. Meaningful only when
    // checksum_known (a node restarted without its checksum file does not know its chain until
    // it installs a snapshot).
    std::uint64_t result_checksum = 0;
    bool checksum_known = false;
};

struct NodeOptions {
    // Also serve the HTTP API on ListenAddress (the routes of the `orcraft` executable,
    // docs/http-api.md), so that orchestrator-style clients and operators can reach the node.
    bool serve_http = false;
    // stop() on a raft leader first hands leadership to another voter, waiting at most this long.
    std::chrono::milliseconds hand_over_timeout{3000};
};

class Node {
  public:
    // Takes a configuration (load_config_file(), or a Config filled in by the program and
    // finished by backend::finalize_config()). Nothing starts yet.
    explicit Node(Config config, NodeOptions options = {});
    // Reads the configuration file with load_config_file() (throws backend::ConfigError).
    explicit Node(const std::filesystem::path& config_file, NodeOptions options = {});
    // Calls stop().
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    // Registers a typed command. Only before start(); every node of a cluster must register the
    // same names with the same handlers (a node that meets a name it does not know records the
    // command as failed, and its replica no longer matches). Throws std::invalid_argument for
    // "sql" (built in), an empty name, a name longer than 255 bytes or one registered before;
    // std::logic_error after start().
    void register_command(const std::string& name, CommandHandler handler);

    // Adds an observer of leadership changes. Observers added before start() see every change,
    // starting with the first one after start() (a single-node cluster or a standalone node
    // becomes the leader at once); one added later first gets the current view. An event comes
    // whenever is_leader, leader or term changes, and stop() ends with one saying is_leader
    // false and no leader, unless the last one said so already. See the file comment for the
    // thread observers run on.
    void on_leadership_change(LeadershipObserver observer);

    // Opens the backend, starts the raft runtime (raft mode) and the HTTP API (serve_http).
    // Throws Error(kStopped, why) when the node cannot start (data directory, database,
    // addresses in use, a configuration that cannot work); such a node stays stopped (make a new
    // Node to try again). Throws std::logic_error when called a second time.
    void start();

    // Writes: validates `batch` (portable SQL, no queries) and applies it in one transaction
    // through the log. Only the leader takes writes: elsewhere kNotLeader naming the leader
    // (this library does not forward; the HTTP API does).
    WriteResult execute(std::vector<Statement> batch);
    void execute_async(std::vector<Statement> batch,
                       std::function<void(Outcome<WriteResult>)> done);

    // Reads at a consistency level: None reads this node's state at once (possibly stale on a
    // follower); Weak reads the leader's state (kNotLeader elsewhere); Linearizable reflects
    // every write acknowledged before the call (the leader confirms its leadership with a
    // quorum first; a follower asks the leader for a read index and reads once caught up).
    std::vector<QueryResult> query(std::vector<Statement> statements,
                                   ReadLevel level = ReadLevel::Linearizable);
    void query_async(std::vector<Statement> statements, ReadLevel level,
                     std::function<void(Outcome<std::vector<QueryResult>>)> done);

    // Proposes the typed command `name` with `payload` and returns once it was applied on this
    // node, with what its handler returned. Only the leader proposes: elsewhere kNotLeader
    // naming the leader (no forwarding). kBadRequest for a name not registered on this node
    // (nothing enters the log); kRejected when the handler refused the payload.
    CommandResult run(const std::string& name, std::string payload);
    void run_async(const std::string& name, std::string payload,
                   std::function<void(Outcome<CommandResult>)> done);

    // This node's view; cheap, never blocks on the network or the disk. Before start() and
    // after stop() `running` is false.
    Status status() const;

    // The HTTP base URL the API is served at ("http://127.0.0.1:3000"), "" without serve_http.
    std::string http_url() const;

    // Stops: a raft leader first hands leadership to another voter (hand_over_timeout), so the
    // cluster elects a new leader without waiting for an election timeout; then the HTTP API
    // stops, writes in flight finish or fail (kStopped/kTimeout), the runtime and the backend
    // close, and the last leadership event is delivered. Idempotent. Not from a callback or an
    // observer.
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace orcraft::embed
