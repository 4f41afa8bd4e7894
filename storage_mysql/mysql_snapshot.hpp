#pragma once
// Internal to storage_mysql: portable snapshots (docs/snapshots.md).
//
// Dump: in a session whose transaction was started WITH CONSISTENT SNAPSHOT, every user table is
// described from information_schema in the portable dialect (SnapshotTable) and its rows are read
// in primary key order, a page at a time (keyset pagination), so the dump streams and never holds
// a table in memory. InnoDB's snapshot isolation lets the writer continue meanwhile. The applied
// index and the AUTO_INCREMENT counters (orcraft_autoinc) are read in that same transaction.
//
// A dump begun on the apply thread and written on another (begin_pending_dump) must see the
// tables as they were at its start, but information_schema is not versioned like rows are. So
// the start lists the user tables and opens each one, which holds their metadata locks until the
// transaction ends: DDL applied meanwhile to a table being dumped (ALTER, DROP, TRUNCATE, RENAME)
// waits for the dump to finish, and a table created meanwhile is not in the list. DML, the usual
// traffic, never waits.
//
// Restore, in steps that keep the node's state correct if the process dies between any two:
//   1. leftovers of an interrupted restore (orcraft_new_N, orcraft_old_N) are dropped;
//   2. each snapshot table is created and filled under a temporary name orcraft_new_N (nothing a
//      reader or the applied index sees changes; a failure here drops them again);
//   3. the progress marker records "snapshot install pending" (execute() refuses entries while it
//      is set, because the tables may already be the snapshot's while the applied index is not);
//   4. one RENAME TABLE swaps all of them in at once (old tables become orcraft_old_N), which
//      readers see as one change;
//   5. the old tables are dropped, and the applied index, the AUTO_INCREMENT bookkeeping and the
//      cleared marker are committed in one transaction.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/snapshot_schema.hpp"
#include "storage_mysql/connection.hpp"

namespace orcraft::storage_mysql::detail {

// The pending_fingerprint value of the progress marker while a snapshot install is pending.
inline constexpr const char* kRestorePending = "snapshot-install";

// What a dump's start read in its transaction.
struct DumpStart {
    std::uint64_t applied = 0;        // the applied index
    bool mariadb = false;             // the server's flavour (it shows defaults differently)
    std::vector<std::string> tables;  // the user tables, in byte order, each opened (locked)
};

// The start of a dump. The session must be inside a transaction started WITH CONSISTENT
// SNAPSHOT. Throws backend::BackendError when an entry is half applied (the state is then not
// that of any index); sql::SQLException for server errors.
DumpStart begin_dump_tables(Session& s);

// Writes the tables of `start` to `out`, in the same transaction. Throws backend::BackendError
// when a column has a type outside the portable dialect; sql::SQLException for server errors.
void write_dump_tables(Session& s, const DumpStart& start, backend::SnapshotWriter& out);

// Both in one go: writes every user table to `out` and returns the applied index.
std::uint64_t dump_tables(Session& s, backend::SnapshotWriter& out);

// Starts a REPEATABLE READ transaction WITH CONSISTENT SNAPSHOT on `s`, a session opened for this
// dump alone, and the dump's start in it; the returned dump owns the session. Throws
// backend::BackendError.
std::unique_ptr<backend::PendingDump> begin_pending_dump(Session s);

// A table built by build_tables(): its real name and the temporary one it waits under.
struct BuiltTable {
    std::string name;
    std::string temporary;
};

// Steps 1 and 2: builds every table of `in` under a temporary name. On any failure the
// temporary tables are dropped again before the exception propagates.
std::vector<BuiltTable> build_tables(Session& s, backend::SnapshotReader& in);

// Step 4 and the first half of 5: swaps the built tables in with one RENAME TABLE (user tables
// absent from the snapshot are moved out too) and drops the old ones.
void swap_in(Session& s, const std::vector<BuiltTable>& built);

// Drops orcraft_new_N and orcraft_old_N tables.
void drop_leftovers(Session& s);

}  // namespace orcraft::storage_mysql::detail
