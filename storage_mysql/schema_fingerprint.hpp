#pragma once
// Internal to storage_mysql. A digest of the current schema's shape (tables, columns, indexes),
// used to tell after a crash whether a DDL statement that was about to run did run: DDL changes
// the shape, and DDL that does not is idempotent (see mysql_driver.hpp).

#include <string>

#include "storage_mysql/connection.hpp"

namespace orcraft::storage_mysql::detail {

// 16 hex digits (FNV-1a 64 over the ordered information_schema rows of DATABASE(), leaving out
// the driver's own table). Stable across processes and versions of this program.
std::string schema_fingerprint(Session& session);

}  // namespace orcraft::storage_mysql::detail
