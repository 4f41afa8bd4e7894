#include "raft/node/apply_worker.hpp"

#include <spdlog/spdlog.h>

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
    thread_ = std::thread([this] { run(); });
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
    Task t{Task::Kind::kEntries, std::move(entries), {}, 0, {}, {}};
    push(std::move(t));
}

void ApplyWorker::install(Snapshot snapshot) {
    Task t{Task::Kind::kInstall, {}, std::move(snapshot), 0, {}, {}};
    push(std::move(t));
}

void ApplyWorker::wait_read(Index index, ReadDone done) {
    Task t{Task::Kind::kRead, {}, {}, index, std::move(done), {}};
    push(std::move(t));
}

void ApplyWorker::snapshot_now(std::function<void(bool, std::string)> done) {
    {
        std::lock_guard lock(mu_);
        if (!stopping_ && !failed_) {
            queue_.push_back(Task{Task::Kind::kSnapshot, {}, {}, 0, {}, std::move(done)});
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
                }
                release_reads();
            } catch (const std::exception& e) {
                fail(e.what());
            } catch (...) {
                fail("unknown exception");
            }
        }
    }
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
    if (last_snapshot_seconds_ < options_.slow_snapshot_seconds) return true;
    if (since >= threshold * options_.snapshot_pace_limit) return true;
    const std::chrono::duration<double> idle = options_.now() - last_snapshot_end_;
    return idle.count() >= last_snapshot_seconds_ * options_.snapshot_pace;
}

void ApplyWorker::install_snapshot(const Snapshot& snapshot) {
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
}

void ApplyWorker::take_snapshot(std::function<void(bool, std::string)> done) {
    {
        std::lock_guard lock(snapshot_mu_);
        snapshot_busy_ = true;
    }
    const auto started = std::chrono::steady_clock::now();
    const auto paced_start = options_.now();
    Index index = 0;
    operation_ = "snapshot";
    SnapshotCreationLog progress(options_.who, applied(), options_.now);
    std::shared_ptr<const std::string> state = sm_.snapshot_with_progress(index, progress);
    auto framed = std::make_shared<const std::string>(
        frame_snapshot(book_.encode(), state ? *state : std::string()));
    state.reset();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // Pacing measures on the injected clock, so that tests can make a snapshot look slow.
    last_snapshot_seconds_ = std::chrono::duration<double>(options_.now() - paced_start).count();
    last_snapshot_end_ = options_.now();
    on_snapshot_(index, std::move(framed), seconds, std::move(done));
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
