#include "raft/node/snapshot_read_back.hpp"

#include <pthread.h>

#include <chrono>

#include <spdlog/spdlog.h>

namespace orcraft::raft {

SnapshotReadBack::SnapshotReadBack(Read read, Post post, std::string who)
    : read_(std::move(read)), post_(std::move(post)), who_(std::move(who)) {}

SnapshotReadBack::~SnapshotReadBack() {
    stop();
}

void SnapshotReadBack::stop() {
    if (reader_.joinable()) reader_.join();
}

std::shared_ptr<const std::string> SnapshotReadBack::get(const SnapshotMeta& meta) {
    if (shared_meta_ == meta) {
        if (auto held = shared_.lock()) return held;
    }
    if (done_ && done_meta_ == meta) {
        shared_meta_ = meta;
        shared_ = done_;
        return std::move(done_);
    }
    if (running_) return nullptr;
    // The previous reader has posted its completion, which joined it; join is then immediate.
    if (reader_.joinable()) reader_.join();
    running_ = true;
    ++reads_started_;
    done_.reset();
    reader_ = std::thread([this, meta] {
        pthread_setname_np(pthread_self(), "snapshot-read");
        const auto started = std::chrono::steady_clock::now();
        auto data = read_(meta);
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
        post_([this, meta, data = std::move(data), seconds = took.count()]() mutable {
            finished(meta, std::move(data), seconds);
        });
    });
    return nullptr;
}

void SnapshotReadBack::finished(const SnapshotMeta& meta, std::shared_ptr<const std::string> data,
                                double seconds) {
    running_ = false;
    if (!data) return;  // replaced by a newer snapshot, or unreadable (the store logged why)
    spdlog::info(
        "raft {}: read the snapshot at index {} back from disk ({} bytes in {:.3f} s) to send "
        "it to a member",
        who_, meta.index, data->size(), seconds);
    done_meta_ = meta;
    done_ = std::move(data);
}

}  // namespace orcraft::raft
