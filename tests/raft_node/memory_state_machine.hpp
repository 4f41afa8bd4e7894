// A state machine for in-process runtime tests: an in-memory list of the values applied, in
// log order, with the applied index. Snapshots are the values joined by newlines.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "raft/node/state_machine.hpp"

namespace orcraft::raft::testing {

class MemoryStateMachine : public StateMachine {
  public:
    Index applied_index() override {
        std::lock_guard lock(mu_);
        return applied_;
    }
    std::string apply(const Entry& entry) override {
        std::lock_guard lock(mu_);
        values_.push_back(entry.data);
        applied_ = entry.index;
        return "applied at " + std::to_string(entry.index);
    }
    void apply_marker(Index index, Term) override {
        std::lock_guard lock(mu_);
        applied_ = index;
    }
    std::shared_ptr<const std::string> snapshot(Index& index) override {
        std::lock_guard lock(mu_);
        index = applied_;
        std::string out;
        for (const auto& v : values_)
            out += v + "\n";
        return std::make_shared<const std::string>(std::move(out));
    }
    void restore(const SnapshotMeta& meta, const std::string& data) override {
        std::lock_guard lock(mu_);
        values_.clear();
        std::size_t pos = 0;
        while (pos < data.size()) {
            auto nl = data.find('\n', pos);
            values_.push_back(data.substr(pos, nl - pos));
            pos = nl + 1;
        }
        applied_ = meta.index;
        ++restores_;
    }

    std::vector<std::string> values() const {
        std::lock_guard lock(mu_);
        return values_;
    }
    int restores() const {
        std::lock_guard lock(mu_);
        return restores_;
    }

  private:
    mutable std::mutex mu_;
    std::vector<std::string> values_;
    Index applied_ = 0;
    int restores_ = 0;
};

}  // namespace orcraft::raft::testing
