#include "storage_mysql/progress_marker.hpp"

#include <cppconn/statement.h>

#include <cstdlib>
#include <stdexcept>

namespace orcraft::storage_mysql::detail {

void create_marker_table(Session& session) {
    session.exec(
        "CREATE TABLE IF NOT EXISTS orcraft_applied_index ("
        " id TINYINT UNSIGNED NOT NULL PRIMARY KEY,"
        " applied_index BIGINT UNSIGNED NOT NULL,"
        " pending_index BIGINT UNSIGNED NOT NULL DEFAULT 0,"
        " pending_step BIGINT UNSIGNED NOT NULL DEFAULT 0,"
        " pending_fingerprint VARCHAR(64) NOT NULL DEFAULT '',"
        " results MEDIUMTEXT NOT NULL,"
        " undo_log MEDIUMTEXT NOT NULL"
        ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
    // Tables made by earlier versions of the driver lack the undo log.
    if (session.query_int("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                          "DATABASE() AND TABLE_NAME = 'orcraft_applied_index' AND COLUMN_NAME = "
                          "'undo_log'") == 0) {
        session.exec("ALTER TABLE orcraft_applied_index ADD COLUMN undo_log MEDIUMTEXT NOT NULL");
    }
    session.exec(
        "INSERT IGNORE INTO orcraft_applied_index (id, applied_index, results, undo_log) "
        "VALUES (1, 0, '', '')");
}

Marker load_marker(Session& session) {
    std::unique_ptr<sql::Statement> stmt(session.conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery(
        "SELECT applied_index, pending_index, pending_step, pending_fingerprint, results, undo_log "
        "FROM orcraft_applied_index WHERE id = 1"));
    if (!rs->next()) throw backend::BackendError("orcraft_applied_index has no row");
    Marker m;
    m.applied = rs->getUInt64(1);
    m.pending_index = rs->getUInt64(2);
    m.pending_step = rs->getUInt64(3);
    m.pending_fingerprint = rs->getString(4);
    m.results = rs->getString(5);
    m.undo = rs->getString(6);
    return m;
}

void store_marker(Session& session, const Marker& m) {
    // One round trip: a text statement with literals rather than prepare, execute and close.
    // Indexes stay far below 2^63, so they travel as signed integers.
    session.exec(interpolate(
        "UPDATE orcraft_applied_index SET applied_index = ?, pending_index = ?, "
        "pending_step = ?, pending_fingerprint = ?, results = ?, undo_log = ? WHERE id = 1",
        {static_cast<std::int64_t>(m.applied), static_cast<std::int64_t>(m.pending_index),
         static_cast<std::int64_t>(m.pending_step), m.pending_fingerprint, m.results, m.undo}));
}

std::string encode_results(const std::vector<backend::ExecResult>& results) {
    std::string out;
    for (const auto& r : results) {
        out += std::to_string(r.rows_affected) + ":" + std::to_string(r.last_insert_id) + ";";
    }
    return out;
}

std::string encode_failure(const backend::StatementError& error) {
    return "!" + std::to_string(error.statement) + ":" + error.message;
}

backend::BatchOutcome decode_outcome(const std::string& encoded) {
    backend::BatchOutcome out;
    if (!encoded.empty() && encoded[0] == '!') {
        const auto colon = encoded.find(':');
        if (colon == std::string::npos) throw backend::BackendError("bad stored outcome");
        out.error = backend::StatementError{
            static_cast<std::size_t>(std::strtoull(encoded.c_str() + 1, nullptr, 10)),
            encoded.substr(colon + 1)};
        return out;
    }
    std::size_t pos = 0;
    while (pos < encoded.size()) {
        const auto colon = encoded.find(':', pos);
        const auto semi = encoded.find(';', pos);
        if (colon == std::string::npos || semi == std::string::npos || colon > semi)
            throw backend::BackendError("bad stored results: " + encoded);
        backend::ExecResult r;
        r.rows_affected = std::strtoll(encoded.c_str() + pos, nullptr, 10);
        r.last_insert_id = std::strtoll(encoded.c_str() + colon + 1, nullptr, 10);
        out.results.push_back(r);
        pos = semi + 1;
    }
    return out;
}

}  // namespace orcraft::storage_mysql::detail
