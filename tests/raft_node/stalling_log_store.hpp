// A LogStore that wraps the real one and can be told to hold every write until released: a
// disk that stops answering, for the runtime's disk-stall handling.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>

#include "raft/storage/log_store.hpp"

namespace orcraft::raft::testing {

class DiskGate {
  public:
    void stall() {
        std::lock_guard lock(mu_);
        stalled_ = true;
    }
    void release() {
        {
            std::lock_guard lock(mu_);
            stalled_ = false;
        }
        cv_.notify_all();
    }
    void pass() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !stalled_; });
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool stalled_ = false;
};

class StallingLogStore : public LogStore {
  public:
    StallingLogStore(std::unique_ptr<LogStore> inner, std::shared_ptr<DiskGate> gate)
        : inner_(std::move(inner)), gate_(std::move(gate)) {}

    Restored restored() const override { return inner_->restored(); }
    void release_restored() override { inner_->release_restored(); }
    std::shared_ptr<const std::string> read_snapshot(const SnapshotMeta& meta) const override {
        return inner_->read_snapshot(meta);
    }
    std::vector<Entry> read_entries(Index lo, Index hi, std::size_t max_bytes) const override {
        return inner_->read_entries(lo, hi, max_bytes);
    }
    void write(const std::optional<Snapshot>& snapshot, const std::vector<Entry>& entries,
               const std::optional<HardState>& hard_state) override {
        gate_->pass();
        inner_->write(snapshot, entries, hard_state);
    }
    void save_snapshot(const Snapshot& snapshot) override {
        gate_->pass();
        inner_->save_snapshot(snapshot);
    }
    Index first_index() const override { return inner_->first_index(); }
    Index last_index() const override { return inner_->last_index(); }
    LogStoreStats stats() const override { return inner_->stats(); }

  private:
    std::unique_ptr<LogStore> inner_;
    std::shared_ptr<DiskGate> gate_;
};

}  // namespace orcraft::raft::testing
