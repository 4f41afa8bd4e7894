// Reads the latest snapshot's bytes back from disk for the core (raft::Config::load_snapshot)
// on a thread of its own, so that the loop, and with it heartbeats and replication, never waits
// for a read whose length grows with the snapshot.
//
// The core asks on its thread whenever a member needs the snapshot. The first ask starts the
// read and gets nullptr ("not now"); the core asks again at that member's next turn (its next
// answer or heartbeat) and gets the bytes once the read is done. Bytes that a transfer still
// holds are handed out again without another read, so members that need the same snapshot at
// the same time share one copy; none is kept once no transfer holds it.
//
// Threading: get() and the completion run on the loop thread; the read runs on the reader
// thread. stop() joins the reader; call it before the store the read uses goes away.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "raft/core/types.hpp"

namespace orcraft::raft {

class SnapshotReadBack {
  public:
    // Reads the bytes `meta` describes (any thread), nullptr if they cannot be had.
    using Read = std::function<std::shared_ptr<const std::string>(const SnapshotMeta& meta)>;
    // Runs a function on the loop thread; false when the loop no longer takes any.
    using Post = std::function<bool(std::function<void()>)>;

    SnapshotReadBack(Read read, Post post, std::string who);
    ~SnapshotReadBack();
    SnapshotReadBack(const SnapshotReadBack&) = delete;
    SnapshotReadBack& operator=(const SnapshotReadBack&) = delete;

    // The bytes of the snapshot `meta` describes when they are at hand; otherwise nullptr,
    // after starting a read of them unless one is running.
    std::shared_ptr<const std::string> get(const SnapshotMeta& meta);
    // Reads started so far (for tests and logs).
    int reads_started() const { return reads_started_; }
    void stop();

  private:
    void finished(const SnapshotMeta& meta, std::shared_ptr<const std::string> data,
                  double seconds);

    Read read_;
    Post post_;
    std::string who_;
    std::thread reader_;
    bool running_ = false;
    int reads_started_ = 0;
    // A completed read that no caller took yet.
    SnapshotMeta done_meta_;
    std::shared_ptr<const std::string> done_;
    // The bytes last handed out, for as long as some transfer holds them.
    SnapshotMeta shared_meta_;
    std::weak_ptr<const std::string> shared_;
};

}  // namespace orcraft::raft
