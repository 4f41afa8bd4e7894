#pragma once
// A single SQL value as it crosses the boundary between clients, the log and a storage driver.
//
// Integers are signed 64-bit on every backend: SQLite cannot store anything wider, so a value
// that does not fit is refused by the drivers rather than silently changed. Text is UTF-8.
// DATETIME and TIMESTAMP values travel as text in the form 'YYYY-MM-DD HH:MM:SS[.ffffff]', UTC.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace orcraft::backend {

// Raw bytes; kept distinct from text so that a blob is never mistaken for a string.
struct Blob {
    std::string bytes;
    bool operator==(const Blob&) const = default;
};

using Value = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;

using Row = std::vector<Value>;

}  // namespace orcraft::backend
