#include "server/app/heap_trimmer.hpp"

#include <malloc.h>
#include <pthread.h>

namespace orcraft::server::app {

HeapTrimmer::HeapTrimmer(std::chrono::milliseconds period, std::function<void()> trim)
    : period_(period), trim_(std::move(trim)) {
    if (!trim_) trim_ = [] { malloc_trim(0); };
    thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "heap-trim");
        run();
    });
}

HeapTrimmer::~HeapTrimmer() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

void HeapTrimmer::run() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, period_, [this] { return stopping_; })) {
        lock.unlock();
        trim_();
        lock.lock();
    }
}

}  // namespace orcraft::server::app
