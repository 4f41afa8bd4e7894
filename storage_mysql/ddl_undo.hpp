#pragma once
// Internal to storage_mysql. How to take back a DDL statement of a batch that cannot complete,
// so that a batch which creates tables or indexes and then fails (or whose process dies before
// the batch is recorded) leaves nothing behind, as on SQLite where DDL is transactional.
//
// Only creations are taken back: CREATE TABLE t → DROP TABLE IF EXISTS t, CREATE INDEX i ON t →
// DROP INDEX IF EXISTS i ON t, each only when the object did not exist before. Other DDL (ALTER,
// DROP, RENAME, TRUNCATE, ...) cannot be taken back without losing data; a batch containing it
// keeps MySQL's implicit commits and completes step by step after a crash instead (see
// mysql_driver.hpp).

#include <optional>
#include <string>
#include <vector>

#include "storage_mysql/connection.hpp"

namespace orcraft::storage_mysql::detail {

// The statement that takes back `sql` if it is about to run now: "" when nothing needs taking
// back (the object exists already, so the statement is a no-op or fails), nullopt when the
// statement cannot be taken back.
std::optional<std::string> undo_statement(Session& s, const std::string& sql);

// The undo log of one batch, stored in the progress marker: statements separated by newlines,
// or "!" once the batch did something that cannot be taken back.
struct UndoLog {
    static constexpr const char* kIrreversible = "!";
    static bool reversible(const std::string& log) { return log != kIrreversible; }
    static std::string append(const std::string& log, const std::optional<std::string>& undo);
    // The statements to run, last first.
    static std::vector<std::string> in_reverse(const std::string& log);
};

}  // namespace orcraft::storage_mysql::detail
