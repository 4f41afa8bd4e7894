#pragma once
// Turning a snapshot's table description back into SQL, and the helpers both drivers share to
// describe their tables in the same canonical form (so that the same schema dumped from SQLite
// and from MySQL gives equal SnapshotTables).

#include <optional>
#include <string>
#include <string_view>

#include "backend/snapshot_schema.hpp"
#include "backend/value.hpp"

namespace orcraft::backend {

// How the values of a portable column type are represented in a snapshot row.
enum class SnapshotValueKind { kInteger, kReal, kText, kBlob, kDatetime };

// The kind of a canonical portable type (SnapshotColumn::type); kText for anything unknown.
SnapshotValueKind snapshot_value_kind(std::string_view portable_type);

// The portable CREATE TABLE statement for `table`, under the name `name` (the table's own name
// when empty): columns with type, NOT NULL, AUTO_INCREMENT and DEFAULT, the primary key and the
// secondary indexes. Identifiers are backquoted; the text is valid in the portable dialect, so
// the SQLite driver translates it and the MySQL driver runs it as is.
std::string portable_create_table(const SnapshotTable& table, const std::string& name = "");

// Backquotes an identifier (doubling embedded backquotes).
std::string quote_portable_ident(std::string_view name);

// Canonical DEFAULT text of a column of the given portable type from a literal: a number stays
// as written (a string holding a number on a numeric column becomes the number), TRUE/FALSE
// become 1/0, text is quoted with quote_string(), CURRENT_TIMESTAMP (any spelling, with or
// without parentheses) becomes CURRENT_TIMESTAMP. `is_string` says whether `literal` is the
// decoded content of a string literal rather than SQL text. nullopt for NULL.
std::optional<std::string> canonical_default(std::string_view portable_type,
                                             std::string_view literal, bool is_string);

// A value read from a column of the given kind in the form snapshots carry it: text and
// datetime columns as text, blob columns as Blob, DOUBLE columns as double, integers as
// integers; NULL stays NULL. Drivers apply it to what they read so that the same row reads the
// same from either backend.
Value snapshot_value(Value v, SnapshotValueKind kind);

}  // namespace orcraft::backend
