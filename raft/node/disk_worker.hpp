// The disk thread: the only thread that touches the LogStore after start. It runs one job at a
// time, in submission order (a Ready's write, a snapshot save), and hands each job's completion
// back to the loop thread through `post`.
//
// Group commit comes from the shape of the loop, not from here: the loop submits the next
// Ready only after the previous write completed, and the core keeps accumulating entries,
// state and messages meanwhile, so each write (one fdatasync) covers everything that arrived
// while the previous one synced.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "raft/storage/log_store.hpp"

namespace orcraft::raft {

class DiskWorker {
  public:
    using Clock = std::chrono::steady_clock;
    using Job = std::function<void(LogStore&)>;
    // Runs on the loop thread with the job's exception (null on success).
    using Done = std::function<void(std::exception_ptr)>;
    // Schedules a function on the loop thread (never blocks).
    using Post = std::function<void(std::function<void()>)>;

    DiskWorker(LogStore& store, Post post);
    ~DiskWorker();
    DiskWorker(const DiskWorker&) = delete;
    DiskWorker& operator=(const DiskWorker&) = delete;

    void submit(Job job, Done done);
    // Since when the job being run has been running (stall detection), or nullopt when idle.
    std::optional<Clock::time_point> busy_since() const;
    // The store's counters as of the last completed job.
    LogStoreStats stats() const;
    // Finishes the job being run, drops the queued ones, and joins the thread.
    void stop();

  private:
    void run();

    LogStore& store_;
    Post post_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::pair<Job, Done>> queue_;
    bool stopping_ = false;
    std::optional<Clock::time_point> busy_since_;
    LogStoreStats stats_;
    std::thread thread_;
};

}  // namespace orcraft::raft
