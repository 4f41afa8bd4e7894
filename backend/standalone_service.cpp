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
    if (batch.empty()) {
        done(ExecuteReply{Failure::BadRequest, "no statements", std::nullopt, {}, 0});
        return;
    }
    if (auto problem = check_writes(batch)) {
        done(ExecuteReply{Failure::BadRequest, problem->message, problem->statement, {}, 0});
        return;
    }
    auto task = [this, batch = std::move(batch), done]() mutable {
        ExecuteReply reply;
        try {
            const auto index = next_index_;
            auto outcome = driver_->execute(batch, next_stamp(), index);
            ++next_index_;
            backend_ok_ = true;
            reply.index = index;
            if (outcome.error) {
                reply.failure = Failure::BadRequest;
                reply.error = outcome.error->message;
                reply.statement = outcome.error->statement;
            } else {
                reply.results = std::move(outcome.results);
            }
        } catch (const BackendError& e) {
            backend_ok_ = false;
            spdlog::error("backend failure while applying a batch: {}", e.what());
            reply.failure = Failure::BackendFailure;
            reply.error = e.what();
        }
        done(std::move(reply));
    };
    if (!apply_.post(std::move(task))) {
        done(ExecuteReply{Failure::NotLeader, "node is shutting down", std::nullopt, {}, 0});
    }
}

void StandaloneService::query(std::vector<Statement> statements, ReadLevel,
                              std::function<void(QueryReply)> done) {
    if (statements.empty()) {
        done(QueryReply{Failure::BadRequest, "no statements", std::nullopt, {}});
        return;
    }
    if (auto problem = check_reads(statements)) {
        done(QueryReply{Failure::BadRequest, problem->message, problem->statement, {}});
        return;
    }
    auto task = [this, statements = std::move(statements), done]() mutable {
        QueryReply reply;
        try {
            reply.results = driver_->query(statements);
        } catch (const StatementQueryError& e) {
            reply.failure = Failure::BadRequest;
            reply.error = e.what();
            reply.statement = e.statement();
        } catch (const BackendError& e) {
            spdlog::error("backend failure while querying: {}", e.what());
            reply.failure = Failure::BackendFailure;
            reply.error = e.what();
        }
        done(std::move(reply));
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
