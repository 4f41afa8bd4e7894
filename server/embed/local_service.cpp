#include "server/embed/local_service.hpp"

#include <spdlog/spdlog.h>

#include "backend/command.hpp"
#include "backend/raft_service.hpp"
#include "backend/statement_checks.hpp"

namespace orcraft::embed {
namespace {

// The term a standalone node's entries carry: there is one leader, forever.
constexpr raft::Term kStandaloneTerm = 1;

raft::ProposeOutcome stopped_outcome(std::string why) {
    raft::ProposeOutcome outcome;
    outcome.error = raft::ProposeError::kStopped;
    outcome.message = std::move(why);
    return outcome;
}

}  // namespace

LocalService::LocalService(std::shared_ptr<backend::SqlStateMachine> state_machine,
                           LocalServiceOptions options)
    : state_machine_(std::move(state_machine)),
      options_(std::move(options)),
      clock_(options_.clock_micros, options_.random),
      next_index_(state_machine_->applied_index() + 1),
      apply_(1),
      readers_(options_.reader_threads) {
    // Continue the stamps of the commands already applied, so NOW() never goes back.
    clock_.observe(state_machine_->last_applied_stamp());
    spdlog::info("embedded standalone node ready on {} backend, applied index {}",
                 state_machine_->driver().kind(), next_index_ - 1);
}

LocalService::~LocalService() {
    stop();
}

std::string LocalService::failure() const {
    std::lock_guard lock(failure_mutex_);
    return failure_;
}

void LocalService::propose_command(std::string name, std::string payload,
                                   std::function<void(raft::ProposeOutcome)> done) {
    auto task = [this, name = std::move(name), payload = std::move(payload), done]() mutable {
        if (auto why = failure(); !why.empty()) {
            done(stopped_outcome("node stopped: " + why));
            return;
        }
        raft::Entry entry;
        entry.index = next_index_;
        entry.term = kStandaloneTerm;
        entry.type = raft::EntryType::kNormal;
        entry.data = backend::encode_command(
            backend::Command{std::move(name), clock_.next(), std::move(payload)});
        raft::ProposeOutcome outcome;
        try {
            outcome.result = state_machine_->apply(entry);
        } catch (const std::exception& e) {
            // The entry's effect is unknown: stop taking writes, as a raft node does.
            spdlog::critical("standalone node: applying index {} failed: {}; writes stopped",
                             entry.index, e.what());
            {
                std::lock_guard lock(failure_mutex_);
                failure_ = std::string("applying index ") + std::to_string(entry.index) +
                           " failed: " + e.what();
            }
            done(stopped_outcome(failure()));
            return;
        }
        outcome.index = entry.index;
        ++next_index_;
        done(std::move(outcome));
    };
    if (stopped_ || !apply_.post(std::move(task))) {
        done(stopped_outcome("node is shutting down"));
    }
}

void LocalService::execute(std::vector<backend::Statement> batch,
                           std::function<void(backend::ExecuteReply)> done) {
    if (auto refusal = backend::refuse_writes(batch)) {
        done(std::move(*refusal));
        return;
    }
    propose_command(
        std::string(backend::kSqlCommand), backend::encode_sql_batch(batch),
        [done](raft::ProposeOutcome outcome) { done(backend::execute_reply_of(outcome)); });
}

void LocalService::query(std::vector<backend::Statement> statements, backend::ReadConsistency,
                         std::function<void(backend::QueryReply)> done) {
    if (auto refusal = backend::refuse_reads(statements)) {
        done(std::move(*refusal));
        return;
    }
    auto task = [this, statements = std::move(statements), done]() mutable {
        done(backend::run_reads(state_machine_->driver(), statements));
    };
    if (stopped_ || !readers_.post(std::move(task))) {
        done(backend::QueryReply{
            backend::Failure::NotLeader, "node is shutting down", std::nullopt, {}});
    }
}

backend::NodeStatus LocalService::status() {
    backend::NodeStatus s;
    s.error = failure();
    if (stopped_ && s.error.empty()) s.error = "node is shutting down";
    s.healthy = s.error.empty();
    s.is_leader = !stopped_;
    s.hostname = options_.hostname;
    s.token = options_.token;
    s.leader = options_.hostname;
    s.leader_token = options_.token;
    s.available_nodes = {options_.hostname};
    s.mode = "standalone";
    return s;
}

void LocalService::stop() {
    stopped_ = true;
    apply_.stop();
    readers_.stop();
}

}  // namespace orcraft::embed
