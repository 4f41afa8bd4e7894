// The node runtime's implementation class, shared by the files that implement it:
//   node.cpp             start, the public calls, the inbox, stop
//   node_loop.cpp        the loop thread: inputs, the Ready cycle, reacting to changes
//   node_leadership.cpp  transfer, membership changes, snapshots taken by the apply thread
//   bootstrap.cpp        the first log of a new cluster
// Internal to raft/node; users include node.hpp.
#pragma once

#include <uv.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "raft/node/address_book.hpp"
#include "raft/node/apply_worker.hpp"
#include "raft/node/disk_worker.hpp"
#include "raft/node/node.hpp"
#include "raft/node/progress_log.hpp"
#include "raft/node/proposals.hpp"
#include "raft/node/snapshot_read_back.hpp"

namespace orcraft::raft::detail {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;
using Done = std::function<void(bool, std::string)>;

// The message of an exception, for logs and callbacks.
std::string describe(std::exception_ptr e);
// "ip:port, ip:port" for ids (the hex id where no address is known).
std::string id_list(const AddressBook& book, const std::vector<NodeId>& ids);

// The Node of node.hpp. The inbox and the published state are shared under their mutexes;
// everything else below `private:` belongs to the loop thread, except the workers' own
// thread-safe calls (ProposalTracker, AddressBook, DiskWorker::submit, ApplyWorker's queue).
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
    void set_events(NodeEvents* events) override { events_.set(events); }
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
    void note_snapshot_chunk(const Message& m);
    // A leader's progress lines for members far behind (progress_log.hpp), once a second.
    void log_replication_progress(Clock::time_point now);
    void pump();
    void note_entries(const std::vector<Entry>& entries);
    void finish_ready(ReadyTail tail);
    // Hands committed entries (in log order, after everything handed before) to the apply
    // thread.
    void hand_to_apply(std::vector<Entry> committed);
    void on_write_done(std::exception_ptr error, std::optional<HardState> written);
    // Arms the commit notice timer when the core owes members a newer commit index.
    void schedule_commit_notices();
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
    EventRelay events_;  // before the workers, which use it
    std::unique_ptr<LogStore> store_;
    AddressBook book_;
    ProposalTracker proposals_;

    uv_loop_t loop_{};
    uv_async_t async_{};
    uv_timer_t tick_timer_{};
    uv_timer_t notice_timer_{};
    Index notices_armed_at_ = 0;  // the commit index the notice timer was last armed for
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
    // Under inbox_mu_. drain_inbox() takes all three queues at once, so while any is not empty
    // a wake-up of the loop is pending already and a new item needs no uv_async_send().
    bool inbox_empty() const {
        return tasks_.empty() && proposals_in_.empty() && reads_in_.empty();
    }

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
    std::unique_ptr<SnapshotReadBack> snapshot_read_back_;
    std::uint64_t entries_read_back_ = 0;
    // When the loop last stepped a message from the leader, or ticked as the leader (steady
    // clock, ns; 0: never). Read by state() on any thread.
    std::atomic<std::int64_t> leader_contact_ns_{0};
    Clock::time_point next_read_back_log_{};
    SnapshotReceiveLog receive_log_;
    ReplicationProgressLog replication_log_;
    Clock::time_point next_progress_log_{};

    // Published for state() (any thread).
    mutable std::mutex state_mu_;
    NodeState shared_;

    std::mutex stop_mu_;
    bool stopped_ = false;
};

}  // namespace orcraft::raft::detail
