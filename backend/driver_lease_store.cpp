#include "backend/driver_lease_store.hpp"

#include <string>

namespace orcraft::backend {
namespace {

std::string interval(std::chrono::seconds lease) {
    return "INTERVAL " + std::to_string(lease.count()) + " SECOND";
}

}  // namespace

DriverLeaseStore::DriverLeaseStore(std::unique_ptr<Driver> driver) : driver_(std::move(driver)) {}

std::chrono::milliseconds DriverLeaseStore::resolution() const {
    return std::chrono::seconds(1);  // NOW() and DATETIME have whole seconds
}

std::int64_t DriverLeaseStore::write(const std::string& sql, std::vector<Value> params) {
    // Index 0 and a zero stamp: unlogged, timed by the server's clock (driver.hpp).
    auto outcome = driver_->execute({Statement{sql, std::move(params)}}, Stamp{0, 0}, 0);
    if (outcome.error) throw BackendError("active_node: " + outcome.error->message);
    if (outcome.results.empty()) throw BackendError("active_node: statement gave no result");
    return outcome.results.front().rows_affected;
}

void DriverLeaseStore::prepare() {
    write(
        "CREATE TABLE IF NOT EXISTS active_node ("
        "anchor TINYINT UNSIGNED NOT NULL, "
        "hostname VARCHAR(128) NOT NULL, "
        "token VARCHAR(128) NOT NULL, "
        "first_seen_active DATETIME NOT NULL, "
        "last_seen_active DATETIME NOT NULL, "
        "PRIMARY KEY (anchor)) ENGINE=InnoDB");
}

bool DriverLeaseStore::insert_anchor(const LeaseHolder& self) {
    return write(
               "INSERT IGNORE INTO active_node "
               "(anchor, hostname, token, first_seen_active, last_seen_active) "
               "VALUES (1, ?, ?, NOW(), NOW())",
               {self.hostname, self.token}) > 0;
}

bool DriverLeaseStore::take_over_expired(const LeaseHolder& self, std::chrono::seconds lease) {
    return write(
               "UPDATE active_node SET hostname = ?, token = ?, first_seen_active = NOW(), "
               "last_seen_active = NOW() WHERE anchor = 1 AND last_seen_active <= NOW() - " +
                   interval(lease),
               {self.hostname, self.token}) > 0;
}

bool DriverLeaseStore::renew(const LeaseHolder& self) {
    return write(
               "UPDATE active_node SET last_seen_active = NOW() "
               "WHERE anchor = 1 AND hostname = ? AND token = ?",
               {self.hostname, self.token}) > 0;
}

std::optional<ActiveRow> DriverLeaseStore::active(std::chrono::seconds lease) {
    auto results = driver_->query(
        {Statement{"SELECT hostname, token, CASE WHEN last_seen_active > NOW() - " +
                       interval(lease) + " THEN 1 ELSE 0 END FROM active_node WHERE anchor = 1",
                   {}}});
    if (results.empty() || results.front().rows.empty()) return std::nullopt;
    const auto& row = results.front().rows.front();
    if (row.size() != 3 || !std::holds_alternative<std::string>(row[0]) ||
        !std::holds_alternative<std::string>(row[1]) ||
        !std::holds_alternative<std::int64_t>(row[2]))
        throw BackendError("active_node: unexpected row shape");
    ActiveRow out;
    out.holder.hostname = std::get<std::string>(row[0]);
    out.holder.token = std::get<std::string>(row[1]);
    out.fresh = std::get<std::int64_t>(row[2]) != 0;
    return out;
}

void DriverLeaseStore::force(const LeaseHolder& self) {
    write(
        "REPLACE INTO active_node (anchor, hostname, token, first_seen_active, last_seen_active) "
        "VALUES (1, ?, ?, NOW(), NOW())",
        {self.hostname, self.token});
}

void DriverLeaseStore::clear() {
    write("DELETE FROM active_node WHERE anchor = 1");
}

void DriverLeaseStore::release(const LeaseHolder& self) {
    write("DELETE FROM active_node WHERE anchor = 1 AND hostname = ? AND token = ?",
          {self.hostname, self.token});
}

}  // namespace orcraft::backend
