#include "backend/shared_backend_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "backend/statement_checks.hpp"

namespace orcraft::backend {
namespace {

ElectionOptions election_options(const SharedBackendOptions& o) {
    ElectionOptions e;
    e.self = LeaseHolder{o.hostname, o.token};
    e.lease = o.lease;
    e.tick = o.tick;
    e.now = o.now;
    return e;
}

}  // namespace

SharedBackendService::SharedBackendService(SharedBackendOpener open, SharedBackendOptions options)
    : options_(std::move(options)),
      apply_(1),
      readers_(options_.reader_threads),
      opener_([this, open = std::move(open)]() mutable { open_loop(std::move(open)); }) {}

SharedBackendService::~SharedBackendService() {
    stop();
}

void SharedBackendService::open_loop(SharedBackendOpener open) {
    auto delay = options_.tick;
    for (;;) {
        try {
            auto connections = open();
            if (!connections.data || !connections.lease)
                throw BackendError("the opener returned no connection");
            std::lock_guard lock(mu_);
            if (stopping_) return;
            driver_ = std::move(connections.data);
            store_ = std::move(connections.lease);
            election_ = std::make_unique<LeaseElection>(*store_, election_options(options_));
            runner_ = std::make_unique<ElectionRunner>(*election_);
            spdlog::info(
                "shared-backend node {} (token {}) ready on the {} backend{}; lease {} s, election "
                "every {} ms",
                options_.hostname, options_.token, driver_->kind(),
                open_attempts_ > 0
                    ? " after " + std::to_string(open_attempts_) + " failed attempts to open it"
                    : std::string(),
                options_.lease.count(), options_.tick.count());
            return;
        } catch (const SharedBackendSettingsError& e) {
            report_open_failure(e.what(), true);
        } catch (const std::exception& e) {
            report_open_failure(e.what(), false);
        }
        std::unique_lock lock(mu_);
        if (wake_.wait_for(lock, delay, [this] { return stopping_; })) return;
        delay = std::min<std::chrono::milliseconds>(
            delay * 2, std::max(options_.open_retry_max, options_.tick));
    }
}

void SharedBackendService::report_open_failure(const std::string& error, bool settings) {
    std::lock_guard lock(mu_);
    ++open_attempts_;
    if (error == open_error_) return;
    open_error_ = error;
    if (settings) {
        spdlog::error(
            "shared backend: cannot open the backend with these settings, check the "
            "configuration (retrying in the background): {}",
            error);
    } else {
        spdlog::warn("shared backend: cannot open the backend (retrying in the background): {}",
                     error);
    }
}

Driver* SharedBackendService::driver() {
    std::lock_guard lock(mu_);
    return driver_.get();
}

LeaseElection* SharedBackendService::election() {
    std::lock_guard lock(mu_);
    return election_.get();
}

std::string SharedBackendService::unavailable() {
    std::lock_guard lock(mu_);
    return "shared backend unavailable: " + open_error_;
}

void SharedBackendService::execute(std::vector<Statement> batch,
                                   std::function<void(ExecuteReply)> done) {
    if (auto refusal = refuse_writes(batch)) {
        done(std::move(*refusal));
        return;
    }
    Driver* const data = driver();
    if (!data) {
        done(ExecuteReply{Failure::NotLeader, unavailable(), std::nullopt, {}, 0});
        return;
    }
    auto task = [this, data, batch = std::move(batch), done]() mutable {
        // Index 0, no stamp: unlogged, timed by the database server (driver.hpp).
        done(apply_batch(*data, batch, Stamp{0, options_.random()}, 0));
    };
    if (!apply_.post(std::move(task))) {
        done(ExecuteReply{Failure::NotLeader, "node is shutting down", std::nullopt, {}, 0});
    }
}

void SharedBackendService::query(std::vector<Statement> statements, ReadConsistency,
                                 std::function<void(QueryReply)> done) {
    if (auto refusal = refuse_reads(statements)) {
        done(std::move(*refusal));
        return;
    }
    Driver* const data = driver();
    if (!data) {
        done(QueryReply{Failure::NotLeader, unavailable(), std::nullopt, {}});
        return;
    }
    auto task = [data, statements = std::move(statements), done]() mutable {
        done(run_reads(*data, statements));
    };
    if (!readers_.post(std::move(task))) {
        done(QueryReply{Failure::NotLeader, "node is shutting down", std::nullopt, {}});
    }
}

NodeStatus SharedBackendService::status() {
    NodeStatus s;
    if (LeaseElection* const election = this->election()) {
        const auto e = election->state();
        s.healthy = e.healthy;
        if (!s.healthy) s.error = "shared backend unavailable: " + e.error;
        s.is_leader = e.elected;
        if (e.active) {
            s.leader = e.active->hostname;
            s.leader_token = e.active->token;
        }
    } else {
        s.error = unavailable();
    }
    s.hostname = options_.hostname;
    s.token = options_.token;
    s.available_nodes = {options_.hostname};
    s.mode = "shared-backend";
    return s;
}

void SharedBackendService::reelect(std::function<void(ElectionReply)> done) {
    LeaseElection* const election = this->election();
    if (!election) {
        done(ElectionReply{false, "Unable to re-elect: " + unavailable()});
        return;
    }
    auto command = [election, done] {
        try {
            election->reelect();
            done(ElectionReply{true, "Set re-elections"});
        } catch (const std::exception& e) {
            done(ElectionReply{false, std::string("Unable to re-elect: ") + e.what()});
        }
    };
    if (!runner_->post(command)) done(ElectionReply{false, "node is shutting down"});
}

void SharedBackendService::grab_election(std::function<void(ElectionReply)> done) {
    LeaseElection* const election = this->election();
    if (!election) {
        done(ElectionReply{false, "Unable to grab election: " + unavailable()});
        return;
    }
    auto command = [election, done] {
        try {
            election->grab();
            done(ElectionReply{true, "Node elected as leader"});
        } catch (const std::exception& e) {
            done(ElectionReply{false, std::string("Unable to grab election: ") + e.what()});
        }
    };
    if (!runner_->post(command)) done(ElectionReply{false, "node is shutting down"});
}

void SharedBackendService::stop() {
    {
        std::lock_guard lock(mu_);
        if (stopped_) return;
        stopped_ = stopping_ = true;
    }
    wake_.notify_all();
    // An attempt in progress finishes first (bounded by the connect timeout); after the join,
    // the connections are either open or never will be.
    if (opener_.joinable()) opener_.join();
    if (runner_) {
        runner_->stop();
        election_->resign();
    }
    apply_.stop();
    readers_.stop();
}

}  // namespace orcraft::backend
