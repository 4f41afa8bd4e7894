#pragma once
// MySQL's time functions registered on a SQLite connection: NOW(), UTC_TIMESTAMP(),
// UNIX_TIMESTAMP(), UNIX_TIMESTAMP(x) and orcraft_date_add(x, n, unit), the target of the
// dialect's `x + INTERVAL n UNIT`. The time comes from `clock`, which on the writer connection
// returns the running batch's stamp; see backend/sql_datetime.hpp for the exact formats.

#include <cstdint>
#include <functional>

#include <sqlite3.h>

namespace orcraft::storage_sqlite {

using MicrosClock = std::function<std::int64_t()>;

// clock must outlive the connection. Throws BackendError if registration fails.
void register_time_functions(sqlite3* db, const MicrosClock* clock);

}  // namespace orcraft::storage_sqlite
