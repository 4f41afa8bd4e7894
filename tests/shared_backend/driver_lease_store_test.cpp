// The active_node statements on a real MariaDB, through the MySQL driver's unlogged batches.
#include <catch2/catch.hpp>

#include <thread>

#include "backend/driver_lease_store.hpp"
#include "shared_cluster.hpp"
#include "storage_mysql/mysql_driver.hpp"

using namespace std::chrono_literals;
using orcraft::backend::DriverLeaseStore;
using orcraft::backend::LeaseHolder;
using orcraft::tests::TestMariadb;

namespace {

using Clock = std::chrono::steady_clock;

orcraft::storage_mysql::MysqlOptions options(const TestMariadb& db, const std::string& database) {
    orcraft::storage_mysql::MysqlOptions o;
    o.host = db.host;
    o.port = db.port;
    o.user = db.user;
    o.password = db.password;
    o.database = database;
    o.connect_timeout_seconds = 2;
    o.read_timeout_seconds = 5;
    o.reader_pool_size = 1;
    return o;
}

}  // namespace

TEST_CASE("active_node on MariaDB: insert, renew, expiry by the server clock, force, release",
          "[shared_backend][mysql]") {
    auto db = TestMariadb::shared_or_private();
    const auto database = TestMariadb::unique_database("sb_store");
    auto driver_a = std::make_unique<orcraft::storage_mysql::MysqlDriver>(options(*db, database));
    auto* raw_a = driver_a.get();
    DriverLeaseStore a(std::move(driver_a));
    DriverLeaseStore b(
        std::make_unique<orcraft::storage_mysql::MysqlDriver>(options(*db, database)));
    const LeaseHolder ha{"host-a", "token-a"};
    const LeaseHolder hb{"host-b", "token-b"};
    const auto lease = std::chrono::seconds(2);

    a.prepare();
    b.prepare();  // idempotent
    CHECK(a.resolution() == 1s);
    CHECK_FALSE(a.active(lease));
    CHECK(a.insert_anchor(ha));
    CHECK_FALSE(b.insert_anchor(hb));
    CHECK_FALSE(b.take_over_expired(hb, lease));
    CHECK_FALSE(b.renew(hb));
    // Renewals in the same second set the same value and still count.
    CHECK(a.renew(ha));
    CHECK(a.renew(ha));
    auto row = b.active(lease);
    REQUIRE(row);
    CHECK(row->holder == ha);
    CHECK(row->fresh);

    // Without renewals, b can take the row over once its whole-second age reaches the lease:
    // no sooner than lease - 1 s, no later than lease + 1 s (plus the polling).
    const auto renewed = Clock::now();
    REQUIRE(a.renew(ha));
    bool taken = false;
    while (Clock::now() - renewed < 4s) {
        if (b.take_over_expired(hb, lease)) {
            taken = true;
            break;
        }
        std::this_thread::sleep_for(20ms);  // polling interval of the deadline loop
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - renewed).count();
    INFO("taken over after " << seconds << " s");
    REQUIRE(taken);
    CHECK(seconds >= 1.0);
    CHECK(seconds <= 3.2);
    CHECK_FALSE(a.renew(ha));
    CHECK(a.active(lease)->holder == hb);

    a.force(ha);
    CHECK(b.active(lease)->holder == ha);
    b.release(hb);  // not b's row: nothing happens
    CHECK(b.active(lease)->holder == ha);
    a.release(ha);
    CHECK_FALSE(b.active(lease));
    CHECK(b.insert_anchor(hb));
    a.clear();
    CHECK_FALSE(a.active(lease));

    // The lease statements are unlogged: the applied index of the schema never moved.
    CHECK(raw_a->applied_index() == 0);
    db->drop_database(database);
}
