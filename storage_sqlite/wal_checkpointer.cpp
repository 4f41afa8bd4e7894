#include "storage_sqlite/wal_checkpointer.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backend/driver.hpp"

namespace orcraft::storage_sqlite {

WalCheckpointer::WalCheckpointer(const std::string& path, sqlite3* writer, int threshold_pages)
    : writer_(writer), threshold_pages_(threshold_pages) {
    int rc =
        sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    // A connection learns that the database is in WAL mode from the file's header, at its first
    // read; until then it would take a checkpoint request for a no-op.
    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
    }
    if (rc != SQLITE_OK) {
        std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        throw backend::BackendError("SQLite: cannot open " + path + " for checkpoints: " + msg);
    }
    thread_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "wal-checkpoint");
        // Background work: under load, the threads that answer writes come first (raising its
        // own niceness needs no privilege; if refused, it runs at normal priority).
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
        run();
    });
    // Replaces the automatic checkpoint: SQLite keeps one WAL hook per connection.
    sqlite3_wal_hook(writer_, &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
    sqlite3_wal_hook(writer_, nullptr, nullptr);
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
    sqlite3_close(db_);
}

std::uint64_t WalCheckpointer::checkpoints() const {
    std::lock_guard lock(mu_);
    return checkpoints_;
}

int WalCheckpointer::on_commit(void* self, sqlite3*, const char*, int pages) {
    auto* c = static_cast<WalCheckpointer*>(self);
    if (pages < c->threshold_pages_) return SQLITE_OK;
    bool wake = false;
    {
        std::lock_guard lock(c->mu_);
        wake = !c->due_;
        c->due_ = true;
    }
    if (wake) c->cv_.notify_one();
    return SQLITE_OK;
}

void WalCheckpointer::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [this] { return stopping_ || due_; });
        if (stopping_) return;
        due_ = false;
        lock.unlock();
        int wal_pages = 0;
        int copied = 0;
        const int rc =
            sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            spdlog::warn("sqlite: WAL checkpoint failed: {}", sqlite3_errmsg(db_));
        }
        lock.lock();
        ++checkpoints_;
    }
}

}  // namespace orcraft::storage_sqlite
