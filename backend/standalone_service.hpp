#pragma once
// The standalone node: RaftEnabled false with a SQLite backend. One node, always the leader, every
// write applied directly to its own backend in the order it was accepted.
//
// Writes run on one apply thread, so batches get consecutive indexes and apply one at a time;
// queries run on a pool of reader threads, concurrently with writes (the driver guarantees they
// see whole batches only). Every level of query is answered from this node's state, which is
// the latest state there is.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "backend/driver.hpp"
#include "backend/service.hpp"
#include "backend/worker_pool.hpp"

namespace orcraft::backend {

struct StandaloneOptions {
    std::string hostname;
    std::string token;
    std::size_t reader_threads = 4;
    // Sources of time (UTC microseconds) and randomness for batch stamps.
    std::function<std::int64_t()> clock_micros;
    std::function<std::uint64_t()> random;
};

class StandaloneService final : public Service {
  public:
    StandaloneService(std::unique_ptr<Driver> driver, StandaloneOptions options);
    ~StandaloneService() override;

    void execute(std::vector<Statement> batch, std::function<void(ExecuteReply)> done) override;
    void query(std::vector<Statement> statements, ReadConsistency consistency,
               std::function<void(QueryReply)> done) override;
    NodeStatus status() override;
    void stop() override;

  private:
    Stamp next_stamp();

    std::unique_ptr<Driver> driver_;
    StandaloneOptions options_;
    std::uint64_t next_index_;     // touched on the apply thread only
    std::int64_t last_stamp_ = 0;  // touched on the apply thread only
    std::atomic<bool> backend_ok_{true};
    WorkerPool apply_;
    WorkerPool readers_;
};

}  // namespace orcraft::backend
