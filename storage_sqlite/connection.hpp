#pragma once
// One SQLite connection with a cache of prepared statements. Not thread-safe: the driver gives
// each connection to one thread at a time (the writer to the apply thread, readers through a
// pool).

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

#include <sqlite3.h>

#include "backend/driver.hpp"

namespace orcraft::storage_sqlite {

// SQLite result codes that mean the engine itself failed (disk, memory, corruption, locking
// beyond the busy timeout) rather than a deterministic SQL error in a statement.
bool is_backend_failure(int code);

class Connection {
  public:
    // Opens path with the given flags and VFS name (nullptr for the default VFS).
    Connection(const std::string& path, int flags, const char* vfs, std::size_t cache_capacity);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    sqlite3* db() const { return db_; }

    // Runs SQL without parameters or results (pragmas, BEGIN/COMMIT); throws BackendError.
    void exec(const std::string& sql);
    // Runs one statement without parameters or results through the statement cache, for those
    // run once per write (BEGIN, SAVEPOINT, COMMIT): parsing them each time costs more than
    // running them. Throws BackendError, as exec() does.
    void run(const std::string& sql);

    // A prepared statement for sql, reset and with bindings cleared, from the cache or newly
    // prepared. Returns the SQLite error code through rc (and nullptr) when preparation fails.
    sqlite3_stmt* prepare(const std::string& sql, int& rc);

    std::string last_error() const { return sqlite3_errmsg(db_); }

  private:
    sqlite3* db_ = nullptr;
    std::size_t capacity_;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// Binds backend values to a statement's '?' placeholders; returns the first failing code.
int bind_params(sqlite3_stmt* stmt, const std::vector<backend::Value>& params);

}  // namespace orcraft::storage_sqlite
