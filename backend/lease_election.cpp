#include "backend/lease_election.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace orcraft::backend {

LeaseElection::LeaseElection(LeaseStore& store, ElectionOptions options)
    : store_(store),
      options_(std::move(options)),
      local_lease_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          options_.lease - store.resolution())) {
    if (local_lease_ <= options_.tick)
        spdlog::warn(
            "shared backend: a lease of {} s leaves {} ms after the store's clock resolution, not "
            "more than the {} ms tick: the active node cannot keep its lease",
            options_.lease.count(),
            std::chrono::duration_cast<std::chrono::milliseconds>(local_lease_).count(),
            options_.tick.count());
}

void LeaseElection::fail(const std::string& why) {
    std::lock_guard lock(mu_);
    if (elected_) spdlog::warn("shared backend: stepping down: {}", why);
    if (error_ != why) spdlog::warn("shared backend: election round failed: {}", why);
    elected_ = false;
    error_ = why;
    active_.reset();
}

void LeaseElection::tick() {
    const auto& self = options_.self;
    const auto lease = options_.lease;
    try {
        if (!prepared_) {
            store_.prepare();
            prepared_ = true;
        }
        bool believed = false;
        {
            std::lock_guard lock(mu_);
            believed = elected_;
        }
        const auto before = store_.active(lease);
        // Our row vanished while we held it: someone asked for a re-election, so let another
        // node win this round.
        if (believed && !before) sit_out_ = true;

        bool elected = false;
        const bool sat_out = sit_out_;
        std::optional<TimePoint> wrote;
        if (sit_out_) {
            sit_out_ = false;
        } else {
            auto sent = options_.now();
            if (store_.insert_anchor(self)) {
                elected = true;
                wrote = sent;
            } else if (sent = options_.now(); store_.take_over_expired(self, lease)) {
                elected = true;
                wrote = sent;
            } else if (sent = options_.now(); store_.renew(self)) {
                elected = true;
                wrote = sent;
            }
        }
        const auto after = store_.active(lease);
        const bool ours = after && after->holder == self;
        // A renewal that counted no row but left the row ours and fresh still holds the lease;
        // the local expiry stays at the last counted write, which is the safe side.
        if (!elected && !sat_out && ours && after->fresh) elected = true;
        // Someone else wrote the row after us (grab-election elsewhere): not ours any more.
        if (elected && !ours) elected = false;

        // Health counts from the round's last answer, not from its start: a round that hung
        // for seconds and then finished (the database resumed) proves the database answers now.
        // The lease never relies on this; it counts from lease_sent_.
        const auto answered = options_.now();
        std::lock_guard lock(mu_);
        if (elected && !elected_) spdlog::info("shared backend: this node is now the active node");
        if (!elected && elected_) spdlog::info("shared backend: this node is no longer active");
        if (!error_.empty() && last_ok_) spdlog::info("shared backend: backend reachable again");
        elected_ = elected;
        if (wrote) lease_sent_ = wrote;
        last_ok_ = answered;
        error_.clear();
        if (after && after->fresh)
            active_ = after->holder;
        else
            active_.reset();
    } catch (const std::exception& e) {
        fail(e.what());
    }
}

void LeaseElection::reelect() {
    store_.clear();
    std::lock_guard lock(mu_);
    if (elected_) {
        spdlog::info("shared backend: re-election requested, stepping down");
        elected_ = false;
        sit_out_ = true;
    }
    active_.reset();
}

void LeaseElection::grab() {
    const auto sent = options_.now();
    store_.force(options_.self);
    std::lock_guard lock(mu_);
    if (!elected_) spdlog::info("shared backend: this node grabbed the election");
    elected_ = true;
    sit_out_ = false;
    lease_sent_ = sent;
    last_ok_ = sent;
    error_.clear();
    active_ = options_.self;
}

void LeaseElection::resign() {
    {
        std::lock_guard lock(mu_);
        if (!elected_) return;
        elected_ = false;
        active_.reset();
    }
    try {
        store_.release(options_.self);
        spdlog::info("shared backend: gave up the active-node lease");
    } catch (const std::exception& e) {
        spdlog::warn("shared backend: could not give up the lease ({}); it expires on its own",
                     e.what());
    }
}

ElectionState LeaseElection::state() const {
    const auto now = options_.now();
    std::lock_guard lock(mu_);
    ElectionState s;
    if (!error_.empty()) {
        s.error = error_;
    } else if (!last_ok_ || now - *last_ok_ >= options_.lease) {
        s.error = "no answer from the backend within the lease";
    } else {
        s.healthy = true;
    }
    s.elected = s.healthy && elected_ && lease_sent_ && now < *lease_sent_ + local_lease_;
    if (s.healthy && active_ && (s.elected || !(*active_ == options_.self))) s.active = active_;
    return s;
}

ElectionRunner::ElectionRunner(LeaseElection& election)
    : election_(election), thread_([this] { loop(); }) {}

ElectionRunner::~ElectionRunner() {
    stop();
}

bool ElectionRunner::post(std::function<void()> command) {
    {
        std::lock_guard lock(mu_);
        if (stopping_) return false;
        commands_.push_back(std::move(command));
    }
    cv_.notify_one();
    return true;
}

void ElectionRunner::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void ElectionRunner::loop() {
    using Clock = std::chrono::steady_clock;
    auto next = Clock::now();
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait_until(lock, next, [&] { return stopping_ || !commands_.empty(); });
        auto commands = std::move(commands_);
        commands_.clear();
        const bool stopping = stopping_;
        if (commands.empty() && !stopping && Clock::now() < next) continue;
        lock.unlock();
        // Commands accepted before stop() still run, so their callers get an answer.
        for (auto& command : commands)
            command();
        if (stopping) return;
        election_.tick();
        lock.lock();
        next = Clock::now() + election_.options().tick;
    }
}

}  // namespace orcraft::backend
