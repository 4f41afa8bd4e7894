// The apply thread: the only thread that calls the StateMachine. The loop thread hands it, in
// log order, batches of committed entries, received snapshots to install, and linearizable
// reads waiting for an index; it completes proposals (through the ProposalTracker) and reads
// as soon as their entries are applied, and takes a snapshot once `snapshot_threshold` entries
// were applied since the last one (later when snapshots are slow: see the pacing options), or
// when asked.
//
// Snapshots run in two phases (StateMachine::begin_snapshot): the apply thread begins one
// between two batches (cheap: the state machine pins the state at the applied index), and a
// snapshot thread then runs PendingSnapshot::write() while the apply thread keeps applying.
// There is at most one snapshot thread at a time: no automatic snapshot starts while one is
// written, and a snapshot_now() request waits for the running one to end. When the bytes are
// ready the apply thread hands them to `on_snapshot`, as a one-phase snapshot always was. A
// write() that throws gives up that snapshot only: it is logged, a snapshot_now() caller gets
// the error, and the next automatic one is tried one threshold of entries later. Installing a
// received snapshot and stop() first cancel a running write() and wait for it to return; its
// result is dropped. A state machine whose begin_snapshot() takes the whole snapshot (the
// default) is finished on the apply thread at once, without a snapshot thread.
//
// Entries at or below the state machine's applied index at start are skipped (they were applied
// before a restart). Member records (see address_book.hpp) reach the state machine as kNoop
// markers. A state machine that throws stops the thread: everything after it stays unapplied,
// and `on_failure` reports why (on the apply thread).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "raft/core/types.hpp"
#include "raft/node/address_book.hpp"
#include "raft/node/node_events.hpp"
#include "raft/node/proposals.hpp"
#include "raft/node/state_machine.hpp"

namespace orcraft::raft {

struct ApplyWorkerOptions {
    std::uint64_t snapshot_threshold = 8192;
    Index applied = 0;         // the state machine's applied index at start
    Index snapshot_index = 0;  // the latest snapshot's index at start
    std::size_t max_batch_entries = 4096;
    std::size_t max_batch_bytes = 16 * 1024 * 1024;
    std::string who;               // names the node in progress lines
    EventRelay* events = nullptr;  // applies, installs and failures are reported there
    // Pacing of automatic snapshots whose state machine is slow to snapshot (a large database):
    // once a snapshot took at least `slow_snapshot_seconds`, the next automatic one waits, past
    // the threshold, until `snapshot_pace` times that duration has gone by since it ended, so
    // that snapshots (measured from begin to the end of the write) take at most about
    // 1/snapshot_pace of the time, and of the disk and CPU time; but never past
    // `snapshot_pace_limit` thresholds' worth of entries, which bounds the log kept on disk and
    // replayed at a restart (memory holds only recent settled entries, whatever the log's
    // length: see Config::settled_cache_bytes). Fast snapshots are taken at the threshold.
    double slow_snapshot_seconds = 0.05;
    double snapshot_pace = 10;
    std::uint64_t snapshot_pace_limit = 16;
    // The clock of the snapshot progress lines and of the pacing (tests drive it).
    std::function<std::chrono::steady_clock::time_point()> now = [] {
        return std::chrono::steady_clock::now();
    };
};

class ApplyWorker {
  public:
    using ReadDone = std::function<void(bool ok, Index index, std::string error)>;
    // A snapshot taken at `index`: framed bytes (address book + state), size, seconds taken.
    // `done` is the snapshot_now() callback, if the snapshot was asked for.
    using SnapshotTaken =
        std::function<void(Index index, std::shared_ptr<const std::string> data, double seconds,
                           std::function<void(bool, std::string)> done)>;
    using Failure = std::function<void(const std::string& why)>;

    ApplyWorker(ApplyWorkerOptions options, StateMachine& sm, ProposalTracker& proposals,
                AddressBook& book, SnapshotTaken on_snapshot, Failure on_failure);
    ~ApplyWorker();
    ApplyWorker(const ApplyWorker&) = delete;
    ApplyWorker& operator=(const ApplyWorker&) = delete;

    void apply(std::vector<Entry> entries);
    void install(Snapshot snapshot);
    // `done(true, index)` once `index` is applied.
    void wait_read(Index index, ReadDone done);
    // Takes a snapshot at the next opportunity, whatever the threshold says.
    void snapshot_now(std::function<void(bool, std::string)> done);
    // The loop finished with a snapshot this worker took (compacted and saved, or dropped):
    // automatic snapshots may be taken again.
    void snapshot_finished(Index index, bool saved);

    Index applied() const { return applied_.load(std::memory_order_acquire); }
    std::uint64_t snapshots_installed() const { return installed_.load(); }
    bool failed() const { return failed_.load(); }

    // Applies what is queued (unless failed), abandons a snapshot being written, fails the
    // waiting reads and snapshot requests, and joins the threads.
    void stop();

  private:
    using SnapshotDone = std::function<void(bool, std::string)>;
    struct Task {
        enum class Kind : std::uint8_t {
            kEntries,
            kInstall,
            kRead,
            kSnapshot,
            kSnapshotWritten,  // the snapshot thread finished (written or failed)
        } kind = Kind::kEntries;
        std::vector<Entry> entries;
        Snapshot snapshot;
        Index read_index = 0;
        ReadDone read_done;
        SnapshotDone snapshot_done;
        // kSnapshotWritten: which snapshot, and its framed bytes or why it failed.
        std::uint64_t snapshot_id = 0;
        std::shared_ptr<const std::string> written;
        std::string write_error;
        std::chrono::steady_clock::time_point write_end{};  // on the injected clock
    };

    // A snapshot begun on the apply thread and being written on the snapshot thread.
    struct RunningSnapshot {
        std::uint64_t id = 0;
        Index index = 0;
        SnapshotDone done;
        std::chrono::steady_clock::time_point started{};        // real time, for `seconds`
        std::chrono::steady_clock::time_point paced_started{};  // injected clock, for pacing
        // Released by the snapshot thread once written; pending_mu keeps cancel() off a
        // released one.
        std::mutex pending_mu;
        std::unique_ptr<StateMachine::PendingSnapshot> pending;
        std::unique_ptr<StateMachine::SnapshotProgress> progress;
        std::thread thread;
    };

    void push(Task t);
    void run();
    void apply_entries(std::vector<Entry>& entries);
    void apply_batch(std::vector<Entry>& batch);
    // Whether an automatic snapshot is due after applying up to `last` (threshold and pacing).
    bool snapshot_due(Index last);
    void install_snapshot(const Snapshot& snapshot);
    // Begins a snapshot (or queues the request behind the one being written).
    void take_snapshot(SnapshotDone done);
    // The snapshot thread's body: writes, frames, and reports back through the queue.
    void write_snapshot(RunningSnapshot& running, std::string book);
    // Handles the snapshot thread's report (apply thread).
    void snapshot_written(Task& t);
    // A write that threw: logged, the request failed, the next automatic one a threshold later.
    void snapshot_failed(Index index, const std::string& why, SnapshotDone done);
    // Hands a finished snapshot to on_snapshot_ and updates the pacing state.
    void deliver_snapshot(Index index, std::shared_ptr<const std::string> framed,
                          std::chrono::steady_clock::time_point started,
                          std::chrono::steady_clock::time_point paced_started,
                          std::chrono::steady_clock::time_point paced_end, SnapshotDone done);
    // Cancels the snapshot being written, waits for its thread, and fails its request.
    void abandon_snapshot(const std::string& why);
    // Starts the next snapshot_now() request that waited for a running snapshot.
    void serve_waiting_snapshot();
    void release_reads();
    void fail(const std::string& why);

    ApplyWorkerOptions options_;
    StateMachine& sm_;
    ProposalTracker& proposals_;
    AddressBook& book_;
    SnapshotTaken on_snapshot_;
    Failure on_failure_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Task> queue_;
    bool stopping_ = false;

    // Apply thread only.
    Index skip_through_;  // entries at or below it were applied before the start
    Index last_snapshot_;
    double last_snapshot_seconds_ = 0;  // how long the last snapshot taken here took
    std::chrono::steady_clock::time_point last_snapshot_end_{};
    bool snapshot_busy_ = false;
    Index snapshot_retry_at_ = 0;  // after a failed snapshot, no automatic one before this index
    std::multimap<Index, ReadDone> reads_;
    std::unique_ptr<RunningSnapshot> running_;  // the snapshot being written, if any
    std::uint64_t next_snapshot_id_ = 1;
    std::deque<SnapshotDone> waiting_snapshots_;  // snapshot_now() requests behind running_

    std::atomic<Index> applied_;
    std::atomic<std::uint64_t> installed_{0};
    std::atomic<bool> failed_{false};
    // What the state machine was doing, for NodeEvents::state_machine_failed (apply thread).
    const char* operation_ = "apply";
    std::mutex snapshot_mu_;  // guards snapshot_busy_/last_snapshot_ against snapshot_finished()
    std::thread thread_;
};

}  // namespace orcraft::raft
