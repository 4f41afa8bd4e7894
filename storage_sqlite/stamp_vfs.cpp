#include "storage_sqlite/stamp_vfs.hpp"

#include <cstdio>
#include <stdexcept>

namespace orcraft::storage_sqlite {
namespace {

// The unix epoch as a Julian day number, in milliseconds (what xCurrentTimeInt64 returns).
constexpr sqlite3_int64 kUnixEpochJulianMillis = 210866760000000LL;

}  // namespace

StampVfs::StampVfs(std::function<std::int64_t()> fallback_clock)
    : fallback_(std::move(fallback_clock)) {
    root_ = sqlite3_vfs_find(nullptr);
    if (root_ == nullptr) {
        throw std::runtime_error("no default SQLite VFS");
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "orcraft-stamp-%p", static_cast<void*>(this));
    name_ = buf;

    // Forward every method to the default VFS. The root's methods expect the root's own
    // sqlite3_vfs (the unix VFS keeps its state in its pAppData), hence the small trampolines.
    vfs_.iVersion = 3;
    vfs_.szOsFile = root_->szOsFile;
    vfs_.mxPathname = root_->mxPathname;
    vfs_.zName = name_.c_str();
    vfs_.pAppData = this;
#define ROOT(v) (static_cast<StampVfs*>((v)->pAppData)->root_)
    vfs_.xOpen = [](sqlite3_vfs* v, const char* n, sqlite3_file* f, int fl, int* o) {
        return ROOT(v)->xOpen(ROOT(v), n, f, fl, o);
    };
    vfs_.xDelete = [](sqlite3_vfs* v, const char* n, int s) {
        return ROOT(v)->xDelete(ROOT(v), n, s);
    };
    vfs_.xAccess = [](sqlite3_vfs* v, const char* n, int f, int* o) {
        return ROOT(v)->xAccess(ROOT(v), n, f, o);
    };
    vfs_.xFullPathname = [](sqlite3_vfs* v, const char* n, int s, char* o) {
        return ROOT(v)->xFullPathname(ROOT(v), n, s, o);
    };
    vfs_.xDlOpen = [](sqlite3_vfs* v, const char* n) { return ROOT(v)->xDlOpen(ROOT(v), n); };
    vfs_.xDlError = [](sqlite3_vfs* v, int s, char* o) { ROOT(v)->xDlError(ROOT(v), s, o); };
    vfs_.xDlSym = [](sqlite3_vfs* v, void* h, const char* s) {
        return ROOT(v)->xDlSym(ROOT(v), h, s);
    };
    vfs_.xDlClose = [](sqlite3_vfs* v, void* h) { ROOT(v)->xDlClose(ROOT(v), h); };
    vfs_.xRandomness = [](sqlite3_vfs* v, int n, char* o) {
        return ROOT(v)->xRandomness(ROOT(v), n, o);
    };
    vfs_.xSleep = [](sqlite3_vfs* v, int us) { return ROOT(v)->xSleep(ROOT(v), us); };
    vfs_.xGetLastError = [](sqlite3_vfs* v, int n, char* o) {
        return ROOT(v)->xGetLastError != nullptr ? ROOT(v)->xGetLastError(ROOT(v), n, o) : 0;
    };
    vfs_.xSetSystemCall = [](sqlite3_vfs* v, const char* n, sqlite3_syscall_ptr p) {
        return ROOT(v)->iVersion >= 3 ? ROOT(v)->xSetSystemCall(ROOT(v), n, p) : SQLITE_NOTFOUND;
    };
    vfs_.xGetSystemCall = [](sqlite3_vfs* v, const char* n) -> sqlite3_syscall_ptr {
        return ROOT(v)->iVersion >= 3 ? ROOT(v)->xGetSystemCall(ROOT(v), n) : nullptr;
    };
    vfs_.xNextSystemCall = [](sqlite3_vfs* v, const char* n) -> const char* {
        return ROOT(v)->iVersion >= 3 ? ROOT(v)->xNextSystemCall(ROOT(v), n) : nullptr;
    };
#undef ROOT
    vfs_.xCurrentTime = &StampVfs::current_time;
    vfs_.xCurrentTimeInt64 = &StampVfs::current_time_int64;
    if (sqlite3_vfs_register(&vfs_, 0) != SQLITE_OK) {
        throw std::runtime_error("cannot register the SQLite stamp VFS");
    }
}

StampVfs::~StampVfs() {
    sqlite3_vfs_unregister(&vfs_);
}

void StampVfs::set_stamp(std::int64_t unix_micros) {
    stamp_.store(unix_micros);
    has_stamp_.store(true);
}

void StampVfs::clear_stamp() {
    has_stamp_.store(false);
}

std::int64_t StampVfs::now_micros() const {
    return has_stamp_.load() ? stamp_.load() : fallback_();
}

int StampVfs::current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
    const auto* self = static_cast<StampVfs*>(vfs->pAppData);
    const std::int64_t micros = self->now_micros();
    // Round down to milliseconds, the resolution SQLite works with.
    const std::int64_t millis = micros / 1000 - ((micros % 1000 < 0) ? 1 : 0);
    *out = kUnixEpochJulianMillis + millis;
    return SQLITE_OK;
}

int StampVfs::current_time(sqlite3_vfs* vfs, double* out) {
    sqlite3_int64 ms = 0;
    current_time_int64(vfs, &ms);
    *out = static_cast<double>(ms) / 86400000.0;
    return SQLITE_OK;
}

}  // namespace orcraft::storage_sqlite
