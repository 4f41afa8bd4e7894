#pragma once
// The lease store of the shared-backend election on a storage driver: the active_node table in
// the shared MySQL schema, written with unlogged batches (index 0, no stamp) so that every time
// is the database server's NOW().
//
// The statements are in the portable dialect (docs/sql-dialect.md), like every statement the
// driver runs, so times have whole seconds: resolution() is 1 s. The table (created on first use
// when missing):
//   active_node(anchor TINYINT UNSIGNED PRIMARY KEY, hostname VARCHAR(128), token VARCHAR(128),
//               first_seen_active DATETIME, last_seen_active DATETIME)
// A row is expired when its whole-second age has reached the lease
// (last_seen_active <= NOW() - INTERVAL lease SECOND): with both times truncated to the second,
// that can happen as early as lease - 1 s after the write, which the election accounts for.
// A renewal within the same second sets the same value; the driver counts matched rows, and the
// election confirms an uncounted renewal by reading the row.
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
    std::chrono::milliseconds resolution() const override;

  private:
    // Runs one statement unlogged and returns its affected-row count; a statement error throws
    // BackendError.
    std::int64_t write(const std::string& sql, std::vector<Value> params = {});

    std::unique_ptr<Driver> driver_;
};

}  // namespace orcraft::backend
