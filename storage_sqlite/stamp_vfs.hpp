#pragma once
// A SQLite VFS shim that serves SQLite's own clock from the stamp of the running batch.
//
// SQLite reads the time itself for 'now', CURRENT_TIMESTAMP and column defaults such as
// DEFAULT CURRENT_TIMESTAMP, through the connection's VFS (xCurrentTimeInt64). The writer
// connection is opened on this shim, so those values come from the log entry's stamp and are
// the same on every node. Every file operation is passed to the default VFS unchanged.
//
// Each instance registers its own VFS under a unique name, with pAppData pointing at the
// instance: there is no process-wide mutable state, and two drivers in one process (tests,
// or a node with two databases) do not see each other's stamps.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include <sqlite3.h>

namespace orcraft::storage_sqlite {

class StampVfs {
  public:
    // fallback_clock gives the time (UTC microseconds) while no stamp is set.
    explicit StampVfs(std::function<std::int64_t()> fallback_clock);
    ~StampVfs();
    StampVfs(const StampVfs&) = delete;
    StampVfs& operator=(const StampVfs&) = delete;

    const char* name() const { return name_.c_str(); }

    // Sets the time SQLite reads until clear_stamp(); called by the apply thread around a batch.
    void set_stamp(std::int64_t unix_micros);
    void clear_stamp();

    // The time currently served, in UTC microseconds.
    std::int64_t now_micros() const;

  private:
    static int current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out);
    static int current_time(sqlite3_vfs* vfs, double* out);

    sqlite3_vfs vfs_{};
    sqlite3_vfs* root_ = nullptr;
    std::string name_;
    std::function<std::int64_t()> fallback_;
    std::atomic<bool> has_stamp_{false};
    std::atomic<std::int64_t> stamp_{0};
};

}  // namespace orcraft::storage_sqlite
