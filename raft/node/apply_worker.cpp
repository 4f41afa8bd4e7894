#include "raft/node/apply_worker.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include "raft/node/progress_log.hpp"

namespace orcraft::raft {

ApplyWorker::ApplyWorker(ApplyWorkerOptions options, StateMachine& sm, ProposalTracker& proposals,
                         AddressBook& book, SnapshotTaken on_snapshot, Failure on_failure)
    : options_(options),
      sm_(sm),
      proposals_(proposals),
      book_(book),
      on_snapshot_(std::move(on_snapshot)),
      on_failure_(std::move(on_failure)),
      skip_through_(options.applied),
      last_snapshot_(options.snapshot_index),
      applied_(options.applied) {
    thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "raft-apply");
        run();
    });
}

ApplyWorker::~ApplyWorker() {
    stop();
}

void ApplyWorker::push(Task t) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(t));
    }
    cv_.notify_one();
}

void ApplyWorker::apply(std::vector<Entry> entries) {
    if (entries.empty()) return;
    Task t;
    t.kind = Task::Kind::kEntries;
    t.entries = std::move(entries);
    push(std::move(t));
}

void ApplyWorker::install(Snapshot snapshot) {
    Task t;
    t.kind = Task::Kind::kInstall;
    t.snapshot = std::move(snapshot);
    push(std::move(t));
}

void ApplyWorker::wait_read(Index index, ReadDone done) {
    Task t;
    t.kind = Task::Kind::kRead;
    t.read_index = index;
    t.read_done = std::move(done);
    push(std::move(t));
}

void ApplyWorker::snapshot_now(std::function<void(bool, std::string)> done) {
    {
        std::lock_guard lock(mu_);
        if (!stopping_ && !failed_) {
            Task t;
            t.kind = Task::Kind::kSnapshot;
            t.snapshot_done = std::move(done);
            queue_.push_back(std::move(t));
            cv_.notify_one();
            return;
        }
    }
    done(false, failed_ ? "state machine failed" : "node stopped");
}

void ApplyWorker::snapshot_finished(Index index, bool saved) {
    std::lock_guard lock(snapshot_mu_);
    snapshot_busy_ = false;
    if (saved && index > last_snapshot_) last_snapshot_ = index;
}

void ApplyWorker::stop() {
    {
        std::lock_guard lock(mu_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void ApplyWorker::run() {
    for (;;) {
        std::deque<Task> tasks;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) break;
            tasks.swap(queue_);
        }
        for (Task& t : tasks) {
            if (failed_) {
                // A snapshot being written was abandoned when the state machine failed; its
                // report (kSnapshotWritten) needs nothing more.
                if (t.kind == Task::Kind::kRead) t.read_done(false, 0, "state machine failed");
                if (t.kind == Task::Kind::kSnapshot) t.snapshot_done(false, "state machine failed");
                continue;
            }
            try {
                switch (t.kind) {
                    case Task::Kind::kEntries:
                        apply_entries(t.entries);
                        break;
                    case Task::Kind::kInstall:
                        install_snapshot(t.snapshot);
                        break;
                    case Task::Kind::kRead:
                        reads_.emplace(t.read_index, std::move(t.read_done));
                        break;
                    case Task::Kind::kSnapshot:
                        take_snapshot(std::move(t.snapshot_done));
                        break;
                    case Task::Kind::kSnapshotWritten:
                        snapshot_written(t);
                        break;
                }
                release_reads();
            } catch (const std::exception& e) {
                fail(e.what());
            } catch (...) {
                fail("unknown exception");
            }
        }
    }
    abandon_snapshot("node stopped");
    for (auto& done : waiting_snapshots_)
        done(false, "node stopped");
    waiting_snapshots_.clear();
    for (auto& [index, done] : reads_)
        done(false, 0, "node stopped");
    reads_.clear();
}

void ApplyWorker::apply_entries(std::vector<Entry>& entries) {
    // Drop what the state machine already reflects (re-handed after a restart).
    std::size_t skip = 0;
    while (skip < entries.size() && entries[skip].index <= skip_through_)
        ++skip;
    if (skip == entries.size()) return;
    if (skip > 0)
        entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(skip));
    for (Entry& e : entries) {
        if (e.type == EntryType::kNormal && is_member_record(e.data)) {
            if (auto p = decode_member_record(e.data)) book_.add_record(*p);
            e.type = EntryType::kNoop;
            e.data.clear();
        }
    }
    if (entries.size() <= options_.max_batch_entries) {
        apply_batch(entries);
        return;
    }
    // Very long runs (a follower catching up) go in bounded pieces: a state machine that makes
    // each batch one transaction should not build a huge one.
    std::size_t from = 0;
    while (from < entries.size()) {
        std::size_t to = from, bytes = 0;
        while (to < entries.size() && to - from < options_.max_batch_entries &&
               (to == from || bytes + entries[to].data.size() <= options_.max_batch_bytes)) {
            bytes += entries[to].data.size();
            ++to;
        }
        std::vector<Entry> piece(
            std::make_move_iterator(entries.begin() + static_cast<std::ptrdiff_t>(from)),
            std::make_move_iterator(entries.begin() + static_cast<std::ptrdiff_t>(to)));
        apply_batch(piece);
        from = to;
    }
}

void ApplyWorker::apply_batch(std::vector<Entry>& batch) {
    operation_ = "apply";
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::string> results = sm_.apply_batch(batch);
    if (options_.events) {
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
        options_.events->emit([&](NodeEvents& e) { e.applied(batch.size(), took.count()); });
    }
    results.resize(batch.size());
    const Index last = batch.back().index;
    applied_.store(last, std::memory_order_release);
    proposals_.applied(batch, results);
    release_reads();
    if (snapshot_due(last)) take_snapshot({});
}

bool ApplyWorker::snapshot_due(Index last) {
    const std::uint64_t threshold = options_.snapshot_threshold;
    Index since = 0;
    {
        std::lock_guard lock(snapshot_mu_);
        if (snapshot_busy_ || threshold == 0 || last < last_snapshot_ + threshold) return false;
        since = last - last_snapshot_;
    }
    if (last < snapshot_retry_at_) return false;
    if (last_snapshot_seconds_ < options_.slow_snapshot_seconds) return true;
    if (since >= threshold * options_.snapshot_pace_limit) return true;
    const std::chrono::duration<double> idle = options_.now() - last_snapshot_end_;
    return idle.count() >= last_snapshot_seconds_ * options_.snapshot_pace;
}

void ApplyWorker::install_snapshot(const Snapshot& snapshot) {
    // The state machine must not be written from while it is replaced.
    abandon_snapshot("a received snapshot is being installed");
    operation_ = "restore";
    const SnapshotMeta& meta = snapshot.meta;
    const auto started = std::chrono::steady_clock::now();
    std::string_view bytes = snapshot.data ? std::string_view(*snapshot.data) : std::string_view{};
    auto parts = unframe_snapshot(bytes);
    if (!parts) throw std::runtime_error("received snapshot is not framed by the node runtime");
    if (!parts->book.empty()) book_.merge_encoded(parts->book);
    sm_.restore(meta, std::string(parts->state));
    skip_through_ = std::max(skip_through_, meta.index);
    applied_.store(meta.index, std::memory_order_release);
    {
        std::lock_guard lock(snapshot_mu_);
        last_snapshot_ = std::max(last_snapshot_, meta.index);
    }
    installed_.fetch_add(1);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    spdlog::info("raft {}: installed the snapshot at index {} term {} ({} bytes) in {:.3f} s",
                 options_.who, meta.index, meta.term, bytes.size(), seconds);
    if (options_.events) {
        options_.events->emit([&](NodeEvents& e) { e.snapshot_installed(bytes.size(), seconds); });
    }
    serve_waiting_snapshot();
}

void ApplyWorker::take_snapshot(SnapshotDone done) {
    if (running_) {
        // One snapshot thread at a time; this request gets the next snapshot.
        if (done) waiting_snapshots_.push_back(std::move(done));
        return;
    }
    {
        std::lock_guard lock(snapshot_mu_);
        snapshot_busy_ = true;
    }
    auto running = std::make_unique<RunningSnapshot>();
    running->id = next_snapshot_id_++;
    running->done = std::move(done);
    running->started = std::chrono::steady_clock::now();
    // Pacing measures on the injected clock, so that tests can make a snapshot look slow.
    running->paced_started = options_.now();
    running->progress =
        std::make_unique<SnapshotCreationLog>(options_.who, applied(), options_.now);
    operation_ = "snapshot";
    try {
        running->pending = sm_.begin_snapshot(running->index, *running->progress);
    } catch (const std::exception& e) {
        // A failure of the state machine (run() stops the node); the caller hears of it.
        if (running->done) running->done(false, std::string("snapshot failed: ") + e.what());
        throw;
    }
    std::string book = book_.encode();
    if (running->pending->complete()) {
        // A one-phase snapshot: taken already, finished here as it always was.
        std::shared_ptr<const std::string> framed;
        try {
            framed = running->pending->write_after(snapshot_frame_prefix(book), *running->progress);
        } catch (const std::exception& e) {
            snapshot_failed(running->index, e.what(), std::move(running->done));
            return;
        }
        running->pending.reset();
        deliver_snapshot(running->index, std::move(framed), running->started,
                         running->paced_started, options_.now(), std::move(running->done));
        return;
    }
    RunningSnapshot& r = *running;
    running_ = std::move(running);
    r.thread = std::thread([this, &r, book = std::move(book)]() mutable {
        pthread_setname_np(pthread_self(), "snapshot-write");
        // Background work: under load, the threads that answer writes come first. Raising its
        // own niceness needs no privilege; if refused, the snapshot runs at normal priority.
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
        write_snapshot(r, std::move(book));
    });
}

void ApplyWorker::write_snapshot(RunningSnapshot& running, std::string book) {
    Task t;
    t.kind = Task::Kind::kSnapshotWritten;
    t.snapshot_id = running.id;
    try {
        t.written = running.pending->write_after(snapshot_frame_prefix(book), *running.progress);
    } catch (const std::exception& e) {
        t.write_error = e.what();
    } catch (...) {
        t.write_error = "unknown exception";
    }
    // What the snapshot held (a read transaction) is released before the apply thread hears.
    {
        std::lock_guard lock(running.pending_mu);
        running.pending.reset();
    }
    t.write_end = options_.now();
    push(std::move(t));
}

void ApplyWorker::snapshot_written(Task& t) {
    // A report of an abandoned snapshot arrives after its abandonment: nothing left to do.
    if (!running_ || running_->id != t.snapshot_id) return;
    std::unique_ptr<RunningSnapshot> running = std::move(running_);
    running->thread.join();
    if (!t.write_error.empty()) {
        snapshot_failed(running->index, t.write_error, std::move(running->done));
    } else {
        deliver_snapshot(running->index, std::move(t.written), running->started,
                         running->paced_started, t.write_end, std::move(running->done));
    }
    serve_waiting_snapshot();
}

void ApplyWorker::snapshot_failed(Index index, const std::string& why, SnapshotDone done) {
    snapshot_retry_at_ = index + options_.snapshot_threshold;
    {
        std::lock_guard lock(snapshot_mu_);
        snapshot_busy_ = false;
    }
    spdlog::warn(
        "raft {}: writing the snapshot at index {} failed: {}; the next automatic one is tried "
        "from index {}",
        options_.who, index, why, snapshot_retry_at_);
    if (done) done(false, "snapshot failed: " + why);
}

void ApplyWorker::deliver_snapshot(Index index, std::shared_ptr<const std::string> framed,
                                   std::chrono::steady_clock::time_point started,
                                   std::chrono::steady_clock::time_point paced_started,
                                   std::chrono::steady_clock::time_point paced_end,
                                   SnapshotDone done) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    last_snapshot_seconds_ = std::chrono::duration<double>(paced_end - paced_started).count();
    last_snapshot_end_ = paced_end;
    snapshot_retry_at_ = 0;
    on_snapshot_(index, std::move(framed), seconds, std::move(done));
}

void ApplyWorker::abandon_snapshot(const std::string& why) {
    if (!running_) return;
    std::unique_ptr<RunningSnapshot> running = std::move(running_);
    {
        std::lock_guard lock(running->pending_mu);
        if (running->pending) running->pending->cancel();
    }
    running->thread.join();
    {
        std::lock_guard lock(snapshot_mu_);
        snapshot_busy_ = false;
    }
    spdlog::info("raft {}: abandoned the snapshot being written at index {}: {}", options_.who,
                 running->index, why);
    if (running->done) running->done(false, "snapshot abandoned: " + why);
}

void ApplyWorker::serve_waiting_snapshot() {
    if (running_ || waiting_snapshots_.empty()) return;
    SnapshotDone done = std::move(waiting_snapshots_.front());
    waiting_snapshots_.pop_front();
    take_snapshot(std::move(done));
}

void ApplyWorker::release_reads() {
    const Index applied = applied_.load(std::memory_order_relaxed);
    while (!reads_.empty() && reads_.begin()->first <= applied) {
        auto node = reads_.extract(reads_.begin());
        node.mapped()(true, node.key(), {});
    }
}

void ApplyWorker::fail(const std::string& why) {
    failed_ = true;
    abandon_snapshot("the state machine failed");
    for (auto& done : waiting_snapshots_)
        done(false, "state machine failed");
    waiting_snapshots_.clear();
    if (options_.events) {
        const std::string_view operation = operation_;
        options_.events->emit([operation](NodeEvents& e) { e.state_machine_failed(operation); });
    }
    spdlog::critical(
        "raft: the state machine failed at applied index {}: {}; the node stops applying",
        applied_.load(), why);
    for (auto& [index, done] : reads_)
        done(false, 0, "state machine failed: " + why);
    reads_.clear();
    if (on_failure_) on_failure_(why);
}

}  // namespace orcraft::raft
