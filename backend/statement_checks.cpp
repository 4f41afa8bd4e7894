#include "backend/statement_checks.hpp"

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

}  // namespace orcraft::backend
