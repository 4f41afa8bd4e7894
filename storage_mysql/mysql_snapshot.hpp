#pragma once
// Internal to storage_mysql: portable snapshots (docs/snapshots.md).
//
// Dump: in a session whose transaction was started WITH CONSISTENT SNAPSHOT, every user table is
// described from information_schema in the portable dialect (SnapshotTable) and its rows are read
// in primary key order, a page at a time (keyset pagination), so the dump streams and never holds
// a table in memory. InnoDB's snapshot isolation lets the writer continue meanwhile. The applied
// index and the AUTO_INCREMENT counters (orcraft_autoinc) are read in that same transaction.
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
#include <string>
#include <vector>

#include "backend/snapshot_schema.hpp"
#include "storage_mysql/connection.hpp"

namespace orcraft::storage_mysql::detail {

// The pending_fingerprint value of the progress marker while a snapshot install is pending.
inline constexpr const char* kRestorePending = "snapshot-install";

// Writes every user table to `out`. The session must be inside a transaction started WITH
// CONSISTENT SNAPSHOT. Returns the applied index read in it. Throws backend::BackendError when an
// entry is half applied (the state is then not that of any index) or a column has a type outside
// the portable dialect; sql::SQLException for server errors.
std::uint64_t dump_tables(Session& s, backend::SnapshotWriter& out);

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
