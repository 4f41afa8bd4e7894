#include <catch2/catch.hpp>

#include "backend/sql_datetime.hpp"

using namespace orcraft::backend::sqltime;

TEST_CASE("interval arithmetic follows MySQL") {
    // Each expectation was produced by MariaDB 10.11.
    CHECK(add_interval("2024-01-31", 1, "MONTH") == "2024-02-29");
    CHECK(add_interval("2024-01-31 10:00:00", 1, "MONTH") == "2024-02-29 10:00:00");
    CHECK(add_interval("2024-01-31", 1, "HOUR") == "2024-01-31 01:00:00");
    CHECK(add_interval("2024-01-01 00:00:00", 1, "MICROSECOND") == "2024-01-01 00:00:00.000001");
    CHECK(add_interval("2023-11-14 22:13:20", -5, "MINUTE") == "2023-11-14 22:08:20");
    CHECK(add_interval("2024-01-01 00:00:00.5", 1, "SECOND") == "2024-01-01 00:00:01.5");
    CHECK(add_interval("2024-02-29", 1, "YEAR") == "2025-02-28");
    CHECK(add_interval("2024-01-01", 1, "DAY") == "2024-01-02");
    CHECK(add_interval("2024-12-31 23:59:59", 1, "SECOND") == "2025-01-01 00:00:00");
    CHECK(add_interval("2024-03-01", -1, "DAY") == "2024-02-29");
    CHECK(add_interval("2024-01-01", 1, "QUARTER") == "2024-04-01");
    CHECK(add_interval("2024-01-01", 2, "WEEK") == "2024-01-15");
    CHECK(add_interval("1969-12-31 23:59:59", 1, "SECOND") == "1970-01-01 00:00:00");
    CHECK_FALSE(add_interval("2024-02-30", 1, "DAY"));
    CHECK_FALSE(add_interval("garbage", 1, "DAY"));
    CHECK_FALSE(add_interval("9999-12-31", 1, "DAY"));
}

TEST_CASE("NOW() text truncates the fraction; UNIX_TIMESTAMP rounds down") {
    CHECK(now_text(1700000000700000) == "2023-11-14 22:13:20");
    CHECK(unix_seconds(1700000000700000) == 1700000000);
    CHECK(unix_seconds(-1) == -1);
    CHECK(format(0) == "1970-01-01 00:00:00");
    CHECK(format(-1, 6) == "1969-12-31 23:59:59.999999");
}

TEST_CASE("UNIX_TIMESTAMP of a value") {
    CHECK(std::get<std::int64_t>(*unix_timestamp("2024-01-01 00:00:00")) == 1704067200);
    CHECK(std::get<double>(*unix_timestamp("2024-01-01 00:00:00.5")) == 1704067200.5);
    CHECK(std::get<std::int64_t>(*unix_timestamp("2024-01-01")) == 1704067200);
    CHECK_FALSE(unix_timestamp("x"));
}
