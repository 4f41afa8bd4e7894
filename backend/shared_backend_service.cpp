#include "backend/shared_backend_service.hpp"

#include <spdlog/spdlog.h>

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

SharedBackendService::SharedBackendService(std::unique_ptr<Driver> data,
                                           std::unique_ptr<LeaseStore> lease,
                                           SharedBackendOptions options)
    : driver_(std::move(data)),
      store_(std::move(lease)),
      options_(std::move(options)),
      election_(*store_, election_options(options_)),
      apply_(1),
      readers_(options_.reader_threads),
      runner_(election_) {
    spdlog::info(
        "shared-backend node {} (token {}) ready on the {} backend; lease {} s, election every "
        "{} ms",
        options_.hostname, options_.token, driver_->kind(), options_.lease.count(),
        options_.tick.count());
}

SharedBackendService::~SharedBackendService() {
    stop();
}

void SharedBackendService::execute(std::vector<Statement> batch,
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
            // Index 0, no stamp: unlogged, timed by the database server (driver.hpp).
            auto outcome = driver_->execute(batch, Stamp{0, options_.random()}, 0);
            if (outcome.error) {
                reply.failure = Failure::BadRequest;
                reply.error = outcome.error->message;
                reply.statement = outcome.error->statement;
            } else {
                reply.results = std::move(outcome.results);
            }
        } catch (const BackendError& e) {
            spdlog::error("backend failure while writing a batch: {}", e.what());
            reply.failure = Failure::BackendFailure;
            reply.error = e.what();
        }
        done(std::move(reply));
    };
    if (!apply_.post(std::move(task))) {
        done(ExecuteReply{Failure::NotLeader, "node is shutting down", std::nullopt, {}, 0});
    }
}

void SharedBackendService::query(std::vector<Statement> statements, ReadLevel,
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

NodeStatus SharedBackendService::status() {
    const auto e = election_.state();
    NodeStatus s;
    s.healthy = e.healthy;
    if (!s.healthy) s.error = "shared backend unavailable: " + e.error;
    s.is_leader = e.elected;
    s.hostname = options_.hostname;
    s.token = options_.token;
    if (e.active) {
        s.leader = e.active->hostname;
        s.leader_token = e.active->token;
    }
    s.available_nodes = {options_.hostname};
    s.mode = "shared-backend";
    return s;
}

void SharedBackendService::reelect(std::function<void(ElectionReply)> done) {
    auto command = [this, done] {
        try {
            election_.reelect();
            done(ElectionReply{true, "Set re-elections"});
        } catch (const std::exception& e) {
            done(ElectionReply{false, std::string("Unable to re-elect: ") + e.what()});
        }
    };
    if (!runner_.post(command)) done(ElectionReply{false, "node is shutting down"});
}

void SharedBackendService::grab_election(std::function<void(ElectionReply)> done) {
    auto command = [this, done] {
        try {
            election_.grab();
            done(ElectionReply{true, "Node elected as leader"});
        } catch (const std::exception& e) {
            done(ElectionReply{false, std::string("Unable to grab election: ") + e.what()});
        }
    };
    if (!runner_.post(command)) done(ElectionReply{false, "node is shutting down"});
}

void SharedBackendService::stop() {
    {
        std::lock_guard lock(stop_mu_);
        if (stopped_) return;
        stopped_ = true;
    }
    runner_.stop();
    election_.resign();
    apply_.stop();
    readers_.stop();
}

}  // namespace orcraft::backend
