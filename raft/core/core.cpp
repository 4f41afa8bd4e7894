#include "raft/core/core.hpp"

#include <algorithm>

#include "raft/core/quorum.hpp"

namespace orcraft::raft {

const char* to_string(Role r) {
    switch (r) {
        case Role::kFollower:
            return "follower";
        case Role::kPreCandidate:
            return "pre-candidate";
        case Role::kCandidate:
            return "candidate";
        case Role::kLeader:
            return "leader";
    }
    return "?";
}

const char* to_string(Status s) {
    switch (s) {
        case Status::kOk:
            return "ok";
        case Status::kNotLeader:
            return "not leader";
        case Status::kNoLeader:
            return "no leader";
        case Status::kTransferInProgress:
            return "leadership transfer in progress";
        case Status::kPendingConfChange:
            return "configuration change pending";
        case Status::kNoCurrentTermCommit:
            return "no entry of the current term committed yet";
        case Status::kInvalidChange:
            return "invalid membership change";
        case Status::kLearnerNotCaughtUp:
            return "learner not caught up";
        case Status::kTooManyUncommitted:
            return "too many uncommitted entries";
        case Status::kInvalidArgument:
            return "invalid argument";
    }
    return "?";
}

const char* to_string(MessageType t) {
    switch (t) {
        case MessageType::kAppend:
            return "Append";
        case MessageType::kAppendResp:
            return "AppendResp";
        case MessageType::kHeartbeat:
            return "Heartbeat";
        case MessageType::kHeartbeatResp:
            return "HeartbeatResp";
        case MessageType::kPreVote:
            return "PreVote";
        case MessageType::kPreVoteResp:
            return "PreVoteResp";
        case MessageType::kVote:
            return "Vote";
        case MessageType::kVoteResp:
            return "VoteResp";
        case MessageType::kSnapshot:
            return "Snapshot";
        case MessageType::kSnapshotResp:
            return "SnapshotResp";
        case MessageType::kTimeoutNow:
            return "TimeoutNow";
        case MessageType::kReadIndex:
            return "ReadIndex";
        case MessageType::kReadIndexResp:
            return "ReadIndexResp";
    }
    return "?";
}

std::string Config::validate() const {
    if (id == kNoNode) return "node id must not be 0";
    if (heartbeat_ticks <= 0) return "heartbeat_ticks must be positive";
    if (election_ticks <= heartbeat_ticks) return "election_ticks must exceed heartbeat_ticks";
    if (max_inflight_msgs == 0) return "max_inflight_msgs must be positive";
    if (max_inflight_bytes == 0) return "max_inflight_bytes must be positive";
    if (snapshot_chunk_bytes == 0) return "snapshot_chunk_bytes must be positive";
    if (snapshot_resend_heartbeats <= 0) return "snapshot_resend_heartbeats must be positive";
    return {};
}

Core::Core(const Config& config, Restored restored)
    : cfg_(config), rng_state_(config.seed ^ (config.id * 0x9e3779b97f4a7c15ULL)) {
    const SnapshotMeta& snap = restored.snapshot.meta;
    log_.set_loader(cfg_.load_entries);
    log_.restore(snap, std::move(restored.entries), restored.hard_state.commit,
                 std::max(restored.applied, snap.index));
    conf_history_.clear();
    conf_history_.emplace_back(snap.index, snap.conf);
    rebuild_conf_from(snap.index + 1);
    snapshot_ = std::move(restored.snapshot);
    term_ = restored.hard_state.term;
    vote_ = restored.hard_state.vote;
    last_hard_state_ = {term_, vote_, log_.commit()};
    durable_hard_state_ = last_hard_state_;
    apply_handed_ = log_.applied();
    become_follower(term_, kNoNode);
}

// ---- randomness and timers ----

std::uint64_t Core::next_random() {
    // splitmix64: small, fast and good enough for election jitter.
    std::uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void Core::reset_randomized_timeout() {
    randomized_timeout_ =
        cfg_.election_ticks +
        static_cast<int>(next_random() % static_cast<std::uint64_t>(cfg_.election_ticks));
}

bool Core::self_vote_durable() const {
    return durable_hard_state_.term == term_ && durable_hard_state_.vote == cfg_.id;
}

bool Core::promotable() const {
    return conf().is_voter(cfg_.id) || conf_at(log_.commit()).is_voter(cfg_.id);
}

void Core::tick() {
    if (role_ == Role::kLeader) {
        tick_heartbeat();
    } else {
        tick_election();
    }
}

void Core::tick_election() {
    ++election_elapsed_;
    if (election_elapsed_ >= randomized_timeout_) {
        election_elapsed_ = 0;
        if (promotable()) campaign(cfg_.pre_vote ? Campaign::kPreElection : Campaign::kElection);
        reset_randomized_timeout();
    }
}

void Core::tick_heartbeat() {
    ++heartbeat_elapsed_;
    ++election_elapsed_;
    ++leader_ticks_;
    // Check-quorum, every tick: a leader steps down as soon as a majority has been silent for
    // a whole election timeout, which is also how long members refuse other candidates.
    if (cfg_.check_quorum && !quorum_active()) {
        become_follower(term_, kNoNode);
        return;
    }
    if (election_elapsed_ >= cfg_.election_ticks) {
        election_elapsed_ = 0;
        transferee_ = kNoNode;  // a transfer that did not finish within a timeout is abandoned
    }
    if (heartbeat_elapsed_ >= cfg_.heartbeat_ticks) {
        heartbeat_elapsed_ = 0;
        bcast_heartbeat();
        for (auto& [id, pr] : progress_) {
            if (id == cfg_.id || pr.state != ProgressState::kSnapshot) continue;
            if (++pr.snap_idle >= cfg_.snapshot_resend_heartbeats) send_snapshot_chunk(id, pr);
        }
    }
}

bool Core::recently_active(NodeId id) const {
    if (role_ != Role::kLeader) return false;
    if (id == cfg_.id) return true;
    auto it = progress_.find(id);
    return it != progress_.end() && leader_ticks_ - it->second.last_active < cfg_.election_ticks;
}

bool Core::quorum_active() const {
    std::size_t active = 0;
    for (NodeId v : conf().voters) {
        if (v == cfg_.id || recently_active(v)) ++active;
    }
    return active >= majority(conf().voters.size());
}

// ---- role transitions ----

void Core::reset(Term term) {
    if (term_ != term) {
        term_ = term;
        vote_ = kNoNode;
    }
    lead_ = kNoNode;
    election_elapsed_ = 0;
    heartbeat_elapsed_ = 0;
    reset_randomized_timeout();
    transferee_ = kNoNode;
    votes_.clear();
    progress_.clear();
    pending_reads_.clear();
    reads_before_commit_.clear();
    need_bcast_ = false;
    commit_notices_due_ = false;
}

void Core::become_follower(Term term, NodeId lead) {
    reset(term);
    role_ = Role::kFollower;
    lead_ = lead;
}

void Core::become_pre_candidate() {
    // Neither the term nor the vote changes: a pre-vote is only a poll.
    votes_.clear();
    progress_.clear();
    lead_ = kNoNode;
    role_ = Role::kPreCandidate;
}

void Core::become_candidate() {
    reset(term_ + 1);
    vote_ = cfg_.id;
    role_ = Role::kCandidate;
}

void Core::become_leader() {
    reset(term_);
    role_ = Role::kLeader;
    lead_ = cfg_.id;
    on_conf_changed();
    // The votes that elected us count as the first contact with the voters.
    for (auto& [id, pr] : progress_)
        pr.last_active = leader_ticks_;
    // A new leader appends an empty entry: committing it commits everything before it, and
    // is what allows reads and membership changes in this term.
    append_entry(EntryType::kNoop, {});
    // Counted once per term; afterwards kept up to date by append_entry and maybe_commit.
    uncommitted_bytes_ = log_.uncommitted_bytes();
}

void Core::campaign(Campaign kind) {
    Term vote_term;
    MessageType type;
    if (kind == Campaign::kPreElection) {
        become_pre_candidate();
        vote_term = term_ + 1;
        type = MessageType::kPreVote;
    } else {
        become_candidate();
        vote_term = term_;
        type = MessageType::kVote;
    }
    // A poll needs nothing durable; a real vote for ourselves counts once it is durable (a
    // lone voter would otherwise lead a term that a crash makes it forget and vote in again).
    if (kind == Campaign::kPreElection || self_vote_durable()) votes_[cfg_.id] = true;
    for (NodeId v : conf().voters) {
        if (v == cfg_.id) continue;
        Message m;
        m.type = type;
        m.to = v;
        m.term = vote_term;
        m.index = log_.last_index();
        m.log_term = log_.last_term();
        m.force = kind == Campaign::kTransfer;
        send(std::move(m));
    }
    poll_votes();
}

void Core::poll_votes() {
    std::size_t granted = 0, rejected = 0;
    for (NodeId v : conf().voters) {
        auto it = votes_.find(v);
        if (it == votes_.end()) continue;
        (it->second ? granted : rejected)++;
    }
    switch (tally(conf().voters, granted, rejected)) {
        case VoteResult::kWon:
            if (role_ == Role::kPreCandidate) {
                campaign(Campaign::kElection);
            } else {
                become_leader();
            }
            break;
        case VoteResult::kLost:
            become_follower(term_, kNoNode);
            break;
        case VoteResult::kPending:
            break;
    }
}

// ---- message handling ----

void Core::step(const Message& m) {
    if (m.to != cfg_.id || m.from == kNoNode || m.from == cfg_.id) return;
    const bool is_vote = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
    if (m.term > term_) {
        if (is_vote) {
            // The vote lease: a member that heard from a live leader within the minimum election
            // timeout ignores the request, so a rejoining node cannot depose a healthy leader.
            bool in_lease =
                cfg_.check_quorum && lead_ != kNoNode && election_elapsed_ < cfg_.election_ticks;
            if (in_lease && !m.force) return;
        }
        if (m.type == MessageType::kPreVote) {
            // Polls never change the term.
        } else if (m.type == MessageType::kPreVoteResp && !m.reject) {
            // A granted poll carries the term we would campaign in; it is counted below.
        } else if (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat ||
                   m.type == MessageType::kSnapshot) {
            become_follower(m.term, m.from);
        } else {
            become_follower(m.term, kNoNode);
        }
    } else if (m.term < term_) {
        if ((cfg_.check_quorum || cfg_.pre_vote) &&
            (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat)) {
            // A stale leader (e.g. back from a partition) learns the new term from this and
            // steps down; without it, it could keep members from ever accepting a new leader.
            Message r;
            r.type = MessageType::kAppendResp;
            r.to = m.from;
            send(std::move(r));
        } else if (m.type == MessageType::kPreVote) {
            Message r;
            r.type = MessageType::kPreVoteResp;
            r.to = m.from;
            r.reject = true;
            send(std::move(r));
        }
        return;
    }

    if (is_vote) {
        handle_vote_request(m);
        return;
    }
    switch (role_) {
        case Role::kLeader:
            step_leader(m);
            break;
        case Role::kPreCandidate:
        case Role::kCandidate:
            step_candidate(m);
            break;
        case Role::kFollower:
            step_follower(m);
            break;
    }
}

void Core::handle_vote_request(const Message& m) {
    const bool pre = m.type == MessageType::kPreVote;
    const bool can_vote =
        vote_ == m.from || (vote_ == kNoNode && lead_ == kNoNode) || (pre && m.term > term_);
    const bool up_to_date = m.log_term > log_.last_term() ||
                            (m.log_term == log_.last_term() && m.index >= log_.last_index());
    Message r;
    r.type = pre ? MessageType::kPreVoteResp : MessageType::kVoteResp;
    r.to = m.from;
    if (can_vote && up_to_date) {
        r.term = m.term;  // a granted poll answers in the polled term
        if (!pre) {
            election_elapsed_ = 0;
            vote_ = m.from;
        }
    } else {
        r.reject = true;
    }
    send(std::move(r));
}

void Core::step_follower(const Message& m) {
    switch (m.type) {
        case MessageType::kAppend:
            election_elapsed_ = 0;
            lead_ = m.from;
            handle_append(m);
            break;
        case MessageType::kHeartbeat:
            election_elapsed_ = 0;
            lead_ = m.from;
            handle_heartbeat(m);
            break;
        case MessageType::kSnapshot:
            election_elapsed_ = 0;
            lead_ = m.from;
            handle_snapshot_chunk(m);
            break;
        case MessageType::kTimeoutNow:
            // The leader hands over: campaign at once, past the vote lease of the others.
            if (promotable()) campaign(Campaign::kTransfer);
            break;
        case MessageType::kReadIndexResp:
            if (!m.reject) read_states_.push_back({m.index, m.context});
            break;
        default:
            break;
    }
}

void Core::step_candidate(const Message& m) {
    switch (m.type) {
        case MessageType::kAppend:
            become_follower(m.term, m.from);
            handle_append(m);
            break;
        case MessageType::kHeartbeat:
            become_follower(m.term, m.from);
            handle_heartbeat(m);
            break;
        case MessageType::kSnapshot:
            become_follower(m.term, m.from);
            handle_snapshot_chunk(m);
            break;
        case MessageType::kPreVoteResp:
            if (role_ == Role::kPreCandidate && (m.reject || m.term == term_ + 1)) {
                votes_.emplace(m.from, !m.reject);
                poll_votes();
            }
            break;
        case MessageType::kVoteResp:
            if (role_ == Role::kCandidate) {
                votes_.emplace(m.from, !m.reject);
                poll_votes();
            }
            break;
        default:
            break;
    }
}

void Core::handle_append(const Message& m) {
    Message r;
    r.type = MessageType::kAppendResp;
    r.to = m.from;
    if (m.index < log_.commit()) {
        // Everything up to our commit index is known to match; report it.
        r.index = log_.commit();
        send(std::move(r));
        return;
    }
    if (log_.match_term(m.index, m.log_term)) {
        Index last_new = m.index + m.entries.size();
        Index changed = log_.append_after(m.entries);
        if (changed != 0) rebuild_conf_from(changed);
        log_.commit_to(std::min(m.commit, last_new));
        r.index = last_new;
        send(std::move(r));
        return;
    }
    // Reject, with a hint: the last index at or below the rejected one whose term is at most
    // the leader's term there. The leader skips every index in between in one round trip.
    Index hint = std::min(m.index, log_.last_index());
    hint = log_.find_conflict_by_term(hint, m.log_term);
    r.reject = true;
    r.index = m.index;
    r.reject_hint = hint;
    r.hint_term = log_.term(hint).value_or(0);
    send(std::move(r));
}

void Core::handle_heartbeat(const Message& m) {
    log_.commit_to(std::min(m.commit, log_.last_index()));
    Message r;
    r.type = MessageType::kHeartbeatResp;
    r.to = m.from;
    r.read_seq = m.read_seq;
    send(std::move(r));
}

void Core::handle_snapshot_chunk(const Message& m) {
    const SnapshotMeta& meta = m.snapshot;
    Message r;
    r.type = MessageType::kSnapshotResp;
    r.to = m.from;
    r.snapshot.index = meta.index;
    r.snapshot.term = meta.term;
    if (meta.index <= log_.commit() || log_.match_term(meta.index, meta.term)) {
        // Stale: we already hold everything it contains. Entries at or below the snapshot's
        // index are committed, so if ours match it we may advance the commit index.
        if (log_.match_term(meta.index, meta.term)) log_.commit_to(meta.index);
        incoming_meta_.reset();
        incoming_data_.clear();
        r.reject = true;
        r.index = log_.commit();
        send(std::move(r));
        return;
    }
    if (!incoming_meta_ || incoming_meta_->index != meta.index ||
        incoming_meta_->term != meta.term) {
        if (m.offset != 0) {
            // A chunk of a transfer we know nothing about (e.g. we restarted): start over.
            r.offset = 0;
            send(std::move(r));
            return;
        }
        incoming_meta_ = meta;
        incoming_data_.clear();
    }
    if (m.offset != incoming_data_.size()) {
        // A gap (a chunk was lost) or a duplicate: tell the leader where to resume.
        r.offset = incoming_data_.size();
        send(std::move(r));
        return;
    }
    incoming_data_ += m.chunk;
    r.offset = incoming_data_.size();
    if (!m.done) {
        send(std::move(r));
        return;
    }
    Snapshot snap{meta, std::make_shared<const std::string>(std::move(incoming_data_))};
    incoming_meta_.reset();
    incoming_data_.clear();
    log_.install_snapshot(meta);
    conf_history_.clear();
    conf_history_.emplace_back(meta.index, meta.conf);
    snapshot_ = snap;
    snapshot_to_install_ = std::move(snap);
    apply_handed_ = meta.index;
    r.done = true;
    r.index = meta.index;
    send(std::move(r));
}

void Core::step_leader(const Message& m) {
    auto it = progress_.find(m.from);
    switch (m.type) {
        case MessageType::kReadIndex:
            handle_read_request(m.context, m.from);
            return;
        case MessageType::kAppendResp:
            if (it != progress_.end()) handle_append_resp(m);
            return;
        case MessageType::kHeartbeatResp:
            if (it != progress_.end()) handle_heartbeat_resp(m);
            return;
        case MessageType::kSnapshotResp:
            if (it != progress_.end()) handle_snapshot_resp(m);
            return;
        default:
            return;
    }
}

void Core::handle_append_resp(const Message& m) {
    Progress& pr = progress_.at(m.from);
    pr.last_active = leader_ticks_;
    if (m.reject) {
        if (m.index > pr.match && m.reject_hint < pr.match) {
            // The member no longer holds entries it acknowledged (its data directory was
            // wiped or lost writes). Forget its acknowledgements and probe from what it reports;
            // without this the leader would retry above the old match index forever. (A late
            // rejection can look the same; probing again costs only a round trip, and commits
            // never go back.)
            pr.match = 0;
        }
        Index next_try = m.reject_hint + 1;
        if (m.hint_term > 0) next_try = log_.find_conflict_by_term(m.reject_hint, m.hint_term) + 1;
        if (pr.maybe_decrease(m.index, next_try)) {
            if (pr.state == ProgressState::kReplicate) pr.become_probe();
            pr.next = std::max(pr.match + 1, std::min(m.index, next_try));
            maybe_send_append(m.from, true);
        }
        return;
    }
    const bool was_paused = pr.paused();
    if (!pr.maybe_update(m.index)) {
        if (pr.state == ProgressState::kProbe) pr.probe_sent = false;
        if (was_paused && !pr.paused())
            maybe_send_append(m.from, false, !cfg_.defer_commit_notices);
        return;
    }
    switch (pr.state) {
        case ProgressState::kProbe:
            pr.become_replicate();
            break;
        case ProgressState::kSnapshot:
            if (pr.match >= pr.snap.meta.index) pr.become_probe();
            break;
        case ProgressState::kReplicate:
            pr.inflights.free_le(m.index);
            break;
    }
    if (maybe_commit()) {
        notify_commit();
    } else {
        // Keep the stream going (the member may have had to wait for inflight room).
        while (maybe_send_append(m.from, false, !cfg_.defer_commit_notices)) {
        }
    }
    if (m.from == transferee_ && pr.match == log_.last_index()) {
        Message t;
        t.type = MessageType::kTimeoutNow;
        t.to = m.from;
        send(std::move(t));
    }
}

void Core::handle_heartbeat_resp(const Message& m) {
    Progress& pr = progress_.at(m.from);
    pr.last_active = leader_ticks_;
    if (pr.state == ProgressState::kProbe) pr.probe_sent = false;
    // Appends may have been lost (or the member restarted): a full window would otherwise
    // never drain. Freeing one slot lets the next append through; if the member misses
    // entries it rejects it and replication falls back to probing.
    if (pr.state == ProgressState::kReplicate && pr.inflights.full()) pr.inflights.free_first();
    if (pr.match < log_.last_index()) maybe_send_append(m.from, true);
    if (m.read_seq > pr.read_seq) {
        pr.read_seq = m.read_seq;
        release_reads();
    }
}

void Core::handle_snapshot_resp(const Message& m) {
    Progress& pr = progress_.at(m.from);
    pr.last_active = leader_ticks_;
    if (pr.state != ProgressState::kSnapshot || m.snapshot.index != pr.snap.meta.index ||
        m.snapshot.term != pr.snap.meta.term) {
        return;  // an answer about an older transfer
    }
    if (m.reject) {
        // The member already has what the snapshot holds: resume normal replication.
        pr.match = std::max(pr.match, std::min(m.index, log_.last_index()));
        pr.state = ProgressState::kReplicate;  // become_probe() from a clean state below
        pr.snap = {};
        pr.become_probe();
        maybe_send_append(m.from, true);
        return;
    }
    if (m.done) {
        pr.maybe_update(m.snapshot.index);
        pr.become_probe();
        maybe_send_append(m.from, true);
        return;
    }
    if (!pr.snap.data || m.offset > pr.snap.data->size()) return;
    pr.snap_acked = m.offset;
    pr.snap_idle = 0;
    send_snapshot_chunk(m.from, pr);
}

// ---- sending ----

void Core::send(Message m) {
    m.from = cfg_.id;
    if (m.term == 0) m.term = term_;
    const bool leader_traffic =
        role_ == Role::kLeader &&
        (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat ||
         m.type == MessageType::kSnapshot || m.type == MessageType::kTimeoutNow ||
         m.type == MessageType::kReadIndexResp);
    // A heartbeat answer reports only the term (and echoes the read round). Once the term is
    // durable it promises nothing the disk has yet to hold, so it need not wait for the Ready
    // being persisted: a member with a slow disk still tells the leader it is alive.
    const bool heartbeat_answer =
        m.type == MessageType::kHeartbeatResp && durable_hard_state_.term == term_;
    (leader_traffic || heartbeat_answer ? early_msgs_ : msgs_).push_back(std::move(m));
}

void Core::bcast_append() {
    for (auto& [id, pr] : progress_) {
        if (id == cfg_.id) continue;
        bool sent = maybe_send_append(id, true);
        while (sent && pr.state == ProgressState::kReplicate)
            sent = maybe_send_append(id, false);
    }
}

void Core::notify_commit() {
    if (!cfg_.defer_commit_notices) {
        bcast_append();
        return;
    }
    // Entries that can go out now carry the new commit index; the rest waits for
    // send_commit_notices().
    for (auto& [id, pr] : progress_) {
        if (id == cfg_.id) continue;
        while (maybe_send_append(id, false, false)) {
        }
    }
    commit_notices_due_ = true;
}

void Core::send_commit_notices() {
    commit_notices_due_ = false;
    if (role_ != Role::kLeader) return;
    for (auto& [id, pr] : progress_) {
        if (id == cfg_.id) continue;
        while (maybe_send_append(id, false)) {
        }
    }
}

// Sends the next kAppend to `to` if flow control allows. With send_if_empty, an empty append
// is sent too (to carry the commit index or to probe). Returns true if it sent entries.
bool Core::maybe_send_append(NodeId to, bool send_if_empty, bool commit_only) {
    auto it = progress_.find(to);
    if (it == progress_.end() || to == cfg_.id) return false;
    Progress& pr = it->second;
    if (pr.paused()) return false;
    const Index prev = pr.next - 1;
    auto prev_term = log_.term(prev);
    if (!prev_term) {
        // The member needs entries we compacted: stream the snapshot instead.
        Snapshot snapshot = snapshot_;
        if (!snapshot.data && cfg_.load_snapshot) snapshot.data = cfg_.load_snapshot(snapshot.meta);
        if (!snapshot.data) return false;
        pr.become_snapshot(snapshot);
        send_snapshot_chunk(to, pr);
        return false;
    }
    std::vector<Entry> entries;
    if (pr.next <= log_.last_index()) {
        entries = log_.slice(pr.next, log_.last_index(), cfg_.max_append_bytes);
    }
    const bool can_bump_commit = std::min(log_.commit(), prev) > pr.sent_commit;
    if (entries.empty() && !send_if_empty && !(can_bump_commit && commit_only)) return false;
    Message m;
    m.type = MessageType::kAppend;
    m.to = to;
    m.index = prev;
    m.log_term = *prev_term;
    m.commit = log_.commit();
    const bool sent_entries = !entries.empty();
    pr.sent_commit =
        std::max(pr.sent_commit, std::min(m.commit, sent_entries ? entries.back().index : prev));
    if (sent_entries) {
        const Index last = entries.back().index;
        std::size_t bytes = 0;
        for (const Entry& e : entries)
            bytes += entry_size(e);
        if (pr.state == ProgressState::kReplicate) {
            pr.next = last + 1;
            pr.inflights.add(last, bytes);
        } else {
            pr.probe_sent = true;
        }
        m.entries = std::move(entries);
    } else if (pr.state == ProgressState::kProbe) {
        pr.probe_sent = true;
    }
    send(std::move(m));
    return sent_entries;
}

void Core::send_snapshot_chunk(NodeId to, Progress& pr) {
    const std::string& data = *pr.snap.data;
    const std::uint64_t offset = std::min<std::uint64_t>(pr.snap_acked, data.size());
    const std::uint64_t len =
        std::min<std::uint64_t>(cfg_.snapshot_chunk_bytes, data.size() - offset);
    Message m;
    m.type = MessageType::kSnapshot;
    m.to = to;
    m.snapshot = pr.snap.meta;
    m.offset = offset;
    m.chunk = data.substr(offset, len);
    m.done = offset + len == data.size();
    m.snapshot_bytes = data.size();
    pr.snap_sent = offset + len;
    pr.snap_idle = 0;
    send(std::move(m));
}

void Core::bcast_heartbeat() {
    for (auto& [id, pr] : progress_) {
        if (id == cfg_.id) continue;
        Message m;
        m.type = MessageType::kHeartbeat;
        m.to = id;
        m.commit = std::min(pr.match, log_.commit());
        pr.sent_commit = std::max(pr.sent_commit, m.commit);
        m.read_seq = read_seq_;
        send(std::move(m));
    }
}

// ---- commit, reads ----

bool Core::maybe_commit() {
    const Index q = quorum_value(conf().voters, [this](NodeId id) -> std::uint64_t {
        auto it = progress_.find(id);
        return it == progress_.end() ? 0 : it->second.match;
    });
    if (q <= log_.commit()) return false;
    // Raft 5.4.2: only entries of the current term are committed by counting replicas; older
    // entries become committed through them (log matching).
    if (log_.term(q) != term_ && !cfg_.testing_commit_previous_term_by_count) return false;
    for (Index i = std::max(log_.commit(), log_.snapshot_index()) + 1; i <= q; ++i) {
        uncommitted_bytes_ -= std::min(uncommitted_bytes_, entry_size(log_.at(i)));
    }
    log_.commit_to(q);
    on_commit_advanced();
    return true;
}

void Core::on_commit_advanced() {
    if (role_ != Role::kLeader) return;
    if (log_.term(log_.commit()) == term_ && !reads_before_commit_.empty()) {
        auto waiting = std::move(reads_before_commit_);
        reads_before_commit_.clear();
        for (auto& [ctx, from] : waiting)
            handle_read_request(std::move(ctx), from);
    }
    // A leader removed by a committed configuration steps down.
    if (conf_history_.back().first <= log_.commit() && !conf().is_voter(cfg_.id)) {
        become_follower(term_, kNoNode);
    }
}

void Core::handle_read_request(std::string context, NodeId from) {
    if (log_.term(log_.commit()) != term_) {
        // Our commit index may lag what earlier leaders committed until an entry of this term
        // is committed: hold the read until then.
        reads_before_commit_.emplace_back(std::move(context), from);
        return;
    }
    if (cfg_.testing_read_without_quorum) {
        answer_read({log_.commit(), std::move(context), from, read_seq_});
        return;
    }
    pending_reads_.push_back({log_.commit(), std::move(context), from, ++read_seq_});
    if (conf().voters.size() == 1 && conf().is_voter(cfg_.id)) {
        release_reads();
        return;
    }
    bcast_heartbeat();
}

void Core::answer_read(PendingRead r) {
    if (r.from == cfg_.id) {
        read_states_.push_back({r.index, std::move(r.context)});
        return;
    }
    Message m;
    m.type = MessageType::kReadIndexResp;
    m.to = r.from;
    m.index = r.index;
    m.context = std::move(r.context);
    send(std::move(m));
}

void Core::release_reads() {
    const std::uint64_t q = quorum_value(conf().voters, [this](NodeId id) -> std::uint64_t {
        if (id == cfg_.id) return read_seq_;
        auto it = progress_.find(id);
        return it == progress_.end() ? 0 : it->second.read_seq;
    });
    std::size_t done = 0;
    while (done < pending_reads_.size() && pending_reads_[done].seq <= q) {
        answer_read(std::move(pending_reads_[done++]));
    }
    pending_reads_.erase(pending_reads_.begin(),
                         pending_reads_.begin() + static_cast<std::ptrdiff_t>(done));
}

// ---- client requests ----

void Core::append_entry(EntryType type, std::string data) {
    Entry e;
    e.index = log_.last_index() + 1;
    e.term = term_;
    e.type = type;
    e.data = std::move(data);
    uncommitted_bytes_ += entry_size(e);
    log_.append(std::move(e));
    need_bcast_ = true;
    // A lone voter commits as soon as its own disk confirms (see advance()).
}

ProposeResult Core::propose(std::string data) {
    if (role_ != Role::kLeader) return {Status::kNotLeader, 0, 0};
    if (transferee_ != kNoNode) return {Status::kTransferInProgress, 0, 0};
    if (cfg_.max_uncommitted_bytes != 0 &&
        uncommitted_bytes_ + data.size() > cfg_.max_uncommitted_bytes) {
        return {Status::kTooManyUncommitted, 0, 0};
    }
    append_entry(EntryType::kNormal, std::move(data));
    return {Status::kOk, log_.last_index(), term_};
}

Status Core::read_index(std::string context) {
    if (role_ == Role::kLeader) {
        handle_read_request(std::move(context), cfg_.id);
        return Status::kOk;
    }
    if (lead_ == kNoNode) return Status::kNoLeader;
    Message m;
    m.type = MessageType::kReadIndex;
    m.to = lead_;
    m.context = std::move(context);
    send(std::move(m));
    return Status::kOk;
}

Status Core::transfer_leadership(NodeId to) {
    if (role_ != Role::kLeader) return Status::kNotLeader;
    if (to == cfg_.id) return Status::kOk;
    if (!conf().is_voter(to) || progress_.find(to) == progress_.end())
        return Status::kInvalidArgument;
    if (transferee_ == to) return Status::kOk;
    transferee_ = to;
    election_elapsed_ = 0;  // the transfer is abandoned after one election timeout
    Progress& pr = progress_.at(to);
    if (pr.match == log_.last_index()) {
        Message t;
        t.type = MessageType::kTimeoutNow;
        t.to = to;
        send(std::move(t));
    } else {
        maybe_send_append(to, true);
    }
    return Status::kOk;
}

bool Core::campaign() {
    if (role_ == Role::kLeader || !promotable()) return false;
    campaign(cfg_.pre_vote ? Campaign::kPreElection : Campaign::kElection);
    return true;
}

bool Core::step_down() {
    if (role_ == Role::kFollower) return false;
    become_follower(term_, kNoNode);
    return true;
}

ProposeResult Core::change_membership(const ConfChange& change) {
    if (role_ != Role::kLeader) return {Status::kNotLeader, 0, 0};
    if (transferee_ != kNoNode) return {Status::kTransferInProgress, 0, 0};
    // Single-server changes are safe only one at a time, and only once this leader committed
    // an entry of its term (otherwise an uncommitted change of an earlier leader may still
    // win, and two overlapping changes could form disjoint majorities).
    if (log_.term(log_.commit()) != term_) return {Status::kNoCurrentTermCommit, 0, 0};
    if (conf_history_.back().first > log_.commit()) return {Status::kPendingConfChange, 0, 0};
    auto next = apply_conf_change(conf(), change);
    if (!next) return {Status::kInvalidChange, 0, 0};
    if (change.type == ConfChangeType::kPromoteLearner) {
        auto it = progress_.find(change.node);
        if (it == progress_.end() || it->second.match + cfg_.promote_max_lag < log_.commit()) {
            return {Status::kLearnerNotCaughtUp, 0, 0};
        }
    }
    append_entry(EntryType::kConfChange, encode_conf_state(*next));
    conf_history_.emplace_back(log_.last_index(), std::move(*next));
    on_conf_changed();
    return {Status::kOk, log_.last_index(), term_};
}

std::optional<SnapshotMeta> Core::compact(Index index, std::shared_ptr<const std::string> data) {
    if (index <= log_.snapshot_index() || index > log_.applied() || !data) return std::nullopt;
    SnapshotMeta meta{index, *log_.term(index), conf_at(index)};
    log_.compact(index);
    // Keep the configuration in force at the new snapshot point as the first history item.
    auto it = std::upper_bound(conf_history_.begin(), conf_history_.end(), index,
                               [](Index i, const auto& item) { return i < item.first; });
    conf_history_.erase(conf_history_.begin(), it - 1);
    snapshot_ = Snapshot{meta, std::move(data)};
    return meta;
}

void Core::snapshot_persisted(Index index) {
    if (cfg_.load_snapshot && snapshot_.meta.index == index) snapshot_.data.reset();
}

// ---- configuration ----

const ConfState& Core::conf_at(Index i) const {
    for (auto it = conf_history_.rbegin(); it != conf_history_.rend(); ++it) {
        if (it->first <= i) return it->second;
    }
    return conf_history_.front().second;
}

void Core::rebuild_conf_from(Index from) {
    while (conf_history_.size() > 1 && conf_history_.back().first >= from)
        conf_history_.pop_back();
    // Entries released from memory are settled, hence committed: they never change, and
    // neither do the history items they produced, so the scan starts at the memory.
    for (Index i = std::max(from, log_.memory_first()); i <= log_.last_index(); ++i) {
        const Entry& e = log_.at(i);
        if (e.type != EntryType::kConfChange) continue;
        if (auto c = decode_conf_state(e.data)) conf_history_.emplace_back(i, std::move(*c));
    }
    on_conf_changed();
}

void Core::on_conf_changed() {
    if (role_ != Role::kLeader) return;
    const ConfState& c = conf();
    for (auto it = progress_.begin(); it != progress_.end();) {
        if (it->first != cfg_.id && !c.is_member(it->first)) {
            it = progress_.erase(it);
        } else {
            ++it;
        }
    }
    auto add = [&](NodeId id) {
        if (progress_.count(id)) return;
        Progress pr(log_.last_index() + 1, cfg_.max_inflight_msgs, cfg_.max_inflight_bytes);
        if (id == cfg_.id) {
            pr.match = log_.stable();
            pr.state = ProgressState::kReplicate;
        }
        pr.last_active = leader_ticks_;  // new members get one election timeout of grace
        progress_.emplace(id, std::move(pr));
    };
    add(cfg_.id);
    for (NodeId id : c.voters)
        add(id);
    for (NodeId id : c.learners)
        add(id);
    if (transferee_ != kNoNode && !c.is_voter(transferee_)) transferee_ = kNoNode;
    need_bcast_ = true;
}

const Progress* Core::progress(NodeId id) const {
    auto it = progress_.find(id);
    return it == progress_.end() ? nullptr : &it->second;
}

// ---- Ready ----

bool Core::has_ready() const {
    if (ready_outstanding_) return false;
    if (need_bcast_ && role_ == Role::kLeader) return true;
    HardState hs{term_, vote_, log_.commit()};
    return hs != last_hard_state_ || snapshot_to_install_ ||
           log_.handed_out() < log_.last_index() || apply_handed_ < log_.commit() ||
           !msgs_.empty() || !early_msgs_.empty() || !read_states_.empty();
}

Ready Core::ready() {
    if (need_bcast_ && role_ == Role::kLeader) bcast_append();
    need_bcast_ = false;
    Ready rd;
    HardState hs{term_, vote_, log_.commit()};
    ready_hard_state_.reset();
    if (hs != last_hard_state_) {
        rd.hard_state = hs;
        ready_hard_state_ = hs;
        last_hard_state_ = hs;
    }
    ready_snapshot_.reset();
    if (snapshot_to_install_) {
        ready_snapshot_ = snapshot_to_install_->meta;
        rd.snapshot = std::move(snapshot_to_install_);
        snapshot_to_install_.reset();
    }
    for (Index i = log_.handed_out() + 1; i <= log_.last_index(); ++i)
        rd.entries.push_back(log_.at(i));
    log_.handed_out_to(log_.last_index());
    ready_last_index_ = log_.last_index();
    ready_last_term_ = log_.last_term();
    // Committed entries may include entries of this very Ready: they are applied only after
    // the Ready is durable.
    for (Index i = apply_handed_ + 1; i <= log_.commit(); ++i)
        rd.committed_entries.push_back(log_.at(i));
    apply_handed_ = std::max(apply_handed_, log_.commit());
    ready_applied_ = apply_handed_;
    rd.messages = std::move(msgs_);
    rd.early_messages = std::move(early_msgs_);
    rd.read_states = std::move(read_states_);
    msgs_.clear();
    early_msgs_.clear();
    read_states_.clear();
    ready_outstanding_ = true;
    return rd;
}

std::vector<Message> Core::take_early_messages() {
    if (need_bcast_ && role_ == Role::kLeader) {
        bcast_append();
        need_bcast_ = false;
    }
    std::vector<Message> out = std::move(early_msgs_);
    early_msgs_.clear();
    return out;
}

std::vector<Entry> Core::take_committed_entries() {
    std::vector<Entry> out;
    if (snapshot_to_install_ || (ready_outstanding_ && ready_snapshot_)) return out;
    // apply_handed_ beyond the durable index means the outstanding Ready holds committed
    // entries not yet durable: the range below is then empty and they keep their turn.
    const Index upto = std::min(log_.commit(), log_.stable());
    for (Index i = apply_handed_ + 1; i <= upto; ++i)
        out.push_back(log_.at(i));
    if (upto > apply_handed_) {
        apply_handed_ = upto;
        // Durable and handed out: settled, as advance() would count them.
        log_.applied_to(upto);
    }
    return out;
}

void Core::advance() {
    if (!ready_outstanding_) return;
    ready_outstanding_ = false;
    if (ready_hard_state_) durable_hard_state_ = *ready_hard_state_;
    if (role_ == Role::kCandidate && !votes_.count(cfg_.id) && self_vote_durable()) {
        votes_[cfg_.id] = true;
        poll_votes();
    }
    if (ready_snapshot_) log_.stable_to(ready_snapshot_->index, ready_snapshot_->term);
    log_.stable_to(ready_last_index_, ready_last_term_);
    log_.applied_to(ready_applied_);
    log_.release_settled(cfg_.settled_cache_bytes);
    if (role_ == Role::kLeader) {
        auto it = progress_.find(cfg_.id);
        if (it != progress_.end() && it->second.maybe_update(log_.stable())) {
            if (maybe_commit()) notify_commit();
        }
    }
}

}  // namespace orcraft::raft
