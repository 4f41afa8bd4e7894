#include "backend/worker_pool.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <exception>

namespace orcraft::backend {

WorkerPool::WorkerPool(std::size_t threads, std::size_t max_queued) : max_queued_(max_queued) {
    if (threads == 0) threads = 1;
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i)
        threads_.emplace_back([this] {
            pthread_setname_np(pthread_self(), "worker");
            run();
        });
}

WorkerPool::~WorkerPool() {
    stop();
}

bool WorkerPool::post(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || (max_queued_ != 0 && tasks_.size() >= max_queued_)) return false;
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
    return true;
}

std::size_t WorkerPool::backlog() const {
    std::lock_guard lock(mutex_);
    return tasks_.size();
}

void WorkerPool::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) {
        if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
    }
    std::lock_guard lock(mutex_);
    threads_.clear();
}

void WorkerPool::run() {
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            // Drain what was accepted before stopping: accepted work always gets its answer.
            if (tasks_.empty()) return;
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        try {
            task();
        } catch (const std::exception& e) {
            spdlog::error("a worker task failed: {}", e.what());
        } catch (...) {
            spdlog::error("a worker task failed with an unknown exception");
        }
    }
}

}  // namespace orcraft::backend
