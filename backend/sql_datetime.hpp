#pragma once
// MySQL's datetime arithmetic and formats, for engines that lack them (the SQLite driver
// registers SQL functions built on these). Everything is UTC; there are no time zones.
//
// Text forms are MySQL's: 'YYYY-MM-DD HH:MM:SS' for DATETIME, 'YYYY-MM-DD' for a date, and an
// optional fraction of 1 to 6 digits after the seconds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace orcraft::backend::sqltime {

struct DateTime {
    std::int64_t micros = 0;  // microseconds since 1970-01-01 00:00:00 UTC (may be negative)
    bool has_time = true;     // false for a bare 'YYYY-MM-DD'
    int fraction_digits = 0;  // digits written after the seconds, 0 when none
};

// Parses 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS[.f]' (year 1..9999, a real calendar date).
std::optional<DateTime> parse(std::string_view text);

// 'YYYY-MM-DD HH:MM:SS', the fraction appended with `fraction_digits` digits when > 0.
std::string format(std::int64_t micros, int fraction_digits = 0);
std::string format_date(std::int64_t micros);

// The stamp's time as NOW() prints it: whole seconds, the fraction truncated like MySQL does.
inline std::string now_text(std::int64_t unix_micros) {
    return format(unix_micros - (((unix_micros % 1000000) + 1000000) % 1000000));
}

// Seconds since the epoch, rounded down, as UNIX_TIMESTAMP() gives for the stamp.
std::int64_t unix_seconds(std::int64_t unix_micros);

// x + INTERVAL amount unit, with MySQL's rules: MONTH, QUARTER and YEAR keep the day of the
// month, clamped to the last day of the target month ('2024-01-31' + 1 MONTH = '2024-02-29');
// a bare date stays a date for units of a day or more; the fraction is kept as written, and
// MICROSECOND gives six digits. unit is upper case (MICROSECOND ... YEAR). Returns nullopt
// (SQL NULL) for an unparsable input or a result outside years 1..9999.
std::optional<std::string> add_interval(std::string_view text, std::int64_t amount,
                                        std::string_view unit);

// UNIX_TIMESTAMP(x): an integer for a value without fraction, a double otherwise; nullopt for
// an unparsable value.
std::optional<std::variant<std::int64_t, double>> unix_timestamp(std::string_view text);

}  // namespace orcraft::backend::sqltime
