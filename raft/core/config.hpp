// Configuration of one Raft core. Times are counted in ticks: the runtime calls Core::tick() at
// a fixed period, 10 ms on a LAN (the defaults below assume that period).
//
// With the defaults a follower waits a random 30..59 ticks (300..590 ms) without hearing from a
// leader before it starts a pre-vote, and a leader sends a heartbeat every 3 ticks (30 ms), so
// roughly ten heartbeats fit in the shortest election timeout: a healthy cluster does not flap
// even when a few heartbeats are lost or delayed, and a killed leader is replaced about 0.3-0.6
// s later (one timeout plus a pre-vote and a vote round trip).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "raft/core/types.hpp"

namespace orcraft::raft {

struct Config {
    // This node's identifier (not 0).
    NodeId id = kNoNode;

    // Ticks without hearing from a leader before a follower campaigns; the actual timeout is
    // drawn uniformly from [election_ticks, 2 * election_ticks) after every reset.
    int election_ticks = 30;
    // Ticks between two heartbeats of a leader. Must be smaller than election_ticks.
    int heartbeat_ticks = 3;

    // Pre-vote (thesis 9.6): a node first asks whether it could win before it increments its
    // term, so a node that was partitioned away cannot force the cluster into a new term.
    bool pre_vote = true;
    // Check-quorum: a leader that has not heard from a majority within election_ticks steps
    // down, and a member that heard from a leader within election_ticks refuses (pre-)votes
    // unless the election comes from a leadership transfer.
    bool check_quorum = true;

    // Replication flow control: bytes of entries per kAppend (at least one entry is always
    // sent), and the limits on unacknowledged kAppend messages per member by count and bytes.
    std::size_t max_append_bytes = 256 * 1024;
    std::size_t max_inflight_msgs = 64;
    std::size_t max_inflight_bytes = 8 * 1024 * 1024;
    // Proposals are refused while this many bytes of entries are uncommitted (0: no limit).
    std::size_t max_uncommitted_bytes = 64 * 1024 * 1024;

    // Snapshot streaming: bytes per kSnapshot chunk, and heartbeat intervals without an
    // acknowledgement after which the leader resends from the member's last acknowledged offset.
    std::size_t snapshot_chunk_bytes = 512 * 1024;
    int snapshot_resend_heartbeats = 3;

    // When the leader's commit index advances, members that have no new entries to receive
    // normally get an empty kAppend at once to carry it. With this set they do not: the index
    // travels with the next kAppend that carries entries, and the runtime sends what is still
    // owed with send_commit_notices() a little later (or the next heartbeat carries it). Under
    // steady load every append carries the previous commit, which halves the messages per
    // write; the price is that followers apply (and serve weak reads) up to that delay later.
    bool defer_commit_notices = false;

    // Where the bytes of the latest snapshot come from once the core has let go of them. Unset,
    // the core keeps them in memory for as long as that snapshot is the latest. Set, it drops
    // them when the runtime reports them durable (Core::snapshot_persisted()) and calls this
    // function when a member needs that snapshot; the bytes then live only while they are
    // streamed. Called on the core's thread, so it must not block: returning nullptr means
    // they cannot be had now, and the core tries again at the member's next turn (an answer or
    // a heartbeat), which lets the runtime read them on another thread meanwhile.
    std::function<std::shared_ptr<const std::string>(const SnapshotMeta&)> load_snapshot;

    // Where entries come from once the core has let go of them. Unset, the core keeps every
    // entry after its latest snapshot in memory, and memory grows with the distance between
    // snapshots. Set, entries that are durable and applied ("settled") leave memory beyond the
    // most recent settled_cache_bytes of them, and this function reads them back when a member
    // needs them: entries lo.. up to hi, stopping after max_bytes but at least one, fewer or
    // none when that is all that can be read now (the core then tries again at the member's
    // next turn). The core checks every entry read against the term it knows for that index
    // and sends only those that match. Called on the core's thread, so it should be quick
    // (reads from the runtime's log files).
    EntryLoader load_entries;
    // Settled entries kept in memory with load_entries set, by entry_size(): the most recent
    // ones, for members that are a little behind.
    std::size_t settled_cache_bytes = 1024 * 1024;

    // A learner may be promoted only when its log is at most this many entries behind the
    // leader's commit index.
    Index promote_max_lag = 64;

    // Seed of the core's random source (election timeouts). The same seed and inputs give the
    // same outputs.
    std::uint64_t seed = 1;

    // TEST ONLY. Plants a known protocol bug: the leader commits entries of earlier terms by
    // counting replicas (Raft paper 5.4.2, figure 8), which can lose committed entries. Exists
    // so that the simulator can prove it detects such bugs. Never enable it elsewhere.
    bool testing_commit_previous_term_by_count = false;
    // TEST ONLY. Plants another known bug: the leader answers ReadIndex requests at once,
    // without confirming with a majority that it is still the leader, so a deposed leader can
    // serve stale reads. Never enable it elsewhere.
    bool testing_read_without_quorum = false;

    // Returns an empty string if the configuration is usable, otherwise what is wrong.
    std::string validate() const;
};

}  // namespace orcraft::raft
