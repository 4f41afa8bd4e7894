#include "backend/sql_datetime.hpp"

#include <algorithm>
#include <cstdio>

namespace orcraft::backend::sqltime {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1000000;
constexpr std::int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

// Days since 1970-01-01 of a proleptic Gregorian date (the well-known era-based algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    std::int64_t y;
    unsigned m;
    unsigned d;
};

Civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {y + (m <= 2 ? 1 : 0), m, d};
}

bool leap(std::int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(std::int64_t y, unsigned m) {
    static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
    if (pos + n > s.size()) {
        return false;
    }
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        out = out * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
}

const std::int64_t kMinMicros = days_from_civil(1, 1, 1) * kMicrosPerDay;
const std::int64_t kMaxMicros = days_from_civil(10000, 1, 1) * kMicrosPerDay - 1;

}  // namespace

std::optional<DateTime> parse(std::string_view s) {
    unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d)) {
        return std::nullopt;
    }
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
        return std::nullopt;
    }
    DateTime dt;
    dt.has_time = s.size() > 10;
    std::int64_t micros = 0;
    if (dt.has_time) {
        if ((s[10] != ' ' && s[10] != 'T') || !digits(s, 11, 2, h) || s.size() < 19 ||
            s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se) ||
            h > 23 || mi > 59 || se > 59) {
            return std::nullopt;
        }
        micros = (static_cast<std::int64_t>(h) * 3600 + mi * 60 + se) * kMicrosPerSecond;
        if (s.size() > 19) {
            if (s[19] != '.' || s.size() == 20 || s.size() > 26) {
                return std::nullopt;
            }
            unsigned frac = 0;
            const std::size_t n = s.size() - 20;
            if (!digits(s, 20, n, frac)) {
                return std::nullopt;
            }
            for (std::size_t k = n; k < 6; ++k) {
                frac *= 10;
            }
            micros += frac;
            dt.fraction_digits = static_cast<int>(n);
        }
    }
    dt.micros = days_from_civil(y, mo, d) * kMicrosPerDay + micros;
    return dt;
}

std::string format_date(std::int64_t micros) {
    const Civil c = civil_from_days(floor_div(micros, kMicrosPerDay));
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(c.y), c.m, c.d);
    return buf;
}

std::string format(std::int64_t micros, int fraction_digits) {
    const std::int64_t day = floor_div(micros, kMicrosPerDay);
    const std::int64_t in_day = micros - day * kMicrosPerDay;
    const std::int64_t secs = in_day / kMicrosPerSecond;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s %02d:%02d:%02d", format_date(micros).c_str(),
                  static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                  static_cast<int>(secs % 60));
    std::string out = buf;
    if (fraction_digits > 0) {
        char frac[8];
        std::snprintf(frac, sizeof frac, "%06d", static_cast<int>(in_day % kMicrosPerSecond));
        out += '.';
        out.append(frac, static_cast<std::size_t>(fraction_digits > 6 ? 6 : fraction_digits));
    }
    return out;
}

std::int64_t unix_seconds(std::int64_t unix_micros) {
    return floor_div(unix_micros, kMicrosPerSecond);
}

std::optional<std::string> add_interval(std::string_view text, std::int64_t amount,
                                        std::string_view unit) {
    const auto dt = parse(text);
    if (!dt) {
        return std::nullopt;
    }
    std::int64_t micros = dt->micros;
    bool day_or_more = true;
    int fraction = dt->fraction_digits;
    auto add_months = [&](std::int64_t months) -> bool {
        const std::int64_t day = floor_div(micros, kMicrosPerDay);
        const std::int64_t in_day = micros - day * kMicrosPerDay;
        const Civil c = civil_from_days(day);
        const std::int64_t total = c.y * 12 + (c.m - 1) + months;
        const std::int64_t y = floor_div(total, 12);
        const auto m = static_cast<unsigned>(total - y * 12 + 1);
        if (y < 1 || y > 9999) {
            return false;
        }
        const unsigned d = std::min(c.d, days_in_month(y, m));
        micros = days_from_civil(y, m, d) * kMicrosPerDay + in_day;
        return true;
    };
    // Bound the amount so that the multiplications below cannot overflow; anything beyond is
    // outside years 1..9999 anyway.
    constexpr std::int64_t kLimit = 400000000000000LL;
    if (amount > kLimit || amount < -kLimit) {
        return std::nullopt;
    }
    if (unit == "MICROSECOND") {
        micros += amount;
        day_or_more = false;
        fraction = 6;
    } else if (unit == "SECOND") {
        micros += amount * kMicrosPerSecond;
        day_or_more = false;
    } else if (unit == "MINUTE") {
        micros += amount * 60 * kMicrosPerSecond;
        day_or_more = false;
    } else if (unit == "HOUR") {
        micros += amount * 3600 * kMicrosPerSecond;
        day_or_more = false;
    } else if (unit == "DAY" || unit == "WEEK") {
        if (amount > 4000000 || amount < -4000000) {
            return std::nullopt;
        }
        micros += amount * (unit == "WEEK" ? 7 : 1) * kMicrosPerDay;
    } else if (unit == "MONTH" || unit == "QUARTER" || unit == "YEAR") {
        if (amount > 200000 || amount < -200000) {
            return std::nullopt;
        }
        const std::int64_t months = amount * (unit == "YEAR" ? 12 : unit == "QUARTER" ? 3 : 1);
        if (!add_months(months)) {
            return std::nullopt;
        }
    } else {
        return std::nullopt;
    }
    if (micros < kMinMicros || micros > kMaxMicros) {
        return std::nullopt;
    }
    if (!dt->has_time && day_or_more) {
        return format_date(micros);
    }
    return format(micros, fraction);
}

std::optional<std::variant<std::int64_t, double>> unix_timestamp(std::string_view text) {
    const auto dt = parse(text);
    if (!dt) {
        return std::nullopt;
    }
    if (dt->micros % kMicrosPerSecond == 0) {
        return std::variant<std::int64_t, double>(dt->micros / kMicrosPerSecond);
    }
    return std::variant<std::int64_t, double>(static_cast<double>(dt->micros) / 1e6);
}

}  // namespace orcraft::backend::sqltime
