#include "storage_sqlite/sql_functions.hpp"

#include <cmath>
#include <string>

#include "backend/driver.hpp"
#include "backend/sql_datetime.hpp"

namespace orcraft::storage_sqlite {
namespace {

namespace st = backend::sqltime;

std::int64_t now_of(sqlite3_context* ctx) {
    return (*static_cast<const MicrosClock*>(sqlite3_user_data(ctx)))();
}

void result_text(sqlite3_context* ctx, const std::string& s) {
    sqlite3_result_text64(ctx, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void now_fn(sqlite3_context* ctx, int, sqlite3_value**) {
    result_text(ctx, st::now_text(now_of(ctx)));
}

void unix_timestamp_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
    if (argc == 0) {
        sqlite3_result_int64(ctx, st::unix_seconds(now_of(ctx)));
        return;
    }
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    const auto r = st::unix_timestamp(text != nullptr ? text : "");
    if (!r) {
        sqlite3_result_null(ctx);
    } else if (const auto* i = std::get_if<std::int64_t>(&*r)) {
        sqlite3_result_int64(ctx, *i);
    } else {
        sqlite3_result_double(ctx, std::get<double>(*r));
    }
}

// orcraft_date_add(x, amount, unit). A fractional amount is rounded half away from zero, as
// MySQL does for INTERVAL 1.5 DAY.
void date_add_fn(sqlite3_context* ctx, int, sqlite3_value** argv) {
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    std::int64_t amount = 0;
    sqlite3_value* a = argv[1];
    if (sqlite3_value_numeric_type(a) == SQLITE_INTEGER) {
        amount = sqlite3_value_int64(a);
    } else {
        const double d = sqlite3_value_double(a);
        if (!std::isfinite(d) || std::fabs(d) > 9e15) {
            sqlite3_result_null(ctx);
            return;
        }
        amount = static_cast<std::int64_t>(std::round(d));
    }
    const auto* x = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    const auto* unit = reinterpret_cast<const char*>(sqlite3_value_text(argv[2]));
    const auto r = st::add_interval(x != nullptr ? x : "", amount, unit != nullptr ? unit : "");
    if (r) {
        result_text(ctx, *r);
    } else {
        sqlite3_result_null(ctx);
    }
}

}  // namespace

void register_time_functions(sqlite3* db, const MicrosClock* clock) {
    void* data = const_cast<MicrosClock*>(clock);
    const int flags = SQLITE_UTF8;
    int rc = SQLITE_OK;
    for (const char* name : {"NOW", "UTC_TIMESTAMP"}) {
        rc |=
            sqlite3_create_function_v2(db, name, 0, flags, data, now_fn, nullptr, nullptr, nullptr);
    }
    rc |= sqlite3_create_function_v2(db, "UNIX_TIMESTAMP", 0, flags, data, unix_timestamp_fn,
                                     nullptr, nullptr, nullptr);
    rc |= sqlite3_create_function_v2(db, "UNIX_TIMESTAMP", 1, flags | SQLITE_DETERMINISTIC, data,
                                     unix_timestamp_fn, nullptr, nullptr, nullptr);
    rc |= sqlite3_create_function_v2(db, "orcraft_date_add", 3, flags | SQLITE_DETERMINISTIC, data,
                                     date_add_fn, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        throw backend::BackendError("cannot register SQL functions on SQLite");
    }
}

}  // namespace orcraft::storage_sqlite
