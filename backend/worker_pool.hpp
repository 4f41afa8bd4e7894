#pragma once
// A fixed set of threads running posted tasks in FIFO order.
//
// With one thread it is a serial executor: tasks run one at a time in the order they were posted,
// which is how the apply thread keeps batches in order. `max_queued` bounds the tasks waiting to
// start (0: unbounded): post() refuses beyond it, so an overloaded node can refuse work at once
// instead of letting it wait without limit. stop() refuses new tasks, runs every task already
// posted, and joins the threads; it is idempotent, called by the destructor, and must be called
// by the pool's owner (not from one of its own tasks). A task that throws is logged and does not
// take its thread down.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace orcraft::backend {

class WorkerPool {
  public:
    explicit WorkerPool(std::size_t threads, std::size_t max_queued = 0);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Queues a task; returns false (and drops it) when the queue is full or stop() has begun.
    bool post(std::function<void()> task);

    // Number of tasks waiting to start.
    std::size_t backlog() const;

    void stop();

  private:
    void run();

    const std::size_t max_queued_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace orcraft::backend
