#pragma once
// The fixed sequence of log entries that the crash helper applies and the crash tests replay:
// DDL alone, DDL mixed with DML in one entry, and plain DML, so that every crash point of the
// driver is reached.

#include <cstdint>
#include <vector>

#include "backend/driver.hpp"

namespace orcraft::mysql_test {

struct ScriptEntry {
    std::uint64_t index;
    backend::Stamp stamp;
    std::vector<backend::Statement> batch;
};

std::vector<ScriptEntry> crash_script();

// Executes every entry of the script in order (entries already applied are skipped by the
// driver itself). Returns the number of entries that reported a statement error.
int apply_script(backend::Driver& driver);

// A script for apply groups: entry 1 creates table g (generated ids, unique v) on its own; entries
// 2 to 9 form one group: inserts of v = index into g, entry 4 fails after an insert (its id must be
// given back), entry 6 creates table h and inserts 6 (DDL in the middle of the group), entry 8
// inserts 8 into h.
std::vector<ScriptEntry> group_script();

// Executes entry 1, then entries 2 to 9 between begin_group() and end_group(). Returns the number
// of entries that reported a statement error (1 when everything ran).
int apply_group_script(backend::Driver& driver);

}  // namespace orcraft::mysql_test
