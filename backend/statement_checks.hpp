#pragma once
// Checks a request's statements against the portable dialect before anything runs or enters the
// log, so that bad SQL is refused with an error naming the statement and the construct.

#include <optional>
#include <string>
#include <vector>

#include "backend/driver.hpp"

namespace orcraft::backend {

struct StatementProblem {
    std::size_t statement = 0;
    std::string message;
};

// For the execute endpoint: every statement must be valid portable SQL and must not be a query.
std::optional<StatementProblem> check_writes(const std::vector<Statement>& batch);

// For the query endpoint: every statement must be valid portable SQL and read-only.
std::optional<StatementProblem> check_reads(const std::vector<Statement>& statements);

}  // namespace orcraft::backend
