#include "raft/node/progress_log.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace orcraft::raft {
namespace {

double seconds_between(ProgressTime from, ProgressTime to) {
    return std::chrono::duration<double>(to - from).count();
}

// Megabytes per second; 0 over an empty interval.
double rate_mb(std::uint64_t bytes, double seconds) {
    return seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0;
}

int percent(std::uint64_t part, std::uint64_t whole) {
    if (whole == 0) return 0;
    return static_cast<int>(std::min<std::uint64_t>(100, part * 100 / whole));
}

}  // namespace

std::string format_size(std::uint64_t bytes) {
    if (bytes < 1'000'000) return fmt::format("{:.1f} kB", static_cast<double>(bytes) / 1e3);
    return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
}

// ---- SnapshotReceiveLog ----

SnapshotReceiveLog::SnapshotReceiveLog(std::string who, std::chrono::milliseconds idle_timeout)
    : who_(std::move(who)), idle_timeout_(idle_timeout) {}

std::optional<SnapshotReceiveLog::Progress> SnapshotReceiveLog::on_chunk(const Message& m,
                                                                         Term term,
                                                                         ProgressTime now) {
    const bool same =
        transfer_ && transfer_->index == m.snapshot.index && transfer_->term == m.snapshot.term;
    if (!same) {
        if (m.offset != 0) return std::nullopt;  // the core asks the leader to start over
        if (transfer_) {
            spdlog::info(
                "raft {}: snapshot at index {} (term {}) superseded after {} by the one at "
                "index {}",
                who_, transfer_->index, transfer_->term, format_size(transfer_->received),
                m.snapshot.index);
        }
        transfer_ =
            Transfer{m.snapshot.index, m.snapshot.term, 0, m.snapshot_bytes, now, now, now, 0};
        spdlog::info("raft {}: receiving a snapshot at index {} (term {}) in term {}: {}", who_,
                     m.snapshot.index, m.snapshot.term, term,
                     m.snapshot_bytes ? format_size(m.snapshot_bytes) : "size unknown");
    } else if (m.offset != transfer_->received) {
        return std::nullopt;  // a duplicate or a gap: the core tells the leader where to resume
    }
    Transfer& t = *transfer_;
    t.received += m.chunk.size();
    t.last_chunk = now;
    if (m.snapshot_bytes) t.total = m.snapshot_bytes;
    if (m.done) {
        const double secs = seconds_between(t.started, now);
        spdlog::info(
            "raft {}: received the snapshot at index {} (term {}) in term {}: {} in {:.1f} s "
            "({:.1f} MB/s); installing it",
            who_, t.index, t.term, term, format_size(t.received), secs, rate_mb(t.received, secs));
        transfer_.reset();
        return Progress{0, 0};
    }
    if (now - t.last_line >= kProgressInterval) {
        const double secs = seconds_between(t.last_line, now);
        spdlog::info(
            "raft {}: receiving the snapshot at index {} (term {}) in term {}: {}% ({} of "
            "{}), {:.1f} MB/s",
            who_, t.index, t.term, term, percent(t.received, t.total), format_size(t.received),
            format_size(t.total), rate_mb(t.received - t.received_at_last_line, secs));
        t.last_line = now;
        t.received_at_last_line = t.received;
    }
    return Progress{t.received, t.total};
}

bool SnapshotReceiveLog::expire(ProgressTime now) {
    if (!transfer_ || now - transfer_->last_chunk < idle_timeout_) return false;
    spdlog::warn(
        "raft {}: gave up waiting for the rest of the snapshot at index {} (term {}): "
        "nothing for {} s after {} of {}",
        who_, transfer_->index, transfer_->term,
        std::chrono::duration_cast<std::chrono::seconds>(idle_timeout_).count(),
        format_size(transfer_->received), format_size(transfer_->total));
    transfer_.reset();
    return true;
}

// ---- ReplicationProgressLog ----

ReplicationProgressLog::ReplicationProgressLog(std::string who, Thresholds thresholds)
    : who_(std::move(who)), thresholds_(thresholds) {}

void ReplicationProgressLog::reset() {
    catching_up_.clear();
    sending_.clear();
}

void ReplicationProgressLog::observe(ProgressTime now, Term term, Index last_index,
                                     const std::vector<MemberReplication>& members) {
    // Members no longer in the configuration are forgotten.
    auto present = [&members](NodeId id) {
        return std::any_of(members.begin(), members.end(),
                           [id](const MemberReplication& m) { return m.id == id; });
    };
    std::erase_if(catching_up_, [&](const auto& kv) { return !present(kv.first); });
    std::erase_if(sending_, [&](const auto& kv) { return !present(kv.first); });
    for (const MemberReplication& m : members) {
        observe_snapshot(now, term, m);
        observe_catch_up(now, term, last_index, m);
    }
}

void ReplicationProgressLog::observe_snapshot(ProgressTime now, Term term,
                                              const MemberReplication& m) {
    auto it = sending_.find(m.id);
    if (it != sending_.end() && (!m.sending_snapshot || it->second.index != m.snapshot_index)) {
        const Sending& s = it->second;
        const double secs = seconds_between(s.started, now);
        spdlog::info(
            "raft {}: the snapshot at index {} (term {}) went to {} in term {}: {} in "
            "about {:.0f} s",
            who_, s.index, s.term, m.name, term, format_size(s.total), std::max(1.0, secs));
        sending_.erase(it);
        it = sending_.end();
    }
    if (!m.sending_snapshot) return;
    if (it == sending_.end()) {
        sending_.emplace(m.id, Sending{m.snapshot_index, m.snapshot_term, m.snapshot_bytes, now,
                                       now, m.snapshot_acked});
        spdlog::info(
            "raft {}: sending the snapshot at index {} (term {}) to {} in term {}: {}% "
            "({} of {})",
            who_, m.snapshot_index, m.snapshot_term, m.name, term,
            percent(m.snapshot_acked, m.snapshot_bytes), format_size(m.snapshot_acked),
            format_size(m.snapshot_bytes));
        return;
    }
    Sending& s = it->second;
    const double secs = seconds_between(s.last_time, now);
    const std::uint64_t sent =
        m.snapshot_acked >= s.last_acked ? m.snapshot_acked - s.last_acked : 0;
    spdlog::info(
        "raft {}: sending the snapshot at index {} (term {}) to {} in term {}: {}% ({} "
        "of {}), {:.1f} MB/s",
        who_, s.index, s.term, m.name, term, percent(m.snapshot_acked, s.total),
        format_size(m.snapshot_acked), format_size(s.total), rate_mb(sent, secs));
    s.last_time = now;
    s.last_acked = m.snapshot_acked;
}

void ReplicationProgressLog::observe_catch_up(ProgressTime now, Term term, Index last_index,
                                              const MemberReplication& m) {
    const Index behind = last_index > m.match ? last_index - m.match : 0;
    auto it = catching_up_.find(m.id);
    if (!m.reachable) {
        if (it != catching_up_.end() && !it->second.unreachable) {
            it->second.unreachable = true;
            spdlog::info(
                "raft {}: {} stopped answering in term {} while {} entries behind (match {}); "
                "catching up resumes when it answers",
                who_, m.name, term, behind, m.match);
        }
        return;
    }
    if (it == catching_up_.end()) {
        if (behind <= thresholds_.behind) return;
        catching_up_.emplace(m.id, CatchUp{now, m.match, now, m.match});
        spdlog::info(
            "raft {}: {} is {} entries behind in term {} (match {}, last index {}); "
            "catching it up",
            who_, m.name, behind, term, m.match, last_index);
        return;
    }
    CatchUp& c = it->second;
    if (c.unreachable) {
        // Answering again: the rate counts from now, not across the silence.
        c.unreachable = false;
        c.last_time = now;
        c.last_match = m.match;
    }
    if (behind <= thresholds_.caught_up) {
        const double secs = seconds_between(c.started, now);
        spdlog::info(
            "raft {}: {} caught up in term {} after {:.1f} s ({} entries, match {}, last "
            "index {})",
            who_, m.name, term, secs, m.match > c.start_match ? m.match - c.start_match : 0,
            m.match, last_index);
        catching_up_.erase(it);
        return;
    }
    // While a snapshot is on its way, its own lines tell the progress.
    if (!m.sending_snapshot) {
        const double secs = seconds_between(c.last_time, now);
        const Index gained = m.match > c.last_match ? m.match - c.last_match : 0;
        spdlog::info(
            "raft {}: {} catching up in term {}: {} entries left (match {}, last index "
            "{}), {:.0f} entries/s",
            who_, m.name, term, behind, m.match, last_index,
            secs > 0 ? static_cast<double>(gained) / secs : 0.0);
    }
    c.last_time = now;
    c.last_match = m.match;
}

// ---- SnapshotCreationLog ----

SnapshotCreationLog::SnapshotCreationLog(std::string who, Index index,
                                         std::function<ProgressTime()> now)
    : who_(std::move(who)), index_(index), now_(std::move(now)) {
    started_ = now_();
    last_line_ = started_;
}

void SnapshotCreationLog::report(std::uint64_t rows, std::uint64_t bytes) {
    const ProgressTime now = now_();
    if (now - last_line_ < kProgressInterval) return;
    const double secs = seconds_between(started_, now);
    spdlog::info(
        "raft {}: taking a snapshot at index {}: {} rows, {} so far in {:.1f} s ({:.1f} "
        "MB/s)",
        who_, index_, rows, format_size(bytes), secs, rate_mb(bytes, secs));
    last_line_ = now;
}

}  // namespace orcraft::raft
