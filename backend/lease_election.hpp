#pragma once
// The active-node lease election of the shared-backend mode (RaftEnabled false with MySQL; spec
// orchestrator-compat.md §6).
//
// Several nodes share one database. The table active_node holds at most one row (anchor = 1)
// naming the active node by host name and process token, with the database server's time of its
// last renewal. Every tick, each node runs the same steps against the database, all timed by
// the database server's clock:
//   1. insert the anchor row with its own name (insert ignore): elected when a row was inserted;
//   2. else take the row over when its last renewal is as old as the lease: elected when a row
//      changed;
//   3. else renew the row when it names this node: still elected when it did;
//   4. else not elected.
//
// Staleness. A node never believes it is active on a lease that may have expired in the
// database. It remembers the local monotonic time at which it *sent* the last statement that
// wrote its lease (insert, take-over, renewal or grab); the database stamped that write no
// earlier, so the database lease cannot end before that local time plus the lease (less the
// store's clock resolution, see LeaseStore::resolution()). Once the
// local clock passes that point the node reports itself not elected, even when the election
// thread is stuck in a hung query. A round that fails (error or timeout) steps down at once and
// marks the node unhealthy; a healthy round heals both.
//
// Re-election. reelect() deletes the anchor row; the node that held it sits out one tick
// (when it sees its row gone), so that another node wins the next round. grab() replaces the
// row with this node at once.
//
// Threading. LeaseElection itself is driven from one thread (tick(), reelect(), grab() call the
// store); state() may be called from any thread. ElectionRunner owns that thread. The store and
// the clock are injected, so the decisions are tested against a fake store and a fake clock.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace orcraft::backend {

// A node's identity in the election: its host name and its per-process token.
struct LeaseHolder {
    std::string hostname;
    std::string token;
    bool operator==(const LeaseHolder&) const = default;
};

// The anchor row as read from the database.
struct ActiveRow {
    LeaseHolder holder;
    bool fresh = false;  // renewed within the lease, by the database's clock
};

// Where the lease lives. Every method runs one round trip (or a few) to the database and throws
// (any std::exception) when it fails or times out; the election then treats the round as failed.
// The "changed" results are the statement's affected-row counts, so an implementation must make
// a successful write count even when it sets the same values (e.g. microsecond timestamps).
class LeaseStore {
  public:
    virtual ~LeaseStore() = default;
    // Creates the tables when missing.
    virtual void prepare() = 0;
    // Step 1: inserts the anchor row naming `self` unless it exists; true when inserted.
    virtual bool insert_anchor(const LeaseHolder& self) = 0;
    // Step 2: rewrites the anchor row to `self` when its last renewal is older than `lease`;
    // true when it did.
    virtual bool take_over_expired(const LeaseHolder& self, std::chrono::seconds lease) = 0;
    // Step 3: renews the anchor row when it names `self`; true when it did.
    virtual bool renew(const LeaseHolder& self) = 0;
    // The anchor row, or nullopt when there is none; `fresh` judged against `lease`.
    virtual std::optional<ActiveRow> active(std::chrono::seconds lease) = 0;
    // grab-election: replaces the anchor row with `self`, renewed now.
    virtual void force(const LeaseHolder& self) = 0;
    // reelect: deletes the anchor row.
    virtual void clear() = 0;
    // Graceful shutdown: deletes the anchor row when it names `self`.
    virtual void release(const LeaseHolder& self) = 0;
    // The resolution of the store's clock. A row is expired once its age, in whole units of the
    // resolution, reaches the lease; another node may then take it over as early as
    // lease - resolution after the write, so a node counts its own lease as that much shorter.
    virtual std::chrono::milliseconds resolution() const { return std::chrono::milliseconds(0); }
};

struct ElectionOptions {
    LeaseHolder self;
    std::chrono::seconds lease{5};
    std::chrono::milliseconds tick{1000};
    // The local monotonic clock.
    std::function<std::chrono::steady_clock::time_point()> now = [] {
        return std::chrono::steady_clock::now();
    };
};

// What the election knows, evaluated at the time state() was called.
struct ElectionState {
    bool healthy = false;               // the last round reached the database, within the lease
    std::string error;                  // why not healthy
    bool elected = false;               // this node is the active node on an unexpired lease
    std::optional<LeaseHolder> active;  // the active node per the last round (a fresh row)
};

class LeaseElection {
  public:
    LeaseElection(LeaseStore& store, ElectionOptions options);

    // One round of the election (the steps above). Never throws: failures become state.
    void tick();
    // reelect: deletes the anchor row. When this node held it, it steps down and sits out the
    // next round. Throws what the store throws.
    void reelect();
    // grab-election: makes this node the active node now. Throws what the store throws.
    void grab();
    // Graceful shutdown: when this node is active, gives the lease up so that another node wins
    // the next round instead of waiting for the lease to expire. Never throws.
    void resign();

    ElectionState state() const;
    const ElectionOptions& options() const { return options_; }

  private:
    using TimePoint = std::chrono::steady_clock::time_point;
    void fail(const std::string& why);

    LeaseStore& store_;
    ElectionOptions options_;
    // How long after sending a lease write this node may count on it.
    std::chrono::steady_clock::duration local_lease_;
    bool prepared_ = false;  // election thread only
    bool sit_out_ = false;   // election thread only

    mutable std::mutex mu_;
    bool elected_ = false;
    std::optional<TimePoint> lease_sent_;  // when the last lease write was sent
    std::optional<TimePoint> last_ok_;     // when the last successful round ended
    std::string error_ = "election not run yet";
    std::optional<LeaseHolder> active_;
};

// Runs an election on a thread of its own: a round every tick, and operator commands
// (reelect, grab) between rounds, each followed by an immediate round.
class ElectionRunner {
  public:
    // `election` must outlive the runner. The first round runs at once.
    explicit ElectionRunner(LeaseElection& election);
    ~ElectionRunner();  // stops
    ElectionRunner(const ElectionRunner&) = delete;
    ElectionRunner& operator=(const ElectionRunner&) = delete;

    // Runs `command` on the election thread before the next round; `command` must not throw.
    // Returns false when the runner is stopped (the command is dropped).
    bool post(std::function<void()> command);
    // Finishes the round in progress and joins the thread.
    void stop();

  private:
    void loop();

    LeaseElection& election_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> commands_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace orcraft::backend
