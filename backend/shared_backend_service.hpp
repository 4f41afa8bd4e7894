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
// Health. The node is healthy while its election rounds reach the database; when the database is
// unreachable or hangs, the node reports unhealthy, is not the active node, keeps answering the
// health endpoints, and recovers by itself when the database answers again. Client requests
// during an outage fail with BackendFailure after the driver's timeouts.
//
// Threading: as Service. The election runs on a thread of its own (ElectionRunner); reelect and
// grab_election are handed to it and answered from it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "backend/driver.hpp"
#include "backend/lease_election.hpp"
#include "backend/service.hpp"
#include "backend/worker_pool.hpp"

namespace orcraft::backend {

struct SharedBackendOptions {
    std::string hostname;
    std::string token;
    std::size_t reader_threads = 4;
    std::chrono::seconds lease{5};
    std::chrono::milliseconds tick{1000};
    // Seeds for RAND() in writes.
    std::function<std::uint64_t()> random;
    // The local monotonic clock of the election.
    std::function<std::chrono::steady_clock::time_point()> now = [] {
        return std::chrono::steady_clock::now();
    };
};

class SharedBackendService final : public Service {
  public:
    // `data` serves client writes and reads; `lease` is the election's store, which should use a
    // connection of its own. The election starts at once.
    SharedBackendService(std::unique_ptr<Driver> data, std::unique_ptr<LeaseStore> lease,
                         SharedBackendOptions options);
    ~SharedBackendService() override;

    void execute(std::vector<Statement> batch, std::function<void(ExecuteReply)> done) override;
    void query(std::vector<Statement> statements, ReadLevel level,
               std::function<void(QueryReply)> done) override;
    NodeStatus status() override;
    void reelect(std::function<void(ElectionReply)> done) override;
    void grab_election(std::function<void(ElectionReply)> done) override;
    // Also gives the lease up when this node holds it, so another node takes over at its next
    // round rather than after the lease.
    void stop() override;

  private:
    std::unique_ptr<Driver> driver_;
    std::unique_ptr<LeaseStore> store_;
    SharedBackendOptions options_;
    LeaseElection election_;
    WorkerPool apply_;
    WorkerPool readers_;
    std::mutex stop_mu_;
    bool stopped_ = false;
    ElectionRunner runner_;  // last: its thread starts once everything else exists
};

}  // namespace orcraft::backend
