#pragma once
// What every service does with a request's statements: check them against the portable dialect
// before anything runs or enters the log (so bad SQL is refused with an error naming the
// statement and the construct), and turn a driver's outcome into the reply the HTTP layer maps to
// a status code.

#include <optional>
#include <string>
#include <vector>

#include "backend/driver.hpp"
#include "backend/service.hpp"

namespace orcraft::backend {

struct StatementProblem {
    std::size_t statement = 0;
    std::string message;
};

// For the execute endpoint: every statement must be valid portable SQL and must not be a query.
std::optional<StatementProblem> check_writes(const std::vector<Statement>& batch);

// For the query endpoint: every statement must be valid portable SQL and read-only.
std::optional<StatementProblem> check_reads(const std::vector<Statement>& statements);

// The reply refusing a write request at once (no statements, or a check_writes() problem), or
// nullopt when it may run.
std::optional<ExecuteReply> refuse_writes(const std::vector<Statement>& batch);

// The same for a query request (check_reads()).
std::optional<QueryReply> refuse_reads(const std::vector<Statement>& statements);

// Runs a batch on the driver (see Driver::execute) and reports it as a reply: statement errors as
// BadRequest naming the statement, backend failures (logged) as BackendFailure.
ExecuteReply apply_batch(Driver& driver, const std::vector<Statement>& batch, const Stamp& stamp,
                         std::uint64_t index);

// Runs read-only statements on the driver (see Driver::query) and reports them as a reply.
QueryReply run_reads(Driver& driver, const std::vector<Statement>& statements);

}  // namespace orcraft::backend
