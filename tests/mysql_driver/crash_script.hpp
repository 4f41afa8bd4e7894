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

}  // namespace orcraft::mysql_test
