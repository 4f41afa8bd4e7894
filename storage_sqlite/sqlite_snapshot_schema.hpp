#pragma once
// Internal to storage_sqlite: the portable description (backend::SnapshotTable) of a table that
// the dialect's translation created in SQLite.
//
// SQLite keeps no portable type: the translation declares INT, TEXT, BLOB, REAL or
// "DATETIME TEXT" and encodes the portable type's limits as CHECK constraints of known shapes
// (backend/dialect.cpp). This reader recognises those shapes in the table's stored CREATE
// statement and gives the type back: `typeof(q) = 'integer' AND q BETWEEN 0 AND 4294967295` is
// INT UNSIGNED, `length(q) <= 64` is VARCHAR(64), `q IN ('a','b')` is ENUM('a','b'), and so on.
// What it cannot give back (docs/snapshots.md): user CHECK constraints (dropped, with a warning),
// CHAR(n) (read as VARCHAR(n)), DESC in index columns, and VARBINARY(255) versus TINYBLOB
// (VARBINARY(255) when the column is indexed, TINYBLOB otherwise).

#include <sqlite3.h>

#include <string>

#include "backend/snapshot_schema.hpp"

namespace orcraft::storage_sqlite {

// Reads the description of `table` through `db` (inside the caller's read transaction). Throws
// backend::BackendError when the table's definition does not have the translation's shape.
backend::SnapshotTable read_snapshot_table(sqlite3* db, const std::string& table);

}  // namespace orcraft::storage_sqlite
