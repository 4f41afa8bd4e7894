#include "backend/standalone_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "backend/statement_checks.hpp"

namespace orcraft::backend {

StandaloneService::StandaloneService(std::unique_ptr<Driver> driver, StandaloneOptions options)
    : driver_(std::move(driver)),
      options_(std::move(options)),
      next_index_(driver_->applied_index() + 1),
      apply_(1),
      readers_(options_.reader_threads) {
    spdlog::info("standalone node ready on {} backend, applied index {}", driver_->kind(),
                 next_index_ - 1);
}

StandaloneService::~StandaloneService() {
    stop();
}

Stamp StandaloneService::next_stamp() {
    // Never go back in time, even when the wall clock does.
    last_stamp_ = std::max(options_.clock_micros(), last_stamp_);
    return Stamp{last_stamp_, options_.random()};
}

void StandaloneService::execute(std::vector<Statement> batch,
                                std::function<void(ExecuteReply)> done) {
    if (auto refusal = refuse_writes(batch)) {
        done(std::move(*refusal));
        return;
    }
    auto task = [this, batch = std::move(batch), done]() mutable {
        auto reply = apply_batch(*driver_, batch, next_stamp(), next_index_);
        backend_ok_ = reply.failure != Failure::BackendFailure;
        // A batch whose effect is unknown keeps its index: the retry must not apply it twice.
        if (backend_ok_) ++next_index_;
        done(std::move(reply));
    };
    if (!apply_.post(std::move(task))) {
        done(ExecuteReply{Failure::NotLeader, "node is shutting down", std::nullopt, {}, 0});
    }
}

void StandaloneService::query(std::vector<Statement> statements, ReadConsistency,
                              std::function<void(QueryReply)> done) {
    if (auto refusal = refuse_reads(statements)) {
        done(std::move(*refusal));
        return;
    }
    auto task = [this, statements = std::move(statements), done]() mutable {
        done(run_reads(*driver_, statements));
    };
    if (!readers_.post(std::move(task))) {
        done(QueryReply{Failure::NotLeader, "node is shutting down", std::nullopt, {}});
    }
}

NodeStatus StandaloneService::status() {
    NodeStatus s;
    s.healthy = backend_ok_;
    if (!s.healthy) s.error = "backend unavailable";
    s.is_leader = true;
    s.hostname = options_.hostname;
    s.token = options_.token;
    s.leader_token = options_.token;
    s.leader = options_.hostname;
    s.available_nodes = {options_.hostname};
    s.mode = "standalone";
    return s;
}

void StandaloneService::stop() {
    apply_.stop();
    readers_.stop();
}

}  // namespace orcraft::backend
