// Basic value types shared by every part of the Raft core: identifiers, log entries, persistent
// state and cluster configurations. Nothing here performs I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace orcraft::raft {

// A node identifier. 0 means "nobody" (no leader known, no vote cast); real nodes use 1 and up.
// The runtime maps identifiers to network addresses; the core never sees addresses.
using NodeId = std::uint64_t;
using Term = std::uint64_t;
using Index = std::uint64_t;

inline constexpr NodeId kNoNode = 0;

// What a log entry carries. The core interprets only kConfChange (whose data is an encoded
// ConfState, see conf_change.hpp); kNormal data is opaque bytes for the application and
// kNoop is the empty entry every new leader appends to commit an entry of its own term.
enum class EntryType : std::uint8_t { kNormal = 0, kConfChange = 1, kNoop = 2 };

struct Entry {
    Index index = 0;
    Term term = 0;
    EntryType type = EntryType::kNormal;
    std::string data;

    bool operator==(const Entry&) const = default;
};

// Reads durable entries back (Config::load_entries): entries lo, lo + 1, ... up to hi, stopping
// after max_bytes but with at least one entry. May return fewer, or none when they cannot be
// read now.
using EntryLoader = std::function<std::vector<Entry>(Index lo, Index hi, std::size_t max_bytes)>;

// The state that must survive a crash besides the log: the current term, the vote cast in it,
// and the commit index (persisting the commit index is not required for safety, but lets a
// restarted node re-apply its committed entries without waiting for a leader).
struct HardState {
    Term term = 0;
    NodeId vote = kNoNode;
    Index commit = 0;

    bool operator==(const HardState&) const = default;
};

// A cluster configuration: the voting members and the learners (members that receive the log
// but neither vote nor count towards a commit quorum). Both lists are sorted and disjoint.
struct ConfState {
    std::vector<NodeId> voters;
    std::vector<NodeId> learners;

    bool operator==(const ConfState&) const = default;
    bool is_voter(NodeId id) const;
    bool is_learner(NodeId id) const;
    bool is_member(NodeId id) const { return is_voter(id) || is_learner(id); }
};

// Describes the state-machine snapshot that replaces the log up to and including `index`.
// `conf` is the configuration in force at `index`.
struct SnapshotMeta {
    Index index = 0;
    Term term = 0;
    ConfState conf;

    bool operator==(const SnapshotMeta&) const = default;
};

// A snapshot: its description plus the application's serialized state. The bytes are shared
// and immutable so that a leader can stream one snapshot to several followers without copies.
struct Snapshot {
    SnapshotMeta meta;
    std::shared_ptr<const std::string> data;
};

// Everything a restarted node reloads from durable storage to rebuild its core. `entries`
// are the log entries that follow `snapshot.meta.index`, in order and without gaps.
// `applied` is the last index the application's state machine already reflects (at least the
// snapshot index); committed entries after it are handed out again for application.
struct Restored {
    HardState hard_state;
    Snapshot snapshot;
    std::vector<Entry> entries;
    Index applied = 0;
};

// Size of an entry as counted by flow control and batching limits.
inline std::size_t entry_size(const Entry& e) {
    return e.data.size() + 24;
}

}  // namespace orcraft::raft
