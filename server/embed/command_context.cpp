#include "server/embed/command_context.hpp"

#include <spdlog/spdlog.h>

#include "backend/dialect.hpp"

namespace orcraft::embed {
namespace {

// The rejection for a statement outside the portable dialect, or of the wrong kind. The
// dialect's messages come from orcraft itself, so they are the same on every node.
void check_statements(const std::vector<Statement>& statements, bool reads) {
    for (std::size_t i = 0; i < statements.size(); ++i) {
        backend::dialect::StatementKind kind;
        try {
            kind = backend::dialect::check(statements[i].sql);
        } catch (const backend::dialect::DialectError& e) {
            throw CommandRejected("statement " + std::to_string(i) + ": " + e.what());
        }
        const bool is_read = kind == backend::dialect::StatementKind::Read;
        if (reads && !is_read) {
            throw CommandRejected("statement " + std::to_string(i) +
                                  " is a write: CommandContext::read() runs queries only");
        }
        if (!reads && is_read) {
            throw CommandRejected("statement " + std::to_string(i) +
                                  " is a query: CommandContext::write() runs writes only");
        }
    }
}

}  // namespace

CommandContext::CommandContext(backend::Driver& driver, const Stamp& stamp, std::uint64_t index)
    : driver_(driver), stamp_(stamp), index_(index) {}

std::vector<QueryResult> CommandContext::read(const std::vector<Statement>& statements) {
    if (statements.empty()) return {};
    check_statements(statements, true);
    try {
        // The apply thread is the only writer, so a fresh read transaction sees exactly what the
        // commands before this one left.
        return driver_.query(statements);
    } catch (const backend::StatementQueryError& e) {
        // The database's own wording differs between backends: it is logged, never returned.
        spdlog::warn("command at index {}: read statement {} failed: {}", index_, e.statement(),
                     e.what());
        throw StatementFailed(e.statement(),
                              "statement " + std::to_string(e.statement()) + " of the read failed");
    }
}

std::vector<ExecResult> CommandContext::write(const std::vector<Statement>& batch) {
    if (written_) {
        spdlog::error("command at index {}: write() called a second time; not run", index_);
        throw CommandRejected("the command's handler called write() more than once");
    }
    if (batch.empty()) return {};
    check_statements(batch, false);
    written_ = true;
    auto outcome = backend::run_sql(driver_, stamp_, index_, batch);
    if (outcome.error) {
        spdlog::warn("command at index {}: statement {} failed: {}", index_,
                     outcome.error->statement, outcome.error->message);
        throw StatementFailed(
            outcome.error->statement,
            "statement " + std::to_string(outcome.error->statement) + " of the write failed");
    }
    return std::move(outcome.results);
}

void CommandContext::reject(const std::string& why) {
    throw CommandRejected(why);
}

backend::CommandHandler adapt_handler(CommandHandler handler) {
    return [handler = std::move(handler)](backend::Driver& driver, const Stamp& stamp,
                                          std::uint64_t index, const std::string& payload) {
        CommandContext context(driver, stamp, index);
        return handler(context, payload);
    };
}

}  // namespace orcraft::embed
