// Gives memory that the process freed back to the system from time to time.
//
// glibc keeps freed memory in its arenas; what is freed in the middle of an arena (between blocks
// still in use) is never returned on its own. Snapshots make that pattern: a snapshot thread
// allocates a dump's pages and buffers while the apply thread keeps allocating rows, and when the
// snapshot ends its memory lies in holes. malloc_trim() releases the free pages of every arena.
// Measured on a three-node bench after a million writes: 26 MB of anonymous memory on the leader,
// 13 MB after one trim.
//
// A HeapTrimmer runs `trim` on a thread of its own every `period`, until it is destroyed (which
// returns promptly, without waiting for the period). Create it after the signal mask that the
// process's threads must inherit is set (see node.hpp: block_stop_signals()).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace orcraft::server::app {

class HeapTrimmer {
  public:
    // `trim` defaults to malloc_trim(0).
    explicit HeapTrimmer(std::chrono::milliseconds period, std::function<void()> trim = {});
    ~HeapTrimmer();
    HeapTrimmer(const HeapTrimmer&) = delete;
    HeapTrimmer& operator=(const HeapTrimmer&) = delete;

  private:
    void run();

    const std::chrono::milliseconds period_;
    std::function<void()> trim_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace orcraft::server::app
