#pragma once
// Internal to storage_mysql. The one-row table orcraft_applied_index: the applied index, and the
// progress of a batch that contains DDL and therefore commits in steps (see mysql_driver.hpp).
// The row also keeps the results of the last batch, so that a batch whose COMMIT succeeded on a
// connection that was then lost can still report its results after reconnecting.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend/driver.hpp"
#include "storage_mysql/connection.hpp"

namespace orcraft::storage_mysql::detail {

struct Marker {
    std::uint64_t applied = 0;        // last entry fully applied
    std::uint64_t pending_index = 0;  // entry being applied in steps; 0 when none
    std::uint64_t pending_step = 0;   // statements of that entry already committed
    std::string pending_fingerprint;  // schema fingerprint taken before the DDL at pending_step
    std::string results;              // encoded results (see encode_results)
    std::string undo;                 // undo log of the pending entry (see ddl_undo.hpp)
};

// Creates the table and its row when missing.
void create_marker_table(Session& session);

Marker load_marker(Session& session);

// Writes the row in the session's current transaction (or on its own under autocommit).
void store_marker(Session& session, const Marker& marker);

// Results of completed statements, "rows:last_id;" each; a failed batch is "!statement:message".
std::string encode_results(const std::vector<backend::ExecResult>& results);
std::string encode_failure(const backend::StatementError& error);
// Decodes either form into an outcome (already_applied false).
backend::BatchOutcome decode_outcome(const std::string& encoded);

}  // namespace orcraft::storage_mysql::detail
