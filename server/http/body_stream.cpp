#include "server/http/body_stream.hpp"

namespace orcraft::server::http {

BodyStream::~BodyStream() = default;

void BodyStream::signal(std::unique_lock<std::mutex>& lock) {
    if (signalled_ || !on_ready_) return;
    signalled_ = true;
    auto notify = on_ready_;
    // Outside the lock: the callback takes the server's own lock to post to its loop.
    lock.unlock();
    notify();
    lock.lock();
}

bool BodyStream::write(std::string_view data) {
    std::unique_lock lock(mutex_);
    while (!data.empty()) {
        space_.wait(lock, [&] { return cancelled_ || buffer_.size() < max_buffered_; });
        if (cancelled_ || finished_ || aborted_) return false;
        const std::size_t n = std::min(data.size(), max_buffered_ - buffer_.size());
        buffer_.append(data.substr(0, n));
        data.remove_prefix(n);
        signal(lock);
    }
    return !cancelled_;
}

void BodyStream::finish() {
    std::unique_lock lock(mutex_);
    if (finished_ || aborted_) return;
    finished_ = true;
    signal(lock);
}

void BodyStream::abort() {
    std::unique_lock lock(mutex_);
    if (finished_ || aborted_) return;
    aborted_ = true;
    signal(lock);
}

bool BodyStream::cancelled() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
}

void BodyStream::attach(std::function<void()> on_ready) {
    std::unique_lock lock(mutex_);
    on_ready_ = std::move(on_ready);
    signalled_ = false;
    if (!buffer_.empty() || finished_ || aborted_) signal(lock);
}

BodyStream::Taken BodyStream::take(std::size_t max) {
    Taken t;
    {
        std::lock_guard lock(mutex_);
        signalled_ = false;
        if (buffer_.size() <= max) {
            t.data.swap(buffer_);
        } else {
            t.data = buffer_.substr(0, max);
            buffer_.erase(0, max);
        }
        if (buffer_.empty()) {
            t.finished = finished_;
            t.aborted = aborted_;
        }
    }
    space_.notify_all();
    return t;
}

void BodyStream::cancel() {
    {
        std::lock_guard lock(mutex_);
        cancelled_ = true;
        on_ready_ = nullptr;
        buffer_.clear();
    }
    space_.notify_all();
}

}  // namespace orcraft::server::http
