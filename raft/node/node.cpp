// The node runtime: start, the public calls (any thread), the inbox, failure and stop. The
// loop thread's work is in node_loop.cpp and node_leadership.cpp; see node_impl.hpp.
#include "raft/node/node.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <future>
#include <random>
#include <stdexcept>

#include "raft/node/bootstrap.hpp"
#include "raft/node/node_impl.hpp"

namespace orcraft::raft {

namespace detail {

std::string describe(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "unknown error";
    }
}

std::string id_list(const AddressBook& book, const std::vector<NodeId>& ids) {
    std::string out;
    for (const PeerAddress& p : book.lookup(ids)) {
        if (!out.empty()) out += ", ";
        out += p.identity.empty() ? fmt::format("{:016x}", p.id) : p.identity;
    }
    return out;
}

NodeImpl::NodeImpl(const NodeOptions& options, std::shared_ptr<StateMachine> sm)
    : options_(options),
      sm_(std::move(sm)),
      receive_log_(options.transport.identity),
      replication_log_(options.transport.identity) {
    if (!sm_) throw std::invalid_argument("raft node: no state machine");
    if (options_.tick_ms <= 0) throw std::invalid_argument("raft node: tick_ms must be positive");
    id_ = options_.transport.self != kNoNode ? options_.transport.self
                                             : node_id_for(options_.transport.identity);
    options_.transport.self = id_;
    for (PeerAddress& p : options_.bootstrap) {
        if (p.id == kNoNode) p.id = node_id_for(p.identity);
        book_.add(p);
    }

    LogStoreOptions store_options;
    store_options.trailing_entries = options_.trailing_entries;
    store_options.sync = options_.sync;
    store_ = options_.open_log_store ? options_.open_log_store(options_.data_dir, store_options)
                                     : LogStore::open(options_.data_dir, store_options);
    Restored restored = store_->restored();

    if (is_empty_store(restored) && !options_.bootstrap.empty()) {
        restored = bootstrap_log(*store_, options_.bootstrap);
        std::string voters;
        for (const PeerAddress& p : options_.bootstrap)
            voters += (voters.empty() ? "" : ", ") + p.identity;
        spdlog::info("raft {}: bootstrapping a new cluster with voters [{}]", who(), voters);
    }

    const SnapshotMeta meta = restored.snapshot.meta;
    std::string_view snapshot_bytes =
        restored.snapshot.data ? std::string_view(*restored.snapshot.data) : std::string_view{};
    auto parts = unframe_snapshot(snapshot_bytes);
    if (!parts) {
        throw StorageError("raft node: the snapshot in " + options_.data_dir +
                           " was not written by the node runtime");
    }
    if (!parts->book.empty()) book_.merge_encoded(parts->book);
    for (const Entry& e : restored.entries) {
        if (e.type == EntryType::kNormal && is_member_record(e.data)) {
            if (auto p = decode_member_record(e.data)) book_.add_record(*p);
        }
    }

    Index sm_applied = sm_->applied_index();
    if (sm_applied < meta.index) {
        spdlog::info(
            "raft {}: state machine at index {} is behind the snapshot at index {}; "
            "restoring it from the snapshot",
            who(), sm_applied, meta.index);
        sm_->restore(meta, std::string(parts->state));
        sm_applied = meta.index;
    }
    restored.applied = sm_applied;
    durable_hs_ = restored.hard_state;
    last_handed_ = restored.entries.empty() ? meta.index : restored.entries.back().index;

    Config config = options_.core;
    config.id = id_;
    config.defer_commit_notices = options_.commit_notice_delay_ms > 0;
    config.seed =
        std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32);
    // The latest snapshot's bytes stay on disk, not in memory: a member that needs them gets
    // them read back from the snapshot file (rare; a follower far behind, or a new one), on a
    // thread of its own.
    snapshot_read_back_ = std::make_unique<SnapshotReadBack>(
        [this](const SnapshotMeta& m) { return store_->read_snapshot(m); },
        [this](std::function<void()> fn) { return post(std::move(fn)); }, who());
    config.load_snapshot = [this](const SnapshotMeta& m) { return snapshot_read_back_->get(m); };
    // Settled entries leave memory too, beyond the most recent ones; a member that is further
    // behind gets them read back from the segment files.
    config.load_entries = [this](Index lo, Index hi, std::size_t max_bytes) {
        std::vector<Entry> entries = store_->read_entries(lo, hi, max_bytes);
        entries_read_back_ += entries.size();
        const auto now = Clock::now();
        if (!entries.empty() && now >= next_read_back_log_) {
            next_read_back_log_ = now + std::chrono::seconds(10);
            spdlog::info(
                "raft {}: reading entries back from disk for a member that is behind (from "
                "index {}; {} entries read back since start)",
                who(), lo, entries_read_back_);
        }
        return entries;
    };
    if (auto why = config.validate(); !why.empty()) {
        throw std::invalid_argument("raft node: " + why);
    }
    core_ = std::make_unique<Core>(config, std::move(restored));
    if (meta.index > 0) core_->snapshot_persisted(meta.index);
    store_->release_restored();
    role_ = core_->role();
    term_ = core_->term();
    conf_ = core_->conf();
    spdlog::info(
        "raft {}: node id {:016x} starts at term {}, last index {}, commit {}, applied {}, "
        "snapshot {}",
        who(), id_, core_->term(), core_->last_index(), core_->commit(), sm_applied, meta.index);

    uv_loop_init(&loop_);
    loop_.data = this;
    uv_async_init(&loop_, &async_, &NodeImpl::on_async);
    async_.data = this;
    uv_timer_init(&loop_, &tick_timer_);
    tick_timer_.data = this;
    uv_timer_init(&loop_, &notice_timer_);
    notice_timer_.data = this;
    uv_check_init(&loop_, &check_);
    check_.data = this;

    ApplyWorkerOptions apply_options;
    apply_options.snapshot_threshold = options_.snapshot_threshold;
    apply_options.applied = sm_applied;
    apply_options.snapshot_index = meta.index;
    apply_options.who = who();
    apply_options.events = &events_;
    apply_ = std::make_unique<ApplyWorker>(
        apply_options, *sm_, proposals_, book_,
        [this](Index index, std::shared_ptr<const std::string> data, double seconds, Done done) {
            auto d = std::make_shared<Done>(std::move(done));
            if (!post([this, index, data, seconds, d] {
                    on_snapshot_taken(index, data, seconds, std::move(*d));
                })) {
                if (*d) (*d)(false, "node stopped");
            }
        },
        [this](const std::string& why) {
            post([this, why] { halt("state machine failed: " + why); });
        });

    try {
        transport_ = Transport::create(
            &loop_, options_.transport, [this](Message m) { on_message(std::move(m)); },
            [this](const PeerInfo& info) { on_peer(info); });
    } catch (...) {
        uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&tick_timer_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&notice_timer_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
        uv_run(&loop_, UV_RUN_DEFAULT);
        uv_loop_close(&loop_);
        apply_->stop();
        stopped_ = true;
        throw;
    }
    disk_ = std::make_unique<DiskWorker>(*store_,
                                         [this](std::function<void()> fn) { post(std::move(fn)); });
    refresh_peers();

    // A lone voter need not wait for an election timeout: nobody else can lead.
    if (conf_.voters.size() == 1 && conf_.voters.front() == id_) core_->campaign();
}

NodeImpl::~NodeImpl() {
    stop(0);
}

void NodeImpl::start_threads() {
    uv_timer_start(
        &tick_timer_, [](uv_timer_t* t) { static_cast<NodeImpl*>(t->data)->on_tick(); },
        static_cast<std::uint64_t>(options_.tick_ms), static_cast<std::uint64_t>(options_.tick_ms));
    uv_check_start(&check_, [](uv_check_t* c) { static_cast<NodeImpl*>(c->data)->pump(); });
    publish();
    post([this] { pump(); });
    loop_thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "raft-loop");
        // The transport writes to peer sockets from this thread; a write to a peer that reset
        // its connection raises SIGPIPE, whose default action ends the process. Blocked here
        // (this thread's mask only), it stays pending and the write fails with EPIPE, which the
        // transport handles by redialling, whatever the embedding program does with signals.
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        uv_run(&loop_, UV_RUN_DEFAULT);
    });
}

// ---- any thread ----

bool NodeImpl::post(std::function<void()> fn) {
    std::lock_guard lock(inbox_mu_);
    if (!accepting_) return false;
    const bool wake = inbox_empty();
    tasks_.push_back(std::move(fn));
    // Under the lock: the loop closes the handle only after it set accepting_ to false.
    if (wake) uv_async_send(&async_);
    return true;
}

void NodeImpl::on_async(uv_async_t* handle) {
    static_cast<NodeImpl*>(handle->data)->drain_inbox();
}

void NodeImpl::propose(std::string data, std::function<void(ProposeOutcome)> done) {
    if (is_member_record(data)) {
        done(ProposeOutcome{ProposeError::kRejected,
                            "the bytes start with the runtime's reserved member-record prefix",
                            0,
                            {}});
        return;
    }
    {
        std::lock_guard lock(inbox_mu_);
        if (accepting_) {
            const bool wake = inbox_empty();
            proposals_in_.push_back({std::move(data), std::move(done)});
            if (wake) uv_async_send(&async_);
            return;
        }
    }
    done(ProposeOutcome{ProposeError::kStopped, "node stopped", 0, {}});
}

void NodeImpl::read_index(std::function<void(bool, Index, std::string)> done) {
    {
        std::lock_guard lock(inbox_mu_);
        if (accepting_) {
            const bool wake = inbox_empty();
            reads_in_.push_back(std::move(done));
            if (wake) uv_async_send(&async_);
            return;
        }
    }
    done(false, 0, "node stopped");
}

void NodeImpl::transfer_leadership(NodeId to, Done done) {
    auto d = std::make_shared<Done>(std::move(done));
    if (!post([this, to, d] { start_transfer(to, std::move(*d)); })) (*d)(false, "node stopped");
}

void NodeImpl::add_voter(const PeerAddress& peer, Done done) {
    PeerAddress p = peer;
    if (p.id == kNoNode) p.id = node_id_for(p.identity);
    auto d = std::make_shared<Done>(std::move(done));
    bool posted = post([this, p, d] {
        if (p.id == id_) {
            (*d)(false, "this node is already a member");
            return;
        }
        if (core_->conf().is_voter(p.id)) {
            (*d)(true, p.identity + " is already a voter");
            return;
        }
        if (book_.add(p)) peers_dirty_ = true;
        MemberChange change;
        if (!core_->conf().is_learner(p.id)) {
            change.steps.push_back({ConfChangeType::kAddLearner, p.id});
        }
        change.steps.push_back({ConfChangeType::kPromoteLearner, p.id});
        change.what = "add voter " + p.identity;
        change.done = std::move(*d);
        // The member record goes first, so that every member learns the address from the log
        // before the new member appears in a configuration.
        if (role_ == Role::kLeader && !member_change_) {
            ProposeResult r = core_->propose(encode_member_record(p));
            if (r.status != Status::kOk) {
                change.done(false,
                            std::string("cannot add the member record: ") + to_string(r.status));
                return;
            }
        }
        start_member_change(std::move(change));
    });
    if (!posted) (*d)(false, "node stopped");
}

void NodeImpl::remove_member(NodeId id, Done done) {
    auto d = std::make_shared<Done>(std::move(done));
    bool posted = post([this, id, d] {
        if (!core_->conf().is_member(id)) {
            (*d)(true, fmt::format("{:016x} is not a member", id));
            return;
        }
        MemberChange change;
        change.steps.push_back({ConfChangeType::kRemoveNode, id});
        change.what = "remove member " + id_list(book_, {id});
        change.done = std::move(*d);
        start_member_change(std::move(change));
    });
    if (!posted) (*d)(false, "node stopped");
}

void NodeImpl::snapshot_now(Done done) {
    apply_->snapshot_now(std::move(done));
}

void NodeImpl::on_state_change(std::function<void(const NodeState&)> observer) {
    auto o = std::make_shared<std::function<void(const NodeState&)>>(std::move(observer));
    post([this, o] { observers_.push_back(std::move(*o)); });
}

NodeState NodeImpl::state() const {
    NodeState s;
    {
        std::lock_guard lock(state_mu_);
        s = shared_;
    }
    s.applied = apply_->applied();
    if (s.role == Role::kLeader) {
        s.since_leader_contact = Millis(0);
    } else if (const auto ns = leader_contact_ns_.load(std::memory_order_relaxed); ns != 0) {
        s.since_leader_contact = std::chrono::duration_cast<Millis>(
            Clock::now().time_since_epoch() - Clock::duration(ns));
    }
    s.snapshots_installed = apply_->snapshots_installed();
    if (disk_) {
        LogStoreStats st = disk_->stats();
        s.syncs = st.syncs;
        s.disk_batches = st.batches;
    }
    return s;
}

// ---- loop thread: failure and shutdown ----

void NodeImpl::halt(const std::string& why) {
    if (halted_) return;
    halted_ = true;
    spdlog::critical("raft {}: node stops participating: {}", who(), why);
    {
        std::lock_guard lock(state_mu_);
        shared_.error = why;
    }
    proposals_.fail_all(ProposeError::kStopped, why);
    fail_reads(why);
    if (transfer_) {
        auto t = std::move(*transfer_);
        transfer_.reset();
        t.done(false, why);
    }
    if (member_change_) finish_member_change(false, why);
    notify_observers();
}

void NodeImpl::shutdown_loop() {
    stopping_ = true;
    proposals_.fail_all(ProposeError::kStopped, "node stopping");
    fail_reads("node stopping");
    if (transfer_) {
        auto t = std::move(*transfer_);
        transfer_.reset();
        t.done(false, "node stopping");
    }
    if (member_change_) finish_member_change(false, "node stopping");
    uv_timer_stop(&tick_timer_);
    uv_timer_stop(&notice_timer_);
    uv_check_stop(&check_);
    transport_->close([this] {
        std::vector<std::function<void()>> tasks;
        std::vector<InboxProposal> proposals;
        std::vector<ReadDone> reads;
        {
            std::lock_guard lock(inbox_mu_);
            accepting_ = false;
            tasks.swap(tasks_);
            proposals.swap(proposals_in_);
            reads.swap(reads_in_);
        }
        // Tasks are dropped (their callers are told by the checks above or no longer wait);
        // requests get their answer.
        for (auto& p : proposals)
            p.done(ProposeOutcome{ProposeError::kStopped, "node stopped", 0, {}});
        for (auto& r : reads)
            r(false, 0, "node stopped");
        uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&tick_timer_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&notice_timer_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
    });
}

void NodeImpl::stop(int transfer_ms) {
    std::lock_guard stop_lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    if (transfer_ms > 0) {
        auto finished = std::make_shared<std::promise<void>>();
        auto once = std::make_shared<std::atomic<bool>>(false);
        auto future = finished->get_future();
        auto signal = [finished, once] {
            if (!once->exchange(true)) finished->set_value();
        };
        bool posted = post([this, signal] {
            if (core_->role() != Role::kLeader || halted_) {
                signal();
                return;
            }
            spdlog::info("raft {}: stopping: handing leadership over first", who());
            start_transfer(kNoNode, [this, signal](bool ok, const std::string& message) {
                if (!ok)
                    spdlog::warn("raft {}: leadership transfer before stop: {}", who(), message);
                signal();
            });
        });
        if (posted) future.wait_for(Millis(transfer_ms));
    }
    post([this] { shutdown_loop(); });
    if (loop_thread_.joinable()) loop_thread_.join();
    {
        std::lock_guard lock(inbox_mu_);
        accepting_ = false;
    }
    if (snapshot_read_back_) snapshot_read_back_->stop();
    disk_->stop();
    apply_->stop();
    proposals_.fail_all(ProposeError::kStopped, "node stopped");
    store_.reset();
    uv_loop_close(&loop_);
    spdlog::info("raft {}: stopped", who());
}

}  // namespace detail

const char* to_string(ProposeError e) {
    switch (e) {
        case ProposeError::kNone:
            return "ok";
        case ProposeError::kNotLeader:
            return "not leader";
        case ProposeError::kLeadershipLost:
            return "leadership lost";
        case ProposeError::kTimeout:
            return "timeout";
        case ProposeError::kStopped:
            return "stopped";
        case ProposeError::kRejected:
            return "rejected";
    }
    return "?";
}

NodeId node_id_for(const std::string& identity) {
    // FNV-1a, 64 bit: stable across builds and platforms.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : identity) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h == kNoNode ? 1 : h;
}

std::unique_ptr<Node> Node::start(const NodeOptions& options, std::shared_ptr<StateMachine> sm) {
    auto node = std::make_unique<detail::NodeImpl>(options, std::move(sm));
    node->start_threads();
    return node;
}

}  // namespace orcraft::raft
