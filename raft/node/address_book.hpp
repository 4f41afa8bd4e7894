// Where each cluster member is reached. A configuration (ConfState) names members by id only;
// the runtime keeps their addresses here and tells the transport whom to dial.
//
// Sources, all merged (a later address for the same id replaces the earlier one):
//  - the bootstrap list of the node's options;
//  - member records in the log: the leader appends one before it adds a member, so every node
//    learns the new member's address from the log, in log order;
//  - snapshots: the runtime frames every snapshot as (address book, state machine bytes), so a
//    member that catches up through a snapshot, or restarts after a compaction, still knows the
//    addresses of members added before it;
//  - handshakes of peers that dialled us (their identity "ip:port" is their address).
//
// Thread-safe (the loop thread and the apply thread both use it).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raft/transport/transport.hpp"

namespace orcraft::raft {

class AddressBook {
  public:
    // Adds or replaces the address of p.id. Returns true if anything changed.
    bool add(const PeerAddress& p);
    // Adds p only if p.id has no address yet (for addresses learned from handshakes, which must
    // not override a configured host name).
    bool add_if_unknown(const PeerAddress& p);
    // Adds p from a member record: replaces a known address only if the identity differs (a
    // configured host name stays in use for the identity it resolves to).
    bool add_record(const PeerAddress& p);
    std::optional<PeerAddress> find(NodeId id) const;
    // The addresses of `ids`, in the same order; an id without a known address yields a
    // PeerAddress with only the id set.
    std::vector<PeerAddress> lookup(const std::vector<NodeId>& ids) const;
    std::vector<PeerAddress> all() const;

    // Stable binary encoding of the whole book (for snapshots).
    std::string encode() const;
    // Adds the addresses of an encoded book (as add_record does). Returns true if anything
    // changed; false also for malformed bytes.
    bool merge_encoded(std::string_view bytes);

  private:
    mutable std::mutex mu_;
    std::map<NodeId, PeerAddress> peers_;
};

// "ip:port" (or "[v6]:port") split into host and port; nullopt if it has no valid port.
std::optional<PeerAddress> address_from_identity(NodeId id, const std::string& identity);

// ---- member records ----
// A member record is a kNormal log entry whose bytes start with a reserved prefix. The runtime
// appends it, learns the address from it, and hands the state machine a no-op marker in its
// place. Proposals whose bytes start with the prefix are refused, so the two never mix.
bool is_member_record(std::string_view data);
std::string encode_member_record(const PeerAddress& p);
std::optional<PeerAddress> decode_member_record(std::string_view data);

// ---- snapshot framing ----
// The bytes the core streams and the log store keeps: a magic, the encoded address book, and
// the state machine's bytes. An empty string is an empty snapshot (no book, no state).
std::string frame_snapshot(const std::string& book, const std::string& state);
// The frame's beginning: frame_snapshot(book, state) == snapshot_frame_prefix(book) + state.
std::string snapshot_frame_prefix(const std::string& book);
struct SnapshotParts {
    std::string_view book;
    std::string_view state;
};
// nullopt if the bytes are not a framed snapshot.
std::optional<SnapshotParts> unframe_snapshot(std::string_view data);

}  // namespace orcraft::raft
