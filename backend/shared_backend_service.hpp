#pragma once
// The shared-backend node: RaftEnabled false with a MySQL backend that several nodes share
// (spec orchestrator-compat.md §6). There is no log: every node serves the whole API and runs
// writes and reads directly on the shared database, and a lease election in the same database
// (lease_election.hpp) picks the active node that leader-check, status and health report.
//
// Writes run on one apply thread as unlogged batches (driver index 0) with no stamp, so NOW() and
// friends are the database server's clock, as they would be for any client of that database;
// RAND() is seeded per batch. Reads run on a pool of reader threads; every read level is answered
// from the shared database, which is the latest state there is.
//
// Opening. The service opens its connections itself, in the background, so that the node serves
// its HTTP API even when the database is unreachable at start: until the opener succeeds, the
// node is unhealthy (the open error is the reason), not the active node, and answers client
// writes and reads with NotLeader (HTTP 503, retry later) naming the problem; election commands
// fail. Attempts are spaced by a backoff that starts at the tick and doubles up to
// open_retry_max. Each error is logged once, when it differs from the previous attempt's:
// settings that cannot work (SharedBackendSettingsError: a wrong password, an unknown host) at
// error level, others as warnings; success is logged once. Once open, the election starts and the
// node runs normally.
//
// Health. The node is healthy while its election rounds reach the database; when the database is
// unreachable or hangs, the node reports unhealthy, is not the active node, keeps answering the
// health endpoints, and recovers by itself when the database answers again. Client requests
// during an outage fail with BackendFailure after the driver's timeouts.
//
// Threading: as Service. The opener runs on a thread of its own until it succeeds or the service
// stops; the election then runs on another (ElectionRunner); reelect and grab_election are handed
// to it and answered from it.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "backend/driver.hpp"
#include "backend/lease_election.hpp"
#include "backend/service.hpp"
#include "backend/worker_pool.hpp"

namespace orcraft::backend {

// What an opener throws when this node's settings cannot work (a wrong password, an unknown
// host): an operator's mistake rather than an outage. It is retried like any other failure, but
// logged as an error.
class SharedBackendSettingsError : public BackendError {
  public:
    using BackendError::BackendError;
};

// The connections of a shared-backend node: `data` serves client writes and reads; `lease` is the
// election's store, which should use a connection of its own.
struct SharedBackendConnections {
    std::unique_ptr<Driver> data;
    std::unique_ptr<LeaseStore> lease;
};

// Opens both connections, or throws (BackendError, SharedBackendSettingsError, any
// std::exception) when it cannot. Called from the opener thread until it succeeds.
using SharedBackendOpener = std::function<SharedBackendConnections()>;

struct SharedBackendOptions {
    std::string hostname;
    std::string token;
    std::size_t reader_threads = 4;
    std::chrono::seconds lease{5};
    std::chrono::milliseconds tick{1000};
    // The longest wait between two attempts to open the connections (the first wait is the tick).
    std::chrono::milliseconds open_retry_max{4000};
    // Seeds for RAND() in writes.
    std::function<std::uint64_t()> random;
    // The local monotonic clock of the election.
    std::function<std::chrono::steady_clock::time_point()> now = [] {
        return std::chrono::steady_clock::now();
    };
};

class SharedBackendService final : public Service {
  public:
    // Starts opening the connections with `open` at once, in the background; the election
    // starts as soon as they are open. Never blocks on the database.
    SharedBackendService(SharedBackendOpener open, SharedBackendOptions options);
    ~SharedBackendService() override;

    void execute(std::vector<Statement> batch, std::function<void(ExecuteReply)> done) override;
    void query(std::vector<Statement> statements, ReadConsistency consistency,
               std::function<void(QueryReply)> done) override;
    NodeStatus status() override;
    void reelect(std::function<void(ElectionReply)> done) override;
    void grab_election(std::function<void(ElectionReply)> done) override;
    // Also gives the lease up when this node holds it, so another node takes over at its next
    // round rather than after the lease.
    void stop() override;

  private:
    // The opener thread: tries `open` until it succeeds or the service stops.
    void open_loop(SharedBackendOpener open);
    // Logs a failed attempt when its error differs from the previous one.
    void report_open_failure(const std::string& error, bool settings);
    // The data driver, or null while the connections are not open.
    Driver* driver();
    // The election, or null while the connections are not open.
    LeaseElection* election();
    // Why the node cannot serve while the connections are not open.
    std::string unavailable();

    SharedBackendOptions options_;
    WorkerPool apply_;
    WorkerPool readers_;

    std::mutex mu_;  // guards what follows; the pointers are set once, by the opener
    std::condition_variable wake_;
    bool stopping_ = false;
    bool stopped_ = false;
    std::string open_error_ = "not opened yet";
    int open_attempts_ = 0;
    std::unique_ptr<Driver> driver_;
    std::unique_ptr<LeaseStore> store_;
    std::unique_ptr<LeaseElection> election_;
    std::unique_ptr<ElectionRunner> runner_;

    std::thread opener_;  // last: it starts once everything else exists
};

}  // namespace orcraft::backend
