#pragma once
// The lease store of the shared-backend election on a storage driver: the active_node table in
// the shared MySQL schema, written with unlogged batches (index 0, no stamp) so that every time
// is the database server's NOW(6).
//
// The table (created on first use when missing):
//   active_node(anchor TINYINT UNSIGNED PRIMARY KEY, hostname, token,
//               first_seen_active TIMESTAMP(6), last_seen_active TIMESTAMP(6))
// Microsecond timestamps make every renewal change the row, so MySQL's affected-row count (which
// counts changed rows only) is 1 for every renewal that matched.
//
// The driver should be one of the election's own (a dedicated connection whose read timeout
// bounds every statement), so that client traffic never delays a renewal. Failures are thrown
// as the driver throws them (BackendError, StatementQueryError).

#include <memory>

#include "backend/driver.hpp"
#include "backend/lease_election.hpp"

namespace orcraft::backend {

class DriverLeaseStore final : public LeaseStore {
  public:
    explicit DriverLeaseStore(std::unique_ptr<Driver> driver);

    void prepare() override;
    bool insert_anchor(const LeaseHolder& self) override;
    bool take_over_expired(const LeaseHolder& self, std::chrono::seconds lease) override;
    bool renew(const LeaseHolder& self) override;
    std::optional<ActiveRow> active(std::chrono::seconds lease) override;
    void force(const LeaseHolder& self) override;
    void clear() override;
    void release(const LeaseHolder& self) override;

  private:
    // Runs one statement unlogged and returns its affected-row count; a statement error throws
    // BackendError.
    std::int64_t write(const std::string& sql, std::vector<Value> params = {});

    std::unique_ptr<Driver> driver_;
};

}  // namespace orcraft::backend
