#pragma once
// Copies the WAL back into the database file on a thread of its own.
//
// SQLite's automatic checkpoint runs on the writing connection, at the end of the commit that
// takes the WAL past its threshold: that commit then also copies every page of the WAL into the
// database file and syncs it, a pause of milliseconds for the write behind it and for every
// write queued after it. Here the commit only wakes a thread, which runs a PASSIVE checkpoint on
// a connection of its own. A passive checkpoint never waits for the writer or the readers: it
// copies what no reader still needs, and the writer starts the WAL over at its next transaction
// once everything was copied, exactly as after an automatic checkpoint.
//
// Thread-safety: constructed and destroyed by the owner of the writer connection, while no
// other thread uses that connection.

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace orcraft::storage_sqlite {

class WalCheckpointer {
  public:
    // Opens a connection of its own to the database at `path` (throws backend::BackendError),
    // starts the thread, and replaces `writer`'s automatic checkpoint with a hook that wakes the
    // thread whenever a commit leaves `threshold_pages` or more pages in the WAL.
    WalCheckpointer(const std::string& path, sqlite3* writer, int threshold_pages);
    // Removes the hook from the writer, lets a checkpoint in progress finish, and joins.
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    // Checkpoints run so far (for tests).
    std::uint64_t checkpoints() const;

  private:
    static int on_commit(void* self, sqlite3* db, const char* schema, int pages);
    void run();

    sqlite3* writer_;
    sqlite3* db_ = nullptr;
    const int threshold_pages_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool due_ = false;               // under mu_
    bool stopping_ = false;          // under mu_
    std::uint64_t checkpoints_ = 0;  // under mu_
    std::thread thread_;
};

}  // namespace orcraft::storage_sqlite
