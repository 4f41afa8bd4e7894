// A child process for the crash case: opens an existing test database and applies batches in
// a loop until it is killed, writing each applied index to stdout.
//
// usage: conformance_crash_helper sqlite|mysql LOCATION ROWS_PER_BATCH
//
// Batch k inserts ROWS_PER_BATCH rows (k, 0..ROWS_PER_BATCH-1) into table c, one statement
// per row, so that a kill lands between statements; every fifth batch first creates table
// d<k>, so that a kill also lands between a DDL statement and the index update.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "tests/conformance/fixture.hpp"

using namespace orcraft;

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s sqlite|mysql LOCATION ROWS_PER_BATCH\n", argv[0]);
        return 2;
    }
    const std::string backend = argv[1];
    const std::string location = argv[2];
    const int rows = std::atoi(argv[3]);
    try {
        std::unique_ptr<backend::Driver> d;
        if (backend == "sqlite") {
            d = conformance::make_sqlite_test_driver(location);
        } else if (&conformance::open_mysql_test_driver != nullptr) {
            d = conformance::open_mysql_test_driver(location);
        } else {
            std::fprintf(stderr, "no way to reopen a MySQL test database\n");
            return 2;
        }
        for (;;) {
            const std::uint64_t index = d->applied_index() + 1;
            std::vector<backend::Statement> batch;
            if (index % 5 == 0) {
                batch.push_back({"CREATE TABLE d" + std::to_string(index) + " (a INT)", {}});
            }
            for (int n = 0; n < rows; ++n) {
                batch.push_back({"INSERT INTO c (batch, n) VALUES (?, ?)",
                                 {static_cast<std::int64_t>(index), static_cast<std::int64_t>(n)}});
            }
            const auto out = d->execute(batch, {1700000000000000LL, index}, index);
            if (out.error) {
                std::fprintf(stderr, "batch %llu failed: %s\n",
                             static_cast<unsigned long long>(index), out.error->message.c_str());
                return 1;
            }
            std::printf("%llu\n", static_cast<unsigned long long>(index));
            std::fflush(stdout);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "crash helper: %s\n", e.what());
        return 1;
    }
}
