#pragma once
// Internal to storage_mysql. Keeps InnoDB's AUTO_INCREMENT counters a function of the applied
// entries alone, so that ids come out the same on every node.
//
// InnoDB never gives a counter value back. Within a committed batch that is deterministic: rows
// that INSERT IGNORE skips and upserts that update use values the same way on every node (the
// SQLite driver does the same). What must be undone is the work of whatever does not count: a
// batch that failed and was rolled back (SQLite's rollback gives its values back), and an
// attempt interrupted by a crash, a lost connection or a deadlock retry. So the counter each batch
// leaves is kept in the table orcraft_autoinc, written in the same transaction as the batch's
// applied index (or its recorded failure); wherever InnoDB's counter is above it (at start-up
// after a crash, after a reconnect or a retry), the driver lowers it with ALTER TABLE ...
// AUTO_INCREMENT outside any transaction. After DDL the stored counters are taken afresh from
// InnoDB (CREATE, DROP, TRUNCATE and ALTER ... AUTO_INCREMENT all set counters on purpose).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "storage_mysql/connection.hpp"

namespace orcraft::storage_mysql::detail {

class AutoIncrementKeeper {
  public:
    // Creates orcraft_autoinc when missing and fills it from InnoDB for tables it lacks.
    void create_table(Session& s);
    // Reads the stored counters (after connecting or reconnecting).
    void load(Session& s);

    // Inside the batch's open transaction, after its statements: computes the true counters of
    // `tables` and stores them. Takes effect in memory once committed() is called.
    void record(Session& s, const std::set<std::string>& tables);
    // As record(), but the stored counters are written later, by write_noted(), which must run
    // in the same transaction before it commits (an apply group notes each batch's counters and
    // writes them once, with its marker).
    void note(Session& s, const std::set<std::string>& tables);
    void write_noted(Session& s);
    // After the transaction committed (reads the stored counters again after a resync).
    void committed(Session& s);
    void rolled_back();

    // Outside any transaction: lowers InnoDB's counter of each of `tables` (all known tables
    // when empty) that is above the true one.
    void repair(Session& s, const std::set<std::string>& tables = {});

    // Inside an unlogged batch's transaction (shared-backend mode, where InnoDB's counters are
    // the truth and nothing is replayed): stops tracking `tables`, so that repair() never lowers
    // counters that other writers moved. Takes effect in memory once committed() is called.
    void forget(Session& s, const std::set<std::string>& tables);

    // Inside the transaction that records a DDL step: replaces the stored counters with
    // InnoDB's current ones.
    void resync(Session& s);

    // Whether `table` has a counter the keeper looks after (stored, or recorded in the open
    // transaction). Tables without an AUTO_INCREMENT column never have one.
    bool tracks(const std::string& table) const;
    // Inside an open transaction, after a part of it was undone (ROLLBACK TO SAVEPOINT): whether
    // InnoDB's counter of any of `tables` is above the one last recorded (in the open transaction,
    // else committed), i.e. whether the undone statements used values that only repair(), outside
    // any transaction, can give back.
    bool moved_past_recorded(Session& s, const std::set<std::string>& tables);

  private:
    std::optional<std::int64_t> innodb_counter(Session& s, const std::string& table);

    std::map<std::string, std::int64_t> truth_;    // committed true counters
    std::map<std::string, std::int64_t> pending_;  // recorded in the open transaction
    std::set<std::string> forgotten_;              // forgotten in the open transaction
    std::set<std::string> unwritten_;              // noted in pending_, not yet stored
    bool resync_pending_ = false;
};

}  // namespace orcraft::storage_mysql::detail
