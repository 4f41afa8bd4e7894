// The node runtime: one libuv loop thread drives the core; DiskWorker and ApplyWorker run the
// slow parts. See node.hpp for the contract and docs/raft.md ("The node runtime") for the flow.
#include "raft/node/node.hpp"

#include <spdlog/spdlog.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include "raft/node/address_book.hpp"
#include "raft/node/apply_worker.hpp"
#include "raft/node/disk_worker.hpp"
#include "raft/node/proposals.hpp"

namespace orcraft::raft {

namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using Done = std::function<void(bool, std::string)>;

std::string describe(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "unknown error";
    }
}

bool is_empty_store(const Restored& r) {
    return r.hard_state == HardState{} && r.snapshot.meta.index == 0 &&
           r.snapshot.meta.conf.voters.empty() && r.snapshot.meta.conf.learners.empty() &&
           r.entries.empty();
}

std::string id_list(const AddressBook& book, const std::vector<NodeId>& ids) {
    std::string out;
    for (const PeerAddress& p : book.lookup(ids)) {
        if (!out.empty()) out += ", ";
        out += p.identity.empty() ? fmt::format("{:016x}", p.id) : p.identity;
    }
    return out;
}

// The first log of a new cluster, identical on every initial member (it is derived from the
// sorted identities only): one member record per voter, then the configuration, all at term 1
// and committed. Written before the core starts, so that a restart finds the configuration.
Restored bootstrap_log(LogStore& store, const std::vector<PeerAddress>& voters) {
    std::vector<PeerAddress> sorted = voters;
    std::sort(sorted.begin(), sorted.end(),
              [](const PeerAddress& a, const PeerAddress& b) { return a.id < b.id; });
    sorted.erase(
        std::unique(sorted.begin(), sorted.end(),
                    [](const PeerAddress& a, const PeerAddress& b) { return a.id == b.id; }),
        sorted.end());
    Restored r;
    ConfState conf;
    for (const PeerAddress& p : sorted) {
        PeerAddress canonical = address_from_identity(p.id, p.identity).value_or(p);
        canonical.identity = p.identity;
        Entry e;
        e.index = r.entries.size() + 1;
        e.term = 1;
        e.data = encode_member_record(canonical);
        r.entries.push_back(std::move(e));
        conf.voters.push_back(p.id);
    }
    Entry c;
    c.index = r.entries.size() + 1;
    c.term = 1;
    c.type = EntryType::kConfChange;
    c.data = encode_conf_state(conf);
    r.entries.push_back(std::move(c));
    r.hard_state = HardState{1, kNoNode, r.entries.back().index};
    store.write(std::nullopt, r.entries, r.hard_state);
    return r;
}

class NodeImpl final : public Node {
  public:
    NodeImpl(const NodeOptions& options, std::shared_ptr<StateMachine> sm);
    ~NodeImpl() override;

    void start_threads();

    void propose(std::string data, std::function<void(ProposeOutcome)> done) override;
    void read_index(std::function<void(bool, Index, std::string)> done) override;
    void transfer_leadership(NodeId to, Done done) override;
    void add_voter(const PeerAddress& peer, Done done) override;
    void remove_member(NodeId id, Done done) override;
    void snapshot_now(Done done) override;
    void on_state_change(std::function<void(const NodeState&)> observer) override;
    NodeState state() const override;
    void stop(int transfer_ms) override;

  private:
    struct InboxProposal {
        std::string data;
        std::function<void(ProposeOutcome)> done;
    };
    using ReadDone = std::function<void(bool, Index, std::string)>;
    struct PendingReads {
        Clock::time_point deadline;
        std::vector<ReadDone> waiters;
    };
    // What remains of a Ready after its write: sent, installed and applied once it is durable.
    struct ReadyTail {
        std::vector<Message> messages;
        std::optional<Snapshot> snapshot;
        std::vector<Entry> committed;
        std::vector<ReadState> reads;
    };
    struct Transfer {
        NodeId to;
        Done done;
        Clock::time_point deadline;
    };
    // One membership change at a time: a list of core changes, each tried until the core
    // accepts it and then waited for until it commits.
    struct MemberChange {
        std::vector<ConfChange> steps;
        std::size_t next = 0;
        Index wait_index = 0;  // 0: the next step is still to be proposed
        Term wait_term = 0;
        std::string what;
        Done done;
        Clock::time_point deadline;
    };

    // ---- any thread ----
    // Runs `fn` on the loop thread; returns false (and drops fn) once the loop is closing.
    bool post(std::function<void()> fn);
    static void on_async(uv_async_t* handle);
    std::string who() const { return options_.transport.identity; }

    // ---- loop thread ----
    void drain_inbox();
    void handle_proposals(std::vector<InboxProposal>& proposals);
    void handle_reads(std::vector<ReadDone>& reads);
    void on_tick();
    void on_message(Message m);
    void on_peer(const PeerInfo& info);
    void pump();
    void note_entries(const std::vector<Entry>& entries);
    void finish_ready(ReadyTail tail);
    void on_write_done(std::exception_ptr error, std::optional<HardState> written);
    void observe_changes();
    void refresh_peers();
    void publish();
    void notify_observers();
    void start_transfer(NodeId to, Done done);
    NodeId best_transferee() const;
    void start_member_change(MemberChange change);
    void advance_member_change();
    void finish_member_change(bool ok, std::string message);
    void fail_reads(const std::string& why);
    void on_snapshot_taken(Index index, std::shared_ptr<const std::string> data, double seconds,
                           Done done);
    void halt(const std::string& why);
    void shutdown_loop();

    NodeOptions options_;
    NodeId id_;
    std::shared_ptr<StateMachine> sm_;
    std::unique_ptr<LogStore> store_;
    AddressBook book_;
    ProposalTracker proposals_;

    uv_loop_t loop_{};
    uv_async_t async_{};
    uv_timer_t tick_timer_{};
    uv_check_t check_{};
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<Core> core_;
    std::unique_ptr<DiskWorker> disk_;
    std::unique_ptr<ApplyWorker> apply_;
    std::thread loop_thread_;

    // Inbox (any thread -> loop thread).
    std::mutex inbox_mu_;
    bool accepting_ = true;
    std::vector<std::function<void()>> tasks_;
    std::vector<InboxProposal> proposals_in_;
    std::vector<ReadDone> reads_in_;

    // Loop thread state.
    bool writing_ = false;
    bool in_pump_ = false;
    bool halted_ = false;
    bool stopping_ = false;
    ReadyTail tail_;
    Clock::time_point write_submitted_;
    bool stall_stepped_down_ = false;
    HardState durable_hs_;
    // A hard state whose only change is the commit index: not worth a sync on its own (the
    // commit index is not needed for safety), so it rides along with the next write.
    std::optional<HardState> lazy_hs_;
    Index last_handed_ = 0;  // last log index handed to the disk
    Role role_ = Role::kFollower;
    Term term_ = 0;
    NodeId leader_ = kNoNode;
    ConfState conf_;
    bool peers_dirty_ = true;
    bool members_changed_ = true;  // NodeState's member lists need refreshing
    std::uint64_t next_read_ = 0;
    std::map<std::uint64_t, PendingReads> reads_;
    std::optional<Transfer> transfer_;
    std::optional<MemberChange> member_change_;
    std::vector<std::function<void(const NodeState&)>> observers_;
    std::uint64_t proposals_count_ = 0;
    std::uint64_t committed_count_ = 0;
    std::uint64_t snapshots_taken_ = 0;
    std::uint64_t last_snapshot_bytes_ = 0;
    double last_snapshot_seconds_ = 0;

    // Published for state() (any thread).
    mutable std::mutex state_mu_;
    NodeState shared_;

    std::mutex stop_mu_;
    bool stopped_ = false;
};

NodeImpl::NodeImpl(const NodeOptions& options, std::shared_ptr<StateMachine> sm)
    : options_(options), sm_(std::move(sm)) {
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
    config.seed =
        std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32);
    if (auto why = config.validate(); !why.empty()) {
        throw std::invalid_argument("raft node: " + why);
    }
    core_ = std::make_unique<Core>(config, std::move(restored));
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
    uv_check_init(&loop_, &check_);
    check_.data = this;

    ApplyWorkerOptions apply_options;
    apply_options.snapshot_threshold = options_.snapshot_threshold;
    apply_options.applied = sm_applied;
    apply_options.snapshot_index = meta.index;
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
    loop_thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
}

// ---- any thread ----

bool NodeImpl::post(std::function<void()> fn) {
    std::lock_guard lock(inbox_mu_);
    if (!accepting_) return false;
    tasks_.push_back(std::move(fn));
    // Under the lock: the loop closes the handle only after it set accepting_ to false.
    uv_async_send(&async_);
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
            proposals_in_.push_back({std::move(data), std::move(done)});
            uv_async_send(&async_);
            return;
        }
    }
    done(ProposeOutcome{ProposeError::kStopped, "node stopped", 0, {}});
}

void NodeImpl::read_index(std::function<void(bool, Index, std::string)> done) {
    {
        std::lock_guard lock(inbox_mu_);
        if (accepting_) {
            reads_in_.push_back(std::move(done));
            uv_async_send(&async_);
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
    s.snapshots_installed = apply_->snapshots_installed();
    if (disk_) {
        LogStoreStats st = disk_->stats();
        s.syncs = st.syncs;
        s.disk_batches = st.batches;
    }
    return s;
}

// ---- loop thread: inputs ----

void NodeImpl::drain_inbox() {
    std::vector<std::function<void()>> tasks;
    std::vector<InboxProposal> proposals;
    std::vector<ReadDone> reads;
    {
        std::lock_guard lock(inbox_mu_);
        tasks.swap(tasks_);
        proposals.swap(proposals_in_);
        reads.swap(reads_in_);
    }
    for (auto& t : tasks)
        t();
    if (!proposals.empty()) handle_proposals(proposals);
    if (!reads.empty()) handle_reads(reads);
    pump();
}

void NodeImpl::handle_proposals(std::vector<InboxProposal>& proposals) {
    const auto deadline = Clock::now() + Millis(options_.propose_timeout_ms);
    for (InboxProposal& p : proposals) {
        if (halted_ || stopping_) {
            p.done(ProposeOutcome{ProposeError::kStopped,
                                  shared_.error.empty() ? "node stopped" : shared_.error,
                                  0,
                                  {}});
            continue;
        }
        ProposeResult r = core_->propose(std::move(p.data));
        if (r.status == Status::kOk) {
            ++proposals_count_;
            proposals_.add(r.index, r.term, std::move(p.done), deadline);
        } else if (r.status == Status::kNotLeader) {
            std::string msg = "not the leader";
            if (leader_ != kNoNode) msg += "; the leader is " + id_list(book_, {leader_});
            p.done(ProposeOutcome{ProposeError::kNotLeader, std::move(msg), 0, {}});
        } else {
            p.done(ProposeOutcome{ProposeError::kRejected, to_string(r.status), 0, {}});
        }
    }
}

void NodeImpl::handle_reads(std::vector<ReadDone>& reads) {
    if (halted_ || stopping_) {
        for (auto& r : reads)
            r(false, 0, "node stopped");
        return;
    }
    // Every read that arrived since the last loop iteration shares one read index: they all
    // started before it was requested, so its index covers what each of them must see.
    const std::uint64_t seq = ++next_read_;
    std::string context(sizeof(seq), '\0');
    for (std::size_t i = 0; i < sizeof(seq); ++i)
        context[i] = static_cast<char>((seq >> (8 * i)) & 0xff);
    Status st = core_->read_index(std::move(context));
    if (st != Status::kOk) {
        for (auto& r : reads)
            r(false, 0, to_string(st));
        return;
    }
    reads_[seq] = PendingReads{Clock::now() + Millis(options_.read_timeout_ms), std::move(reads)};
}

void NodeImpl::on_message(Message m) {
    if (halted_ || stopping_) return;
    core_->step(m);
    // The Ready is taken in the check phase, once per loop iteration: every message that
    // arrived in this iteration goes into it.
}

void NodeImpl::on_peer(const PeerInfo& info) {
    if (auto p = address_from_identity(info.id, info.identity)) {
        if (book_.add_if_unknown(*p)) peers_dirty_ = true;
    }
    if (info.id == leader_) publish();
}

void NodeImpl::on_tick() {
    if (halted_ || stopping_) return;
    core_->tick();
    const auto now = Clock::now();
    if (writing_ && !stall_stepped_down_ && core_->role() == Role::kLeader &&
        now - write_submitted_ > Millis(options_.disk_stall_ms)) {
        stall_stepped_down_ = true;
        spdlog::warn(
            "raft {}: stepping down as leader of term {}: the disk write has not "
            "completed for {} ms",
            who(), core_->term(),
            std::chrono::duration_cast<Millis>(now - write_submitted_).count());
        core_->step_down();
    }
    proposals_.expire(now);
    while (!reads_.empty() && reads_.begin()->second.deadline <= now) {
        auto node = reads_.extract(reads_.begin());
        for (auto& r : node.mapped().waiters)
            r(false, 0, "leadership not confirmed in time");
    }
    if (transfer_ && now > transfer_->deadline) {
        auto t = std::move(*transfer_);
        transfer_.reset();
        spdlog::warn("raft {}: leadership transfer to {} timed out", who(), id_list(book_, {t.to}));
        t.done(false, "leadership transfer timed out");
    }
    advance_member_change();
    pump();
}

// ---- loop thread: the Ready cycle ----

void NodeImpl::pump() {
    if (in_pump_ || halted_ || stopping_) return;
    in_pump_ = true;
    if (writing_) {
        // A leader's heartbeats and appends of new entries need not wait for our own fsync.
        for (Message& m : core_->take_early_messages())
            transport_->send(std::move(m));
    }
    while (!writing_ && core_->has_ready()) {
        Ready rd = core_->ready();
        // 1. Replication first: followers write while we write.
        for (Message& m : rd.early_messages)
            transport_->send(std::move(m));
        if (rd.snapshot) proposals_.replaced_by_snapshot(rd.snapshot->meta.index);
        if (!rd.entries.empty()) {
            note_entries(rd.entries);
        } else if (rd.snapshot) {
            last_handed_ = rd.snapshot->meta.index;
        }
        const bool vote_changed = rd.hard_state && (rd.hard_state->term != durable_hs_.term ||
                                                    rd.hard_state->vote != durable_hs_.vote);
        ReadyTail tail{std::move(rd.messages), rd.snapshot, std::move(rd.committed_entries),
                       std::move(rd.read_states)};
        if (!rd.snapshot && rd.entries.empty() && !vote_changed) {
            if (rd.hard_state) lazy_hs_ = rd.hard_state;
            finish_ready(std::move(tail));
            continue;
        }
        // 2. Persist off the loop; what arrives meanwhile collects in the core's next Ready.
        std::optional<HardState> hs = rd.hard_state ? rd.hard_state : lazy_hs_;
        lazy_hs_.reset();
        writing_ = true;
        write_submitted_ = Clock::now();
        stall_stepped_down_ = false;
        tail_ = std::move(tail);
        disk_->submit([snapshot = std::move(rd.snapshot), entries = std::move(rd.entries),
                       hs](LogStore& store) { store.write(snapshot, entries, hs); },
                      [this, hs](std::exception_ptr error) { on_write_done(error, hs); });
    }
    in_pump_ = false;
    observe_changes();
}

void NodeImpl::note_entries(const std::vector<Entry>& entries) {
    // Entries that start at or below what was already handed out rewrite the log there.
    if (entries.front().index <= last_handed_) proposals_.overwritten(entries);
    last_handed_ = entries.back().index;
    for (const Entry& e : entries) {
        if (e.type == EntryType::kNormal && is_member_record(e.data)) {
            if (auto p = decode_member_record(e.data); p && book_.add_record(*p)) {
                peers_dirty_ = true;
            }
        }
    }
}

void NodeImpl::on_write_done(std::exception_ptr error, std::optional<HardState> written) {
    writing_ = false;
    if (halted_ || stopping_) return;
    if (error) {
        halt("log store write failed: " + describe(error));
        return;
    }
    if (written) durable_hs_ = *written;
    if (stall_stepped_down_) {
        spdlog::info("raft {}: the stalled disk write completed after {} ms", who(),
                     std::chrono::duration_cast<Millis>(Clock::now() - write_submitted_).count());
    }
    finish_ready(std::move(tail_));
    tail_ = {};
    pump();
}

void NodeImpl::finish_ready(ReadyTail tail) {
    // 3. What promises durability goes out only now.
    for (Message& m : tail.messages)
        transport_->send(std::move(m));
    // 4. Install, apply, serve reads (on the apply thread, in this order).
    if (tail.snapshot) {
        std::string_view bytes =
            tail.snapshot->data ? std::string_view(*tail.snapshot->data) : std::string_view{};
        if (auto parts = unframe_snapshot(bytes); parts && !parts->book.empty()) {
            if (book_.merge_encoded(parts->book)) peers_dirty_ = true;
        }
        apply_->install(std::move(*tail.snapshot));
    }
    if (!tail.committed.empty()) {
        committed_count_ += tail.committed.size();
        apply_->apply(std::move(tail.committed));
    }
    for (const ReadState& rs : tail.reads) {
        if (rs.context.size() != sizeof(std::uint64_t)) continue;
        std::uint64_t seq = 0;
        for (std::size_t i = 0; i < sizeof(seq); ++i)
            seq |= static_cast<std::uint64_t>(static_cast<unsigned char>(rs.context[i])) << (8 * i);
        auto it = reads_.find(seq);
        if (it == reads_.end()) continue;  // timed out meanwhile
        for (auto& r : it->second.waiters)
            apply_->wait_read(rs.index, std::move(r));
        reads_.erase(it);
    }
    // 5.
    core_->advance();
}

// ---- loop thread: reacting to changes ----

void NodeImpl::observe_changes() {
    const Role role = core_->role();
    const Term term = core_->term();
    const NodeId leader = core_->leader();
    bool changed = false;
    if (role != role_ || term != term_ || leader != leader_) {
        changed = true;
        if (role == Role::kLeader && role_ != Role::kLeader) {
            spdlog::info("raft {}: became leader in term {} (node id {:016x})", who(), term, id_);
        } else if (role_ == Role::kLeader && role != Role::kLeader) {
            spdlog::info("raft {}: no longer leader; {} in term {}", who(), to_string(role), term);
        }
        if (role != Role::kLeader && leader != leader_ && leader != kNoNode) {
            spdlog::info("raft {}: follows leader {} in term {}", who(), id_list(book_, {leader}),
                         term);
        }
        // Reads in flight were asked of the old leader (or of us as leader): it will not answer.
        if ((leader_ != kNoNode && leader != leader_) || term != term_) {
            fail_reads("leadership changed");
        }
        const bool lost_leadership = role_ == Role::kLeader && role != Role::kLeader;
        role_ = role;
        term_ = term;
        leader_ = leader;
        if (lost_leadership && transfer_) {
            auto t = std::move(*transfer_);
            transfer_.reset();
            spdlog::info("raft {}: leadership transferred (to {})", who(), id_list(book_, {t.to}));
            t.done(true, "leadership transferred");
        }
    }
    if (member_change_) advance_member_change();
    if (core_->conf() != conf_) {
        conf_ = core_->conf();
        peers_dirty_ = true;
        changed = true;
        spdlog::info("raft {}: configuration is now voters [{}] learners [{}]", who(),
                     id_list(book_, conf_.voters), id_list(book_, conf_.learners));
    }
    if (peers_dirty_) refresh_peers();
    publish();
    if (changed) notify_observers();
}

void NodeImpl::refresh_peers() {
    peers_dirty_ = false;
    members_changed_ = true;
    std::vector<NodeId> ids;
    for (NodeId id : conf_.voters)
        if (id != id_) ids.push_back(id);
    for (NodeId id : conf_.learners)
        if (id != id_) ids.push_back(id);
    std::vector<PeerAddress> peers;
    for (PeerAddress& p : book_.lookup(ids)) {
        if (p.host.empty() || p.port == 0) {
            spdlog::warn("raft {}: no address known for member {:016x}", who(), p.id);
            continue;
        }
        peers.push_back(std::move(p));
    }
    transport_->set_peers(peers);
}

void NodeImpl::publish() {
    std::lock_guard lock(state_mu_);
    NodeState& s = shared_;
    s.id = id_;
    s.role = role_;
    s.term = term_;
    s.leader = leader_;
    if (leader_ == kNoNode) {
        s.leader_identity.clear();
        s.leader_http_url.clear();
    } else if (leader_ == id_) {
        s.leader_identity = options_.transport.identity;
        s.leader_http_url = options_.transport.http_url;
    } else {
        const PeerInfo* info = transport_ ? transport_->peer_info(leader_) : nullptr;
        auto known = book_.find(leader_);
        s.leader_identity = known ? known->identity : (info ? info->identity : std::string());
        s.leader_http_url = info ? info->http_url : std::string();
    }
    s.commit = core_->commit();
    s.last_index = core_->last_index();
    s.snapshot_index = core_->snapshot_index();
    if (members_changed_) {
        members_changed_ = false;
        s.voters = book_.lookup(conf_.voters);
        s.learners = book_.lookup(conf_.learners);
    }
    s.proposals = proposals_count_;
    s.entries_committed = committed_count_;
    s.snapshots_taken = snapshots_taken_;
    s.last_snapshot_bytes = last_snapshot_bytes_;
    s.last_snapshot_seconds = last_snapshot_seconds_;
}

void NodeImpl::notify_observers() {
    if (observers_.empty()) return;
    NodeState s = state();
    for (auto& o : observers_)
        o(s);
}

void NodeImpl::fail_reads(const std::string& why) {
    auto reads = std::move(reads_);
    reads_.clear();
    for (auto& [seq, pending] : reads)
        for (auto& r : pending.waiters)
            r(false, 0, why);
}

// ---- loop thread: transfer and membership ----

NodeId NodeImpl::best_transferee() const {
    NodeId best = kNoNode;
    Index best_match = 0;
    for (NodeId v : core_->conf().voters) {
        if (v == id_) continue;
        const Progress* pr = core_->progress(v);
        if (pr == nullptr) continue;
        if (best == kNoNode || pr->match > best_match) {
            best = v;
            best_match = pr->match;
        }
    }
    return best;
}

void NodeImpl::start_transfer(NodeId to, Done done) {
    if (core_->role() != Role::kLeader) {
        done(false, "not the leader");
        return;
    }
    if (transfer_) {
        done(false, "a leadership transfer is already in progress");
        return;
    }
    if (to == kNoNode) to = best_transferee();
    if (to == kNoNode) {
        done(false, "no other voter to transfer leadership to");
        return;
    }
    if (to == id_) {
        done(false, "this node is already the leader");
        return;
    }
    Status st = core_->transfer_leadership(to);
    if (st != Status::kOk) {
        done(false, to_string(st));
        return;
    }
    spdlog::info("raft {}: transferring leadership of term {} to {}", who(), core_->term(),
                 id_list(book_, {to}));
    const int ms = options_.core.election_ticks * options_.tick_ms + 500;
    transfer_ = Transfer{to, std::move(done), Clock::now() + Millis(ms)};
    pump();
}

void NodeImpl::start_member_change(MemberChange change) {
    if (core_->role() != Role::kLeader) {
        change.done(false, "not the leader");
        return;
    }
    if (member_change_) {
        change.done(false, "another membership change is in progress");
        return;
    }
    change.deadline = Clock::now() + Millis(options_.membership_timeout_ms);
    spdlog::info("raft {}: membership change: {}", who(), change.what);
    member_change_ = std::move(change);
    advance_member_change();
}

void NodeImpl::advance_member_change() {
    if (!member_change_) return;
    MemberChange& c = *member_change_;
    if (c.wait_index != 0) {
        const auto term = core_->term_at(c.wait_index);
        // An index compacted away was committed; as leader throughout, the entry was ours.
        const bool ours =
            (term && *term == c.wait_term) || (!term && c.wait_index <= core_->snapshot_index());
        if (core_->commit() >= c.wait_index && ours) {
            c.wait_index = 0;
            if (++c.next == c.steps.size()) {
                finish_member_change(true, c.what + ": done");
                return;
            }
        } else if (core_->role() != Role::kLeader || !ours) {
            finish_member_change(false, c.what + ": leadership lost before the change committed");
            return;
        }
    }
    if (Clock::now() > c.deadline) {
        finish_member_change(false, c.what + ": timed out");
        return;
    }
    if (c.wait_index != 0) return;
    if (core_->role() != Role::kLeader) {
        finish_member_change(false, c.what + ": not the leader");
        return;
    }
    ProposeResult r = core_->change_membership(c.steps[c.next]);
    switch (r.status) {
        case Status::kOk:
            c.wait_index = r.index;
            c.wait_term = r.term;
            break;
        case Status::kNoCurrentTermCommit:
        case Status::kPendingConfChange:
        case Status::kLearnerNotCaughtUp:
        case Status::kTransferInProgress:
            break;  // retried on the next tick
        default:
            finish_member_change(false, c.what + ": " + to_string(r.status));
            break;
    }
}

void NodeImpl::finish_member_change(bool ok, std::string message) {
    auto c = std::move(*member_change_);
    member_change_.reset();
    if (ok) {
        spdlog::info("raft {}: membership change: {}", who(), message);
    } else {
        spdlog::warn("raft {}: membership change failed: {}", who(), message);
    }
    c.done(ok, std::move(message));
}

// ---- loop thread: snapshots ----

void NodeImpl::on_snapshot_taken(Index index, std::shared_ptr<const std::string> data,
                                 double seconds, Done done) {
    if (halted_ || stopping_) {
        apply_->snapshot_finished(index, false);
        if (done) done(false, "node stopped");
        return;
    }
    std::optional<SnapshotMeta> meta = core_->compact(index, data);
    if (!meta) {
        apply_->snapshot_finished(index, false);
        if (done) {
            done(true, fmt::format("the snapshot at index {} is current", core_->snapshot_index()));
        }
        return;
    }
    Snapshot snapshot{*meta, data};
    const auto started = Clock::now();
    disk_->submit([snapshot](LogStore& store) { store.save_snapshot(snapshot); },
                  [this, meta = *meta, bytes = data->size(), seconds, started,
                   done = std::move(done)](std::exception_ptr error) {
                      if (error) {
                          apply_->snapshot_finished(meta.index, false);
                          const std::string why = "saving the snapshot failed: " + describe(error);
                          if (done) done(false, why);
                          halt(why);
                          return;
                      }
                      const double total =
                          seconds + std::chrono::duration<double>(Clock::now() - started).count();
                      ++snapshots_taken_;
                      last_snapshot_bytes_ = bytes;
                      last_snapshot_seconds_ = total;
                      apply_->snapshot_finished(meta.index, true);
                      spdlog::info(
                          "raft {}: took a snapshot at index {} term {} ({} bytes, "
                          "{:.3f} s)",
                          who(), meta.index, meta.term, bytes, total);
                      publish();
                      if (done) done(true, fmt::format("snapshot created at index {}", meta.index));
                  });
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
    disk_->stop();
    apply_->stop();
    proposals_.fail_all(ProposeError::kStopped, "node stopped");
    store_.reset();
    uv_loop_close(&loop_);
    spdlog::info("raft {}: stopped", who());
}

}  // namespace

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
    auto node = std::make_unique<NodeImpl>(options, std::move(sm));
    node->start_threads();
    return node;
}

}  // namespace orcraft::raft
