// One simulated run: N cores over a simulated network, disks and clocks, with faults, a client
// workload and the invariant checker after every event. Everything is driven by one event
// queue ordered by (time, sequence number) and one seeded random generator, so a seed always
// produces the same run.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "raft/core/core.hpp"
#include "raft/sim/checker.hpp"
#include "raft/sim/options.hpp"
#include "raft/sim/rng.hpp"

namespace orcraft::raft::sim {
namespace {

using Time = std::uint64_t;  // simulated microseconds
constexpr Time kMs = 1000;
constexpr Time kTickPeriod = 10 * kMs;

enum class EventKind : std::uint8_t {
    kCrash,
    kIsolate,
    kTick,
    kDeliver,
    kDiskDone,
    kChaos,
    kClient,
    kRestart,
    kHeal,
    kConvergeCheck
};

struct Event {
    Time at;
    std::uint64_t seq;
    EventKind kind;
    int node;
    std::uint64_t inc;
    std::uint32_t slot;
};

struct Later {
    bool operator()(const Event& a, const Event& b) const {
        return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
};

struct WriteOp {
    int node;
    std::uint64_t inc;
    std::uint64_t max_read_at_invoke;
    bool applied = false;
    bool acked = false;
};

struct ReadOp {
    int node;
    std::uint64_t inc;
    Checker::ReadOp op;
    Index read_index = 0;
    bool have_index = false;
    bool done = false;
};

struct SimNode {
    NodeId id = 0;
    bool up = false;
    std::uint64_t inc = 0;
    std::unique_ptr<Core> core;
    // Durable state: what survives a crash.
    HardState hs;
    Snapshot snap;
    std::vector<Entry> log;
    // Volatile state.
    bool disk_busy = false;
    Ready pending;
    Time paused_until = 0;
    Time disk_slow_until = 0;
    double tick_scale = 1.0;
    std::uint64_t value = 0;  // the register: id of the last write applied
    Index value_index = 0;    // and the log index of that write
    Index applied = 0;
    Index last_commit_seen = 0;
    std::vector<std::uint64_t> reads_waiting;
    Role last_role = Role::kFollower;
    Term last_term = 0;
};

std::string encode_u64(std::uint64_t v) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i)
        s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    return s;
}

std::uint64_t decode_u64(const std::string& s, std::size_t pos = 0) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8 && pos + i < s.size(); ++i)
        v |= std::uint64_t(static_cast<unsigned char>(s[pos + i])) << (8 * i);
    return v;
}

class Simulation {
  public:
    explicit Simulation(const SimOptions& o) : opt_(o), rng_(o.seed) {}
    SimResult run();

  private:
    bool has(Fault f) const { return (opt_.faults & f) != 0; }
    void schedule(Time at, EventKind kind, int node = 0, std::uint64_t inc = 0,
                  std::uint32_t slot = 0) {
        queue_.push(Event{at, next_seq_++, kind, node, inc, slot});
    }
    void trace(const std::string& line);
    void mix(std::uint64_t v) { hash_ = (hash_ ^ v) * 0x100000001b3ULL; }
    std::string who(const SimNode& n) const { return "n" + std::to_string(n.id); }

    Config node_config(const SimNode& n);
    void boot(SimNode& n);
    void crash(SimNode& n);
    void handle(const Event& ev);
    void after(SimNode& n);
    void pump(SimNode& n);
    void finish_ready(SimNode& n, Ready& rd);
    void persist(SimNode& n, const Ready& rd);
    void apply(SimNode& n, const Ready& rd);
    void apply_entries(SimNode& n, const std::vector<Entry>& entries, bool after_snapshot);
    void serve_reads(SimNode& n);
    void maybe_compact(SimNode& n);
    void send(const Message& m);
    Time net_delay();
    Time disk_latency(const SimNode& n);
    bool blocked(NodeId from, NodeId to) const { return cut_[from][to]; }
    SimNode* find_leader();
    SimNode* random_up(bool allow_paused);
    void chaos();
    void client_op();
    void heal();
    bool converged(std::string* why);
    std::string snapshot_bytes(const SimNode& n) const;
    void load_snapshot(SimNode& n, const Snapshot& s);
    std::vector<Entry> read_back(const SimNode& n, Index lo, Index hi, std::size_t max_bytes);

    SimOptions opt_;
    Rng rng_;
    Checker checker_;
    SimResult result_;
    std::priority_queue<Event, std::vector<Event>, Later> queue_;
    std::uint64_t next_seq_ = 0;
    Time now_ = 0;
    std::uint64_t hash_ = 0xcbf29ce484222325ULL;
    std::vector<SimNode> nodes_;  // index = id; nodes_[0] unused
    std::vector<Message> slots_;
    std::vector<std::uint32_t> free_slots_;
    std::vector<std::vector<bool>> cut_;
    double loss_ = 0, dup_ = 0, spike_ = 0;
    std::vector<WriteOp> writes_{WriteOp{}};
    std::vector<ReadOp> reads_{ReadOp{}};
    Time fault_end_ = 0;
    Time heal_at_ = 0;
    bool healed_ = false;
    bool done_ = false;
    // Per-run protocol knobs, drawn from the seed.
    std::size_t max_append_bytes_ = 0;
    std::size_t max_inflight_ = 0;
    std::size_t chunk_bytes_ = 0;
    Index compact_every_ = 0;
    std::size_t filler_ = 0;
    bool defer_commit_notices_ = false;
    // Cores let settled entries go and read them back from the durable log (load_entries).
    bool read_back_ = false;
    std::size_t settled_cache_ = 0;
    int min_voters_ = 1;
    double leader_kill_ = 0;
};

Config Simulation::node_config(const SimNode& n) {
    Config c;
    c.id = n.id;
    c.seed = opt_.seed * 7919 + n.id * 104729 + n.inc;
    c.max_append_bytes = max_append_bytes_;
    c.max_inflight_msgs = max_inflight_;
    c.snapshot_chunk_bytes = chunk_bytes_;
    c.defer_commit_notices = defer_commit_notices_;
    if (read_back_) {
        c.settled_cache_bytes = settled_cache_;
        c.load_entries = [this, id = n.id](Index lo, Index hi, std::size_t max_bytes) {
            return read_back(nodes_[id], lo, hi, max_bytes);
        };
    }
    c.testing_commit_previous_term_by_count = opt_.plant_commit_bug;
    c.testing_read_without_quorum = opt_.plant_read_bug;
    return c;
}

void Simulation::trace(const std::string& line) {
    if (!opt_.trace) return;
    char head[32];
    std::snprintf(head, sizeof head, "%9.3fms ", static_cast<double>(now_) / kMs);
    result_.trace.push_back(head + line);
}

std::string Simulation::snapshot_bytes(const SimNode& n) const {
    std::string data = encode_u64(n.value) + encode_u64(n.value_index);
    for (std::size_t i = 0; i < filler_; ++i)
        data.push_back(static_cast<char>('a' + (i + n.value_index) % 26));
    return data;
}

void Simulation::load_snapshot(SimNode& n, const Snapshot& s) {
    n.applied = s.meta.index;
    if (!s.data) {
        n.value = 0;
        n.value_index = 0;
        return;
    }
    n.value = decode_u64(*s.data, 0);
    n.value_index = decode_u64(*s.data, 8);
    SimNode probe;
    probe.value_index = n.value_index;
    probe.value = n.value;
    if (*s.data != snapshot_bytes(probe)) {
        checker_.report("node " + std::to_string(n.id) + " loaded a corrupted snapshot at " +
                        std::to_string(s.meta.index));
    }
}

// Reads the durable log like a runtime reads its files; with disk faults, a read sometimes
// stops early or finds nothing.
std::vector<Entry> Simulation::read_back(const SimNode& n, Index lo, Index hi,
                                         std::size_t max_bytes) {
    std::vector<Entry> out;
    std::size_t bytes = 0;
    const Index first = n.snap.meta.index + 1;
    for (Index i = std::max(lo, first); i <= hi && i - first < n.log.size(); ++i) {
        const Entry& e = n.log[i - first];
        bytes += entry_size(e);
        if (!out.empty() && bytes > max_bytes) break;
        out.push_back(e);
    }
    if (has(kFaultDisk) && !out.empty() && rng_.chance(0.2))
        out.resize(rng_.range(0, out.size() - 1));
    result_.entries_read_back += out.size();
    return out;
}

void Simulation::boot(SimNode& n) {
    n.up = true;
    ++n.inc;
    Restored r;
    r.hard_state = n.hs;
    r.snapshot = n.snap;
    r.entries = n.log;
    r.applied = n.snap.meta.index;
    n.core = std::make_unique<Core>(node_config(n), std::move(r));
    load_snapshot(n, n.snap);
    n.disk_busy = false;
    n.pending = Ready{};
    n.paused_until = 0;
    n.reads_waiting.clear();
    n.last_commit_seen = n.core->commit();
    n.last_role = Role::kFollower;
    n.last_term = n.core->term();
    trace(who(n) + " starts: term " + std::to_string(n.hs.term) + ", snapshot " +
          std::to_string(n.snap.meta.index) + ", log to " + std::to_string(n.core->last_index()) +
          ", commit " + std::to_string(n.core->commit()));
    schedule(now_ + rng_.range(1, kTickPeriod), EventKind::kTick, static_cast<int>(n.id), n.inc);
}

void Simulation::crash(SimNode& n) {
    trace(who(n) + " crashes" + (n.disk_busy ? " (losing an unsynced write)" : ""));
    n.up = false;
    n.core.reset();
    n.disk_busy = false;
    n.pending = Ready{};
    n.reads_waiting.clear();
    ++n.inc;
}

Time Simulation::net_delay() {
    Time d = rng_.range(100, 1500);
    if (spike_ > 0 && rng_.chance(spike_)) d += rng_.range(kMs, 60 * kMs);
    return d;
}

Time Simulation::disk_latency(const SimNode& n) {
    if (has(kFaultDisk) && now_ < n.disk_slow_until) return rng_.range(5 * kMs, 80 * kMs);
    return rng_.range(100, 2 * kMs);
}

void Simulation::send(const Message& m) {
    if (m.to >= nodes_.size() || blocked(m.from, m.to)) return;
    if (loss_ > 0 && rng_.chance(loss_)) return;
    int copies = (dup_ > 0 && rng_.chance(dup_)) ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
        std::uint32_t slot;
        if (!free_slots_.empty()) {
            slot = free_slots_.back();
            free_slots_.pop_back();
            slots_[slot] = m;
        } else {
            slot = static_cast<std::uint32_t>(slots_.size());
            slots_.push_back(m);
        }
        schedule(now_ + net_delay(), EventKind::kDeliver, static_cast<int>(m.to), 0, slot);
    }
}

SimNode* Simulation::find_leader() {
    SimNode* best = nullptr;
    for (auto& n : nodes_) {
        if (!n.up || !n.core || n.core->role() != Role::kLeader) continue;
        if (!best || n.core->term() > best->core->term()) best = &n;
    }
    return best;
}

SimNode* Simulation::random_up(bool allow_paused) {
    std::vector<SimNode*> up;
    for (auto& n : nodes_) {
        if (n.up && (allow_paused || n.paused_until <= now_)) up.push_back(&n);
    }
    if (up.empty()) return nullptr;
    return up[rng_.range(0, up.size() - 1)];
}

void Simulation::pump(SimNode& n) {
    if (n.up && n.disk_busy) {
        // A leader replicates and heartbeats while its disk is busy (as the node runtime does).
        for (const Message& m : n.core->take_early_messages())
            send(m);
        // So are entries committed meanwhile that are durable here (as the node runtime does).
        const std::vector<Entry> committed = n.core->take_committed_entries();
        result_.applied_early += committed.size();
        apply_entries(n, committed, false);
        return;
    }
    while (n.up && !n.disk_busy && n.core->has_ready()) {
        Ready rd = n.core->ready();
        for (const Message& m : rd.early_messages)
            send(m);
        if (!rd.snapshot) {
            // Committed entries already durable here are applied before this Ready's write.
            auto& c = rd.committed_entries;
            const Index durable = n.core->durable_index();
            const auto pending = std::partition_point(
                c.begin(), c.end(), [durable](const Entry& e) { return e.index <= durable; });
            apply_entries(n, std::vector<Entry>(c.begin(), pending), false);
            c.erase(c.begin(), pending);
        }
        if (rd.must_sync()) {
            n.pending = std::move(rd);
            n.disk_busy = true;
            schedule(now_ + disk_latency(n), EventKind::kDiskDone, static_cast<int>(n.id), n.inc);
            return;
        }
        finish_ready(n, rd);
    }
}

void Simulation::finish_ready(SimNode& n, Ready& rd) {
    persist(n, rd);
    for (const Message& m : rd.messages)
        send(m);
    apply(n, rd);
    n.core->advance();
    maybe_compact(n);
}

void Simulation::persist(SimNode& n, const Ready& rd) {
    if (rd.snapshot) {
        n.snap = *rd.snapshot;
        n.log.clear();
    }
    if (!rd.entries.empty()) {
        const Index first = rd.entries.front().index;
        const Index keep = first - n.snap.meta.index - 1;
        if (first <= n.snap.meta.index || keep > n.log.size()) {
            checker_.report("node " + std::to_string(n.id) + " persisted entries from " +
                            std::to_string(first) + " leaving a gap after its durable log");
            return;
        }
        n.log.resize(keep);
        for (const Entry& e : rd.entries) {
            Term prev = n.log.empty() ? n.snap.meta.term : n.log.back().term;
            checker_.on_persist(n.id, e, prev);
            n.log.push_back(e);
        }
    }
    if (rd.hard_state) {
        checker_.on_hard_state(n.id, n.hs.commit, rd.hard_state->commit, n.hs.term,
                               rd.hard_state->term);
        n.hs = *rd.hard_state;
    }
}

void Simulation::apply(SimNode& n, const Ready& rd) {
    if (rd.snapshot) {
        load_snapshot(n, *rd.snapshot);
        checker_.on_snapshot_installed(n.id, rd.snapshot->meta.index, n.value_index);
        ++result_.snapshots_installed;
        trace(who(n) + " installs snapshot " + std::to_string(rd.snapshot->meta.index) + "/" +
              std::to_string(rd.snapshot->meta.term));
    }
    for (const ReadState& rs : rd.read_states) {
        const std::uint64_t id = decode_u64(rs.context);
        if (id == 0 || id >= reads_.size()) continue;
        ReadOp& r = reads_[id];
        if (r.node != static_cast<int>(n.id) || r.inc != n.inc || r.have_index) continue;
        r.have_index = true;
        r.read_index = rs.index;
        n.reads_waiting.push_back(id);
    }
    // Serves the reads whose index is applied, these read states' included.
    apply_entries(n, rd.committed_entries, rd.snapshot.has_value());
}

void Simulation::apply_entries(SimNode& n, const std::vector<Entry>& entries, bool after_snapshot) {
    for (const Entry& e : entries) {
        if (e.index <= n.applied && after_snapshot)
            continue;  // covered by the snapshot just installed
        checker_.on_apply(n.id, n.applied, e);
        n.applied = e.index;
        if (e.type != EntryType::kNormal) continue;
        const std::uint64_t id = decode_u64(e.data);
        n.value = id;
        n.value_index = e.index;
        if (id == 0 || id >= writes_.size()) continue;
        WriteOp& w = writes_[id];
        if (!w.applied) {
            w.applied = true;
            checker_.on_write_applied_first(id, e.index, w.max_read_at_invoke);
        }
        if (!w.acked && w.node == static_cast<int>(n.id) && w.inc == n.inc) {
            w.acked = true;
            checker_.on_write_acked(id, e.index);
        }
    }
    serve_reads(n);
}

void Simulation::serve_reads(SimNode& n) {
    auto& w = n.reads_waiting;
    for (std::size_t i = 0; i < w.size();) {
        ReadOp& r = reads_[w[i]];
        if (r.read_index <= n.applied) {
            r.done = true;
            checker_.on_read_done(r.op, n.value, n.value_index, r.read_index);
            w[i] = w.back();
            w.pop_back();
        } else {
            ++i;
        }
    }
}

void Simulation::maybe_compact(SimNode& n) {
    if (n.applied < n.core->snapshot_index() + compact_every_) return;
    auto data = std::make_shared<const std::string>(snapshot_bytes(n));
    auto meta = n.core->compact(n.applied, data);
    if (!meta) return;
    const Index drop = std::min<Index>(meta->index - n.snap.meta.index, n.log.size());
    n.log.erase(n.log.begin(), n.log.begin() + static_cast<std::ptrdiff_t>(drop));
    n.snap = Snapshot{*meta, data};
}

void Simulation::after(SimNode& n) {
    pump(n);
    if (!n.up) return;
    const Core& c = *n.core;
    if (c.role() != n.last_role || c.term() != n.last_term) {
        if (c.role() == Role::kLeader) {
            ++result_.leaders;
            // Nemesis: kill a fresh leader before it finishes replicating. Short-lived leaders
            // with divergent uncommitted suffixes are what the subtle commit bugs need.
            if (now_ < fault_end_ && rng_.chance(leader_kill_)) {
                const bool isolate =
                    has(kFaultPartition) && (!has(kFaultCrash) || rng_.chance(0.5));
                if (isolate || has(kFaultCrash)) {
                    schedule(now_ + rng_.range(0, 30 * kMs),
                             isolate ? EventKind::kIsolate : EventKind::kCrash,
                             static_cast<int>(n.id), n.inc);
                }
            }
        }
        trace(who(n) + " is " + to_string(c.role()) + " in term " + std::to_string(c.term()));
        n.last_role = c.role();
        n.last_term = c.term();
    }
    checker_.on_state(n.id, c.role() == Role::kLeader, c.term(), c.commit(), n.last_commit_seen,
                      c.snapshot_index(), c.last_index(), [&c](Index i) { return c.term_at(i); });
    n.last_commit_seen = c.commit();
}

void Simulation::handle(const Event& ev) {
    mix(ev.at);
    mix(static_cast<std::uint64_t>(ev.kind) * 16 + static_cast<std::uint64_t>(ev.node));
    switch (ev.kind) {
        case EventKind::kCrash: {
            SimNode& n = nodes_[ev.node];
            if (!n.up || ev.inc != n.inc || healed_) return;
            crash(n);
            schedule(now_ + rng_.range(20 * kMs, 1000 * kMs), EventKind::kRestart,
                     static_cast<int>(n.id));
            return;
        }
        case EventKind::kIsolate: {
            SimNode& n = nodes_[ev.node];
            if (!n.up || ev.inc != n.inc || healed_) return;
            for (std::size_t other = 1; other < cut_.size(); ++other) {
                if (other == n.id) continue;
                cut_[n.id][other] = true;
                cut_[other][n.id] = true;
            }
            trace(who(n) + " is isolated from every other node");
            return;
        }
        case EventKind::kTick: {
            SimNode& n = nodes_[ev.node];
            if (!n.up || ev.inc != n.inc) return;
            if (n.paused_until > now_) {
                schedule(n.paused_until, EventKind::kTick, ev.node, ev.inc);
                return;
            }
            n.core->tick();
            // As the node runtime does a little after the commit index advanced.
            if (n.core->commit_notices_due()) n.core->send_commit_notices();
            after(n);
            schedule(now_ + static_cast<Time>(kTickPeriod * n.tick_scale), EventKind::kTick,
                     ev.node, ev.inc);
            return;
        }
        case EventKind::kDeliver: {
            SimNode& n = nodes_[ev.node];
            if (n.up && n.paused_until > now_) {
                schedule(n.paused_until + rng_.range(0, 500), EventKind::kDeliver, ev.node, 0,
                         ev.slot);
                return;
            }
            // Take the message out first: stepping it sends more messages into the slots.
            const Message m = std::move(slots_[ev.slot]);
            slots_[ev.slot] = Message{};
            free_slots_.push_back(ev.slot);
            mix(static_cast<std::uint64_t>(m.type) * 131 + m.from);
            mix(m.term * 7 + m.index * 13 + m.entries.size() + m.commit * 17);
            if (n.up && !blocked(m.from, m.to)) {
                if (opt_.trace) {
                    std::string line = who(n) + " <- n" + std::to_string(m.from) + " " +
                                       to_string(m.type) + " term " + std::to_string(m.term);
                    if (m.type == MessageType::kAppend || m.type == MessageType::kAppendResp) {
                        line += " index " + std::to_string(m.index) + " logterm " +
                                std::to_string(m.log_term) + " entries " +
                                std::to_string(m.entries.size()) + " commit " +
                                std::to_string(m.commit) +
                                (m.reject ? " reject hint " + std::to_string(m.reject_hint) : "");
                    } else if (m.type == MessageType::kSnapshot ||
                               m.type == MessageType::kSnapshotResp) {
                        line += " snap " + std::to_string(m.snapshot.index) + " offset " +
                                std::to_string(m.offset) + (m.done ? " done" : "") +
                                (m.reject ? " refused" : "");
                    } else if (m.reject) {
                        line += " rejected";
                    }
                    trace(line);
                }
                n.core->step(m);
                after(n);
            }
            return;
        }
        case EventKind::kDiskDone: {
            SimNode& n = nodes_[ev.node];
            if (!n.up || ev.inc != n.inc || !n.disk_busy) return;
            if (n.paused_until > now_) {
                schedule(n.paused_until, EventKind::kDiskDone, ev.node, ev.inc);
                return;
            }
            Ready rd = std::move(n.pending);
            n.pending = Ready{};
            n.disk_busy = false;
            finish_ready(n, rd);
            after(n);
            return;
        }
        case EventKind::kChaos:
            if (now_ >= fault_end_) return;
            chaos();
            schedule(now_ + rng_.range(30 * kMs, 400 * kMs), EventKind::kChaos);
            return;
        case EventKind::kClient:
            if (now_ >= fault_end_) return;
            client_op();
            schedule(now_ + rng_.range(2 * kMs, 25 * kMs), EventKind::kClient);
            return;
        case EventKind::kRestart: {
            SimNode& n = nodes_[ev.node];
            if (n.up || healed_) return;
            boot(n);
            after(n);
            return;
        }
        case EventKind::kHeal:
            heal();
            schedule(now_ + 50 * kMs, EventKind::kConvergeCheck);
            return;
        case EventKind::kConvergeCheck: {
            std::string why;
            if (converged(&why)) {
                done_ = true;
                return;
            }
            if (now_ > heal_at_ + static_cast<Time>(opt_.heal_seconds * 1e6)) {
                result_.ok = false;
                result_.violation = "liveness: no convergence " +
                                    std::to_string(opt_.heal_seconds) +
                                    " s after the faults healed (" + why + ")";
                done_ = true;
                return;
            }
            schedule(now_ + 50 * kMs, EventKind::kConvergeCheck);
            return;
        }
    }
}

void Simulation::client_op() {
    SimNode* leader = find_leader();
    SimNode* target =
        (leader && leader->paused_until <= now_ && rng_.chance(0.7)) ? leader : random_up(false);
    if (!target) return;
    Core& c = *target->core;
    if (rng_.chance(0.55)) {
        if (c.role() != Role::kLeader) return;  // a real client is redirected to the leader
        const std::uint64_t id = writes_.size();
        auto r = c.propose(encode_u64(id));
        if (r.status != Status::kOk) return;
        writes_.push_back(
            WriteOp{static_cast<int>(target->id), target->inc, checker_.on_write_invoke()});
        trace(who(*target) + " client write " + std::to_string(id) + " at index " +
              std::to_string(r.index));
    } else {
        const std::uint64_t id = reads_.size();
        if (c.read_index(encode_u64(id)) != Status::kOk) return;
        reads_.push_back(
            ReadOp{static_cast<int>(target->id), target->inc, checker_.on_read_invoke()});
        trace(who(*target) + " client read " + std::to_string(id));
    }
    after(*target);
}

void Simulation::chaos() {
    std::vector<Fault> enabled;
    for (Fault f : {kFaultNet, kFaultPartition, kFaultOneWay, kFaultCrash, kFaultDisk, kFaultClock,
                    kFaultMember, kFaultTransfer}) {
        if (has(f)) enabled.push_back(f);
    }
    if (has(kFaultCrash))
        enabled.push_back(kFaultCrash);  // crashes and restarts are the most telling
    if (enabled.empty()) return;
    const std::size_t count = nodes_.size() - 1;
    switch (enabled[rng_.range(0, enabled.size() - 1)]) {
        case kFaultNet: {
            const double losses[] = {0, 0, 0.01, 0.05, 0.2};
            const double dups[] = {0, 0, 0.01, 0.05};
            const double spikes[] = {0, 0.01, 0.05, 0.2};
            loss_ = losses[rng_.range(0, 4)];
            dup_ = dups[rng_.range(0, 3)];
            spike_ = spikes[rng_.range(0, 3)];
            trace("network: loss " + std::to_string(loss_) + " dup " + std::to_string(dup_) +
                  " spikes " + std::to_string(spike_));
            return;
        }
        case kFaultPartition: {
            for (auto& row : cut_)
                std::fill(row.begin(), row.end(), false);
            if (rng_.chance(0.3)) {
                trace("network: partitions healed");
                return;
            }
            std::vector<int> side(count + 1);
            std::string desc;
            for (std::size_t i = 1; i <= count; ++i) {
                side[i] = static_cast<int>(rng_.range(0, 1));
                desc += (side[i] ? " n" : " ") + std::to_string(i) + (side[i] ? "" : "");
            }
            for (std::size_t a = 1; a <= count; ++a) {
                for (std::size_t b = 1; b <= count; ++b)
                    cut_[a][b] = side[a] != side[b];
            }
            trace("network: partition, side 1 =" + desc);
            return;
        }
        case kFaultOneWay: {
            if (count < 2) return;
            const auto a = rng_.range(1, count), b = rng_.range(1, count);
            if (a == b) return;
            cut_[a][b] = !cut_[a][b];
            trace("network: link n" + std::to_string(a) + " -> n" + std::to_string(b) +
                  (cut_[a][b] ? " cut" : " restored"));
            return;
        }
        case kFaultCrash: {
            std::vector<SimNode*> down;
            for (auto& n : nodes_) {
                if (n.id != 0 && !n.up) down.push_back(&n);
            }
            if (!down.empty() && rng_.chance(0.5)) {
                SimNode& n = *down[rng_.range(0, down.size() - 1)];
                boot(n);
                after(n);
                return;
            }
            SimNode* n = rng_.chance(0.5) ? find_leader() : random_up(true);
            if (!n) return;
            crash(*n);
            if (rng_.chance(0.7))
                schedule(now_ + rng_.range(20 * kMs, 2000 * kMs), EventKind::kRestart,
                         static_cast<int>(n->id));
            return;
        }
        case kFaultDisk: {
            SimNode* n = random_up(true);
            if (!n) return;
            n->disk_slow_until = now_ + rng_.range(100 * kMs, 1500 * kMs);
            trace(who(*n) + " disk slow");
            return;
        }
        case kFaultClock: {
            SimNode* n = rng_.chance(0.4) ? find_leader() : random_up(false);
            if (!n) return;
            n->paused_until = now_ + rng_.range(50 * kMs, 1500 * kMs);
            trace(who(*n) + " pauses");
            return;
        }
        case kFaultMember: {
            SimNode* l = find_leader();
            if (!l || l->paused_until > now_) return;
            const ConfState conf = l->core->conf();
            std::vector<ConfChange> options;
            for (NodeId id : conf.learners)
                options.push_back({ConfChangeType::kPromoteLearner, id});
            for (std::size_t id = 1; id <= count; ++id) {
                if (!conf.is_member(id)) options.push_back({ConfChangeType::kAddLearner, id});
            }
            if (static_cast<int>(conf.voters.size()) > min_voters_) {
                const NodeId v = conf.voters[rng_.range(0, conf.voters.size() - 1)];
                options.push_back({ConfChangeType::kRemoveNode, v});
            }
            if (!conf.learners.empty() && rng_.chance(0.2)) {
                options.push_back({ConfChangeType::kRemoveNode, conf.learners.front()});
            }
            if (options.empty()) return;
            const ConfChange cc = options[rng_.range(0, options.size() - 1)];
            auto r = l->core->change_membership(cc);
            const char* names[] = {"add learner", "promote", "add voter", "remove"};
            trace(who(*l) + " membership: " + names[static_cast<int>(cc.type)] + " n" +
                  std::to_string(cc.node) + ": " + to_string(r.status));
            if (r.status == Status::kOk) ++result_.conf_changes;
            after(*l);
            return;
        }
        case kFaultTransfer: {
            SimNode* l = find_leader();
            if (!l || l->paused_until > now_) return;
            const auto& voters = l->core->conf().voters;
            if (voters.size() < 2) return;
            const NodeId to = voters[rng_.range(0, voters.size() - 1)];
            auto st = l->core->transfer_leadership(to);
            trace(who(*l) + " transfers leadership to n" + std::to_string(to) + ": " +
                  to_string(st));
            after(*l);
            return;
        }
        default:
            return;
    }
}

void Simulation::heal() {
    healed_ = true;
    heal_at_ = now_;
    trace("all faults heal");
    loss_ = dup_ = spike_ = 0;
    for (auto& row : cut_)
        std::fill(row.begin(), row.end(), false);
    for (auto& n : nodes_) {
        if (n.id == 0) continue;
        n.disk_slow_until = 0;
        if (n.paused_until > now_) n.paused_until = now_;
        if (!n.up) {
            boot(n);
            after(n);
        }
    }
}

bool Simulation::converged(std::string* why) {
    SimNode* l = find_leader();
    if (!l) {
        *why = "no leader";
        return false;
    }
    const Core& lc = *l->core;
    if (lc.commit() != lc.last_index()) {
        *why = "leader n" + std::to_string(l->id) + " commit " + std::to_string(lc.commit()) +
               " < last " + std::to_string(lc.last_index());
        return false;
    }
    const ConfState conf = lc.conf();
    for (auto& n : nodes_) {
        if (n.id == 0 || !conf.is_member(n.id)) continue;
        if (!n.up || n.disk_busy || n.core->commit() != lc.commit() || n.applied != lc.commit() ||
            n.core->last_index() != lc.last_index()) {
            *why = "n" + std::to_string(n.id) + " applied " + std::to_string(n.applied) +
                   ", leader n" + std::to_string(l->id) + " at " + std::to_string(lc.commit());
            return false;
        }
    }
    checker_.check_final(lc.commit());
    result_.converge_seconds = static_cast<double>(now_ - heal_at_) / 1e6;
    trace("converged at index " + std::to_string(lc.commit()) + " with leader n" +
          std::to_string(l->id));
    return true;
}

SimResult Simulation::run() {
    const int count = std::clamp(opt_.nodes, 1, 7);
    // Per-run protocol knobs: tiny messages and windows make reordering and backtracking
    // paths common; tiny chunks make snapshots multi-chunk.
    const std::size_t append_sizes[] = {1, 100, 256 * 1024};
    const std::size_t inflights[] = {1, 3, 64};
    max_append_bytes_ = append_sizes[rng_.range(0, 2)];
    max_inflight_ = inflights[rng_.range(0, 2)];
    defer_commit_notices_ = rng_.chance(0.5);
    if (has(kFaultSnapshot)) {
        chunk_bytes_ = rng_.range(8, 64);
        compact_every_ = rng_.range(5, 60);
        filler_ = rng_.range(0, 200);
    } else {
        chunk_bytes_ = 512 * 1024;
        compact_every_ = 1000;
        filler_ = 0;
    }
    const std::size_t caches[] = {0, 64, 4096};
    read_back_ = rng_.chance(0.5);
    settled_cache_ = caches[rng_.range(0, 2)];
    min_voters_ = std::max(1, count - 2);
    const double kills[] = {0, 0.1, 0.3, 0.6};
    leader_kill_ = kills[rng_.range(0, 3)];
    fault_end_ = static_cast<Time>(opt_.fault_seconds * 1e6);

    nodes_.resize(count + 1);
    cut_.assign(count + 1, std::vector<bool>(count + 1, false));
    ConfState initial;
    for (int i = 1; i <= count; ++i)
        initial.voters.push_back(static_cast<NodeId>(i));
    for (int i = 1; i <= count; ++i) {
        SimNode& n = nodes_[i];
        n.id = static_cast<NodeId>(i);
        n.snap.meta.conf = initial;
        n.tick_scale = has(kFaultClock) ? 1.0 + (rng_.unit() - 0.5) * 0.1 : 1.0;
        boot(n);
    }
    schedule(rng_.range(50 * kMs, 300 * kMs), EventKind::kChaos);
    schedule(rng_.range(1 * kMs, 20 * kMs), EventKind::kClient);
    schedule(fault_end_, EventKind::kHeal);

    while (!queue_.empty() && !done_) {
        Event ev = queue_.top();
        queue_.pop();
        now_ = ev.at;
        ++result_.events;
        handle(ev);
        if (checker_.failed()) break;
    }
    if (checker_.failed()) {
        result_.ok = false;
        result_.violation = checker_.violation();
    } else if (!done_ && result_.ok) {
        result_.ok = false;
        result_.violation = "simulation ran out of events";
    }
    if (!result_.ok) trace("VIOLATION: " + result_.violation);
    result_.trace_hash = hash_;
    result_.writes_acked = checker_.writes_acked();
    result_.reads_checked = checker_.reads_checked();
    return std::move(result_);
}

}  // namespace

SimResult run_simulation(const SimOptions& options) {
    Simulation sim(options);
    return sim.run();
}

}  // namespace orcraft::raft::sim
