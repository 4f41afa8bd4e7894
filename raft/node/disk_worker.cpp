#include "raft/node/disk_worker.hpp"

#include <pthread.h>

namespace orcraft::raft {

DiskWorker::DiskWorker(LogStore& store, Post post)
    : store_(store), post_(std::move(post)), stats_(store.stats()) {
    thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "raft-disk");
        run();
    });
}

DiskWorker::~DiskWorker() {
    stop();
}

void DiskWorker::submit(Job job, Done done) {
    {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        queue_.emplace_back(std::move(job), std::move(done));
    }
    cv_.notify_one();
}

std::optional<DiskWorker::Clock::time_point> DiskWorker::busy_since() const {
    std::lock_guard lock(mu_);
    return busy_since_;
}

LogStoreStats DiskWorker::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

void DiskWorker::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
        queue_.clear();
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void DiskWorker::run() {
    for (;;) {
        std::pair<Job, Done> item;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, nothing left
            item = std::move(queue_.front());
            queue_.pop_front();
            busy_since_ = Clock::now();
        }
        std::exception_ptr error;
        try {
            item.first(store_);
        } catch (...) {
            error = std::current_exception();
        }
        LogStoreStats stats = store_.stats();
        {
            std::lock_guard lock(mu_);
            busy_since_.reset();
            stats_ = stats;
        }
        post_([done = std::move(item.second), error] { done(error); });
    }
}

}  // namespace orcraft::raft
