#include "storage_sqlite/connection.hpp"

namespace orcraft::storage_sqlite {

bool is_backend_failure(int code) {
    switch (code & 0xff) {
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_CORRUPT:
        case SQLITE_NOMEM:
        case SQLITE_CANTOPEN:
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_READONLY:
        case SQLITE_NOTADB:
        case SQLITE_PROTOCOL:
        case SQLITE_INTERRUPT:
            return true;
        default:
            return false;
    }
}

Connection::Connection(const std::string& path, int flags, const char* vfs,
                       std::size_t cache_capacity)
    : capacity_(cache_capacity) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, vfs);
    if (rc != SQLITE_OK) {
        std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw backend::BackendError("cannot open SQLite database " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
    for (auto& [sql, stmt] : cache_) {
        sqlite3_finalize(stmt);
    }
    sqlite3_close_v2(db_);
}

void Connection::exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw backend::BackendError("SQLite: " + sql + ": " + msg);
    }
}

void Connection::run(const std::string& sql) {
    int rc = SQLITE_OK;
    sqlite3_stmt* stmt = prepare(sql, rc);
    if (stmt != nullptr) {
        rc = sqlite3_step(stmt);
        sqlite3_reset(stmt);
        if (rc == SQLITE_DONE || rc == SQLITE_ROW) return;
    }
    throw backend::BackendError("SQLite: " + sql + ": " + last_error());
}

sqlite3_stmt* Connection::prepare(const std::string& sql, int& rc) {
    if (auto it = cache_.find(sql); it != cache_.end()) {
        sqlite3_reset(it->second);
        sqlite3_clear_bindings(it->second);
        rc = SQLITE_OK;
        return it->second;
    }
    sqlite3_stmt* stmt = nullptr;
    rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                            SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return nullptr;
    }
    if (cache_.size() >= capacity_) {
        // A simple bound: statements are cheap to prepare again, so drop them all.
        for (auto& [s, st] : cache_) {
            sqlite3_finalize(st);
        }
        cache_.clear();
    }
    cache_.emplace(sql, stmt);
    return stmt;
}

int bind_params(sqlite3_stmt* stmt, const std::vector<backend::Value>& params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
        const int pos = static_cast<int>(i) + 1;
        int rc = SQLITE_OK;
        const auto& v = params[i];
        if (std::holds_alternative<std::monostate>(v)) {
            rc = sqlite3_bind_null(stmt, pos);
        } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
            rc = sqlite3_bind_int64(stmt, pos, *n);
        } else if (const auto* d = std::get_if<double>(&v)) {
            rc = sqlite3_bind_double(stmt, pos, *d);
        } else if (const auto* s = std::get_if<std::string>(&v)) {
            rc =
                sqlite3_bind_text64(stmt, pos, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        } else if (const auto* b = std::get_if<backend::Blob>(&v)) {
            rc = sqlite3_bind_blob64(stmt, pos, b->bytes.data(), b->bytes.size(), SQLITE_TRANSIENT);
        }
        if (rc != SQLITE_OK) {
            return rc;
        }
    }
    return SQLITE_OK;
}

}  // namespace orcraft::storage_sqlite
