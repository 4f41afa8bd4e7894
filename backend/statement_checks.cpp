#include "backend/statement_checks.hpp"

#include <spdlog/spdlog.h>

#include "backend/dialect.hpp"

namespace orcraft::backend {
namespace {

template <typename Accept>
std::optional<StatementProblem> check_each(const std::vector<Statement>& statements,
                                           Accept accept) {
    for (std::size_t i = 0; i < statements.size(); ++i) {
        try {
            auto kind = dialect::check(statements[i].sql);
            if (auto refusal = accept(kind)) return StatementProblem{i, *refusal};
        } catch (const dialect::DialectError& e) {
            return StatementProblem{i, e.what()};
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<StatementProblem> check_writes(const std::vector<Statement>& batch) {
    return check_each(batch, [](dialect::StatementKind kind) -> std::optional<std::string> {
        if (kind == dialect::StatementKind::Read) {
            return "a query cannot be executed as a write: send it to /api/db/query";
        }
        return std::nullopt;
    });
}

std::optional<StatementProblem> check_reads(const std::vector<Statement>& statements) {
    return check_each(statements, [](dialect::StatementKind kind) -> std::optional<std::string> {
        if (kind != dialect::StatementKind::Read) {
            return "only read-only statements are accepted by /api/db/query: send writes to "
                   "/api/db/execute";
        }
        return std::nullopt;
    });
}

std::optional<ExecuteReply> refuse_writes(const std::vector<Statement>& batch) {
    if (batch.empty())
        return ExecuteReply{Failure::BadRequest, "no statements", std::nullopt, {}, 0};
    if (auto problem = check_writes(batch)) {
        return ExecuteReply{Failure::BadRequest, problem->message, problem->statement, {}, 0};
    }
    return std::nullopt;
}

std::optional<QueryReply> refuse_reads(const std::vector<Statement>& statements) {
    if (statements.empty())
        return QueryReply{Failure::BadRequest, "no statements", std::nullopt, {}};
    if (auto problem = check_reads(statements)) {
        return QueryReply{Failure::BadRequest, problem->message, problem->statement, {}};
    }
    return std::nullopt;
}

ExecuteReply apply_batch(Driver& driver, const std::vector<Statement>& batch, const Stamp& stamp,
                         std::uint64_t index) {
    ExecuteReply reply;
    try {
        auto outcome = driver.execute(batch, stamp, index);
        reply.index = index;
        if (outcome.error) {
            reply.failure = Failure::BadRequest;
            reply.error = outcome.error->message;
            reply.statement = outcome.error->statement;
        } else {
            reply.results = std::move(outcome.results);
        }
    } catch (const BackendError& e) {
        spdlog::error("backend failure while applying a batch: {}", e.what());
        reply.failure = Failure::BackendFailure;
        reply.error = e.what();
    }
    return reply;
}

QueryReply run_reads(Driver& driver, const std::vector<Statement>& statements) {
    QueryReply reply;
    try {
        reply.results = driver.query(statements);
    } catch (const StatementQueryError& e) {
        reply.failure = Failure::BadRequest;
        reply.error = e.what();
        reply.statement = e.statement();
    } catch (const BackendError& e) {
        spdlog::error("backend failure while querying: {}", e.what());
        reply.failure = Failure::BackendFailure;
        reply.error = e.what();
    }
    return reply;
}

}  // namespace orcraft::backend
