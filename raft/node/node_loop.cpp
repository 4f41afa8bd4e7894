// The loop thread: requests from the inbox, messages, ticks, the Ready cycle (group commit),
// and reacting to role, leader and configuration changes.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

#include "raft/node/node_impl.hpp"

namespace orcraft::raft::detail {

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
    if (m.type == MessageType::kSnapshot) note_snapshot_chunk(m);
    core_->step(m);
    if (m.from == core_->leader() && m.term == core_->term() && core_->role() != Role::kLeader) {
        leader_contact_ns_.store(Clock::now().time_since_epoch().count(),
                                 std::memory_order_relaxed);
    }
    // The Ready is taken in the check phase, once per loop iteration: every message that
    // arrived in this iteration goes into it.
}

void NodeImpl::note_snapshot_chunk(const Message& m) {
    // The core refuses a snapshot it already holds everything of; so does the progress log.
    if (m.snapshot.index <= core_->commit()) return;
    if (auto p = receive_log_.on_chunk(m, core_->term(), Clock::now())) {
        events_.emit([&p](NodeEvents& e) { e.snapshot_receiving(p->received, p->total); });
    }
}

void NodeImpl::log_replication_progress(Clock::time_point now) {
    next_progress_log_ = now + kProgressInterval;
    if (core_->role() != Role::kLeader) {
        replication_log_.reset();
        return;
    }
    std::vector<MemberReplication> members;
    auto add = [&](NodeId id) {
        const Progress* pr = id == id_ ? nullptr : core_->progress(id);
        if (pr == nullptr) return;
        MemberReplication& m = members.emplace_back();
        m.id = id;
        m.name = id_list(book_, {id});
        m.match = pr->match;
        m.reachable = core_->recently_active(id);
        m.sending_snapshot = pr->state == ProgressState::kSnapshot && pr->snap.data != nullptr;
        if (m.sending_snapshot) {
            m.snapshot_index = pr->snap.meta.index;
            m.snapshot_term = pr->snap.meta.term;
            m.snapshot_acked = pr->snap_acked;
            m.snapshot_bytes = pr->snap.data->size();
        }
    };
    for (NodeId id : conf_.voters)
        add(id);
    for (NodeId id : conf_.learners)
        add(id);
    replication_log_.observe(now, core_->term(), core_->last_index(), members);
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
    // A leader is in contact with itself: once it steps down, the age counts from here.
    if (core_->role() == Role::kLeader) {
        leader_contact_ns_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
    }
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
    if (now >= next_progress_log_) log_replication_progress(now);
    if (receive_log_.expire(now)) events_.emit([](NodeEvents& e) { e.snapshot_receiving(0, 0); });
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
        // A leader's heartbeats and appends of new entries need not wait for our own fsync,
        // nor do entries that members' answers commit meanwhile, once they are durable here.
        for (Message& m : core_->take_early_messages())
            transport_->send(std::move(m));
        hand_to_apply(core_->take_committed_entries());
    }
    while (!writing_ && core_->has_ready()) {
        Ready rd = core_->ready();
        // 1. Replication first: followers write while we write.
        for (Message& m : rd.early_messages)
            transport_->send(std::move(m));
        if (rd.snapshot) {
            proposals_.replaced_by_snapshot(rd.snapshot->meta.index);
        } else {
            // Committed entries already durable here are applied at once; those of this very
            // Ready wait for its write (as everything after a snapshot waits for its install).
            auto& c = rd.committed_entries;
            const Index durable = core_->durable_index();
            const auto pending = std::partition_point(
                c.begin(), c.end(), [durable](const Entry& e) { return e.index <= durable; });
            hand_to_apply(std::vector<Entry>(std::make_move_iterator(c.begin()),
                                             std::make_move_iterator(pending)));
            c.erase(c.begin(), pending);
        }
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
        disk_->submit(
            [snapshot = std::move(rd.snapshot), entries = std::move(rd.entries), hs,
             events = &events_](LogStore& store) {
                const auto started = Clock::now();
                store.write(snapshot, entries, hs);
                const std::chrono::duration<double> took = Clock::now() - started;
                events->emit([&](NodeEvents& e) { e.disk_write(entries.size(), took.count()); });
            },
            [this, hs](std::exception_ptr error) { on_write_done(error, hs); });
    }
    in_pump_ = false;
    schedule_commit_notices();
    observe_changes();
}

void NodeImpl::hand_to_apply(std::vector<Entry> committed) {
    if (committed.empty()) return;
    committed_count_ += committed.size();
    apply_->apply(std::move(committed));
}

void NodeImpl::schedule_commit_notices() {
    if (!core_->commit_notices_due() || core_->commit() == notices_armed_at_) return;
    // Re-armed at every advance: while writes keep coming, the next append carries the index
    // and the notice is never needed; a member that receives no appends hears it from the
    // next heartbeat at the latest.
    notices_armed_at_ = core_->commit();
    uv_timer_start(
        &notice_timer_,
        [](uv_timer_t* t) {
            auto* self = static_cast<NodeImpl*>(t->data);
            if (self->halted_ || self->stopping_) return;
            self->core_->send_commit_notices();
            self->pump();
        },
        static_cast<std::uint64_t>(options_.commit_notice_delay_ms), 0);
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
        core_->snapshot_persisted(tail.snapshot->meta.index);
        std::string_view bytes =
            tail.snapshot->data ? std::string_view(*tail.snapshot->data) : std::string_view{};
        if (auto parts = unframe_snapshot(bytes); parts && !parts->book.empty()) {
            if (book_.merge_encoded(parts->book)) peers_dirty_ = true;
        }
        apply_->install(std::move(*tail.snapshot));
    }
    hand_to_apply(std::move(tail.committed));
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
    s.reachable.clear();
    if (role_ == Role::kLeader) {
        for (const auto* ids : {&conf_.voters, &conf_.learners})
            for (NodeId id : *ids)
                if (core_->recently_active(id)) s.reachable.push_back(id);
    }
    s.commit = core_->commit();
    s.last_index = core_->last_index();
    s.snapshot_index = core_->snapshot_index();
    s.entries_in_memory = core_->entries_in_memory();
    s.entries_read_back = entries_read_back_;
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

}  // namespace orcraft::raft::detail
