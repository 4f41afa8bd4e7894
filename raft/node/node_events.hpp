// What the node runtime reports as it works, for metrics: each durable log write, each batch
// applied, snapshots taken, received and installed, and state machine failures.
//
// The runtime calls a NodeEvents from its own threads (named at each method), never under one of
// its locks, once per batch or per snapshot chunk, never once per entry. A sink must be cheap and
// must not block nor call back into the node. Every method has an empty default, so a sink
// overrides what it needs.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace orcraft::raft {

class NodeEvents {
  public:
    virtual ~NodeEvents() = default;

    // Disk thread: one LogStore write (the batch's write plus its sync) made `entries` entries
    // durable in `seconds` (entries is 0 for a write of only a vote, a term or a snapshot).
    virtual void disk_write(std::uint64_t /*entries*/, double /*seconds*/) {}
    // Apply thread: the state machine applied a batch of `entries` committed entries in
    // `seconds`.
    virtual void applied(std::uint64_t /*entries*/, double /*seconds*/) {}
    // Loop thread: a snapshot of `bytes` was taken and saved in `seconds` (state machine copy
    // plus the durable save).
    virtual void snapshot_taken(std::uint64_t /*bytes*/, double /*seconds*/) {}
    // Apply thread: a snapshot of `bytes` received from the leader was installed into the state
    // machine in `seconds`.
    virtual void snapshot_installed(std::uint64_t /*bytes*/, double /*seconds*/) {}
    // Loop thread: bytes received so far of the snapshot the leader is sending, and its size (0
    // when the leader did not say). (0, 0) once it has been received whole or was abandoned.
    virtual void snapshot_receiving(std::uint64_t /*received*/, std::uint64_t /*total*/) {}
    // Apply thread: the state machine threw; `operation` is "apply", "snapshot" or "restore".
    // The node stops applying afterwards (see node.hpp).
    virtual void state_machine_failed(std::string_view /*operation*/) {}
};

// Where the runtime's threads send their events: a sink that can be replaced while they run.
//
// emit() costs one relaxed load when no sink is set, and two atomic additions otherwise; it
// never locks nor allocates. set() returns only once no thread still uses the previous sink, so
// its owner may destroy it right after set(nullptr) returned. set() must not be called from a
// sink.
class EventRelay {
  public:
    void set(NodeEvents* sink);

    template <typename F>
    void emit(F&& call) const {
        if (sink_.load(std::memory_order_relaxed) == nullptr) return;
        in_flight_.fetch_add(1, std::memory_order_seq_cst);
        if (NodeEvents* s = sink_.load(std::memory_order_seq_cst)) call(*s);
        in_flight_.fetch_sub(1, std::memory_order_seq_cst);
    }

  private:
    std::atomic<NodeEvents*> sink_{nullptr};
    mutable std::atomic<std::uint32_t> in_flight_{0};
};

}  // namespace orcraft::raft
