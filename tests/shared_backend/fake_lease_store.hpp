#pragma once
// An in-memory LeaseStore with the semantics of the active_node statements, timed by a clock the
// test controls (standing for the database server's NOW()), with failures on demand. Several
// LeaseElection objects may share one store, as nodes share one database.

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>

#include "backend/lease_election.hpp"

namespace orcraft::tests {

class FakeLeaseStore final : public backend::LeaseStore {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // `now` is the database's clock.
    explicit FakeLeaseStore(std::function<TimePoint()> now) : now_(std::move(now)) {}

    // When set, every call throws this message (the database is unreachable).
    std::optional<std::string> failure;
    // Called at the start of every call with the call's name; may advance the clock (a hung
    // query) or throw.
    std::function<void(const std::string& call)> on_call;
    // When set, renew() reports 0 rows even when it matched (a server that counts changed rows
    // only and a renewal that set the same value).
    bool renew_counts_zero = false;
    // What resolution() reports (the fake's own clock is exact).
    std::chrono::milliseconds clock_resolution{0};

    int prepared = 0;
    std::optional<backend::LeaseHolder> holder() const {
        if (!row_) return std::nullopt;
        return row_->holder;
    }
    // Moves the row's last renewal back (as if written `age` ago).
    void age_row(std::chrono::milliseconds age) {
        if (row_) row_->last -= age;
    }

    void prepare() override {
        enter("prepare");
        ++prepared;
    }
    bool insert_anchor(const backend::LeaseHolder& self) override {
        enter("insert_anchor");
        if (row_) return false;
        row_ = Row{self, now_()};
        return true;
    }
    bool take_over_expired(const backend::LeaseHolder& self, std::chrono::seconds lease) override {
        enter("take_over_expired");
        if (!row_ || !(row_->last < now_() - lease)) return false;
        row_ = Row{self, now_()};
        return true;
    }
    bool renew(const backend::LeaseHolder& self) override {
        enter("renew");
        if (!row_ || !(row_->holder == self)) return false;
        row_->last = now_();
        return !renew_counts_zero;
    }
    std::optional<backend::ActiveRow> active(std::chrono::seconds lease) override {
        enter("active");
        if (!row_) return std::nullopt;
        return backend::ActiveRow{row_->holder, row_->last >= now_() - lease};
    }
    void force(const backend::LeaseHolder& self) override {
        enter("force");
        row_ = Row{self, now_()};
    }
    void clear() override {
        enter("clear");
        row_.reset();
    }
    std::chrono::milliseconds resolution() const override { return clock_resolution; }
    void release(const backend::LeaseHolder& self) override {
        enter("release");
        if (row_ && row_->holder == self) row_.reset();
    }

  private:
    struct Row {
        backend::LeaseHolder holder;
        TimePoint last;
    };

    void enter(const std::string& call) {
        if (on_call) on_call(call);
        if (failure) throw std::runtime_error(*failure);
    }

    std::function<TimePoint()> now_;
    std::optional<Row> row_;
};

}  // namespace orcraft::tests
