#pragma once
// The service of an embedded standalone node (RaftEnabled false with SQLite): one node, always
// the leader, every write applied through the same SqlStateMachine a raft node uses, so that
// typed commands, the "sql" command, exactly-once indexes and the result checksum behave as in
// raft mode, only without replication.
//
// Writes ("sql" batches and typed commands) run on one apply thread in the order they were
// accepted and get consecutive log indexes, continuing from the database's applied index. Each
// is encoded as a log entry command stamped by a StampClock (strictly increasing, continuing
// from the last applied stamp) and handed to SqlStateMachine::apply(), exactly as the raft
// runtime would. Reads run on a pool of reader threads; every level reads this node's state,
// which is the latest there is.
//
// A database failure while applying (SqlStateMachine::apply() throws) leaves the effect of that
// write unknown: like a raft node, the service then stops taking writes (kStopped for them and
// every later one) and status() reports the failure; the program should restart the node.
//
// Threading: as backend::Service. Callbacks run on the apply thread (writes) or a reader thread
// (reads), or on the calling thread when a request is refused at once.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "backend/command_stamp_clock.hpp"
#include "backend/service.hpp"
#include "backend/sql_state_machine.hpp"
#include "backend/worker_pool.hpp"
#include "raft/node/node.hpp"

namespace orcraft::embed {

struct LocalServiceOptions {
    std::string hostname;  // this node's identity and leader
    std::string token;     // random per process
    std::size_t reader_threads = 4;
    std::function<std::int64_t()> clock_micros;  // UTC microseconds, for stamps
    std::function<std::uint64_t()> random;       // seeds, for stamps
};

class LocalService final : public backend::Service {
  public:
    explicit LocalService(std::shared_ptr<backend::SqlStateMachine> state_machine,
                          LocalServiceOptions options);
    ~LocalService() override;
    LocalService(const LocalService&) = delete;
    LocalService& operator=(const LocalService&) = delete;

    void execute(std::vector<backend::Statement> batch,
                 std::function<void(backend::ExecuteReply)> done) override;
    void query(std::vector<backend::Statement> statements, backend::ReadConsistency consistency,
               std::function<void(backend::QueryReply)> done) override;
    backend::NodeStatus status() override;
    // Runs the writes already accepted, then the reads, and refuses new work. Idempotent.
    void stop() override;

    // Applies the command `name` (registered on the state machine, or "sql") with `payload`,
    // and calls `done` with the outcome a raft node's propose() would give: kNone with the
    // index and SqlStateMachine::apply()'s result, or kStopped.
    void propose_command(std::string name, std::string payload,
                         std::function<void(raft::ProposeOutcome)> done);

    // Why the service stopped taking writes ("" while it takes them).
    std::string failure() const;

  private:
    std::shared_ptr<backend::SqlStateMachine> state_machine_;
    LocalServiceOptions options_;
    backend::StampClock clock_;
    std::uint64_t next_index_;  // touched on the apply thread only
    mutable std::mutex failure_mutex_;
    std::string failure_;
    std::atomic<bool> stopped_{false};
    backend::WorkerPool apply_;
    backend::WorkerPool readers_;
};

}  // namespace orcraft::embed
