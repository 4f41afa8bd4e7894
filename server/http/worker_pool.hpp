#pragma once
// A fixed set of threads for the blocking work of routes (database queries), so that handlers
// never block the loop thread.
//
// Tasks run in the order they were submitted, each on whichever thread is free. `max_queued`
// bounds the tasks waiting to start (0: unbounded): submit() refuses beyond it, so an overloaded
// node answers 503 at once instead of letting requests wait without limit. shutdown() refuses new
// tasks, lets every task already queued run, and joins the threads; it is idempotent and called by
// the destructor. A task that throws is logged and does not take its thread down.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace orcraft::server::http {

class WorkerPool {
  public:
    explicit WorkerPool(std::size_t threads, std::size_t max_queued = 0);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Queues `task`. Returns false, and drops it, when the queue is full or shutdown() has begun.
    bool submit(std::function<void()> task);

    // Tasks waiting to start (not counting those running).
    std::size_t queued() const;
    std::size_t threads() const { return threads_.size(); }

    void shutdown();

  private:
    void run();

    const std::size_t max_queued_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::mutex join_mutex_;
    std::vector<std::thread> threads_;
};

}  // namespace orcraft::server::http
