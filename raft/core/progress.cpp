#include "raft/core/progress.hpp"

#include <algorithm>

namespace orcraft::raft {

void Inflights::add(Index last, std::size_t bytes) {
    items_.push_back({last, bytes});
    bytes_ += bytes;
}

void Inflights::free_le(Index index) {
    while (!items_.empty() && items_.front().last <= index) {
        bytes_ -= items_.front().bytes;
        items_.pop_front();
    }
}

void Inflights::free_first() {
    if (items_.empty()) return;
    bytes_ -= items_.front().bytes;
    items_.pop_front();
}

void Inflights::reset() {
    items_.clear();
    bytes_ = 0;
}

bool Progress::paused() const {
    switch (state) {
        case ProgressState::kProbe:
            return probe_sent;
        case ProgressState::kReplicate:
            return inflights.full();
        case ProgressState::kSnapshot:
            return true;
    }
    return true;
}

void Progress::become_probe() {
    if (state == ProgressState::kSnapshot) {
        next = std::max(match + 1, snap.meta.index + 1);
    } else {
        next = match + 1;
    }
    state = ProgressState::kProbe;
    probe_sent = false;
    inflights.reset();
    snap = {};
}

void Progress::become_replicate() {
    state = ProgressState::kReplicate;
    next = match + 1;
    probe_sent = false;
    inflights.reset();
    snap = {};
}

void Progress::become_snapshot(const Snapshot& s) {
    state = ProgressState::kSnapshot;
    probe_sent = false;
    inflights.reset();
    snap = s;
    snap_acked = 0;
    snap_sent = 0;
    snap_idle = 0;
}

bool Progress::maybe_update(Index index) {
    bool updated = false;
    if (match < index) {
        match = index;
        updated = true;
        probe_sent = false;
    }
    next = std::max(next, index + 1);
    return updated;
}

bool Progress::maybe_decrease(Index rejected, Index hint) {
    if (state == ProgressState::kReplicate) {
        if (rejected <= match) return false;
        next = std::max(match + 1, std::min(rejected, hint));
        return true;
    }
    if (next - 1 != rejected) return false;
    next = std::max(match + 1, std::min(rejected, hint));
    probe_sent = false;
    return true;
}

}  // namespace orcraft::raft
