#pragma once
// The portable SQL dialect: validation, classification and translation to SQLite.
//
// Clients write one dialect, MySQL-flavoured SQL restricted to what SQLite and MySQL/MariaDB run
// with the same meaning (docs/sql-dialect.md is the user-facing reference). check() refuses any
// statement outside it before the statement can enter the log, with a DialectError whose
// message names the construct. to_sqlite() translates a statement for the SQLite driver; the
// MySQL driver runs the original text, after substitute_rand() (see sql_rand.hpp).
//
// Everything here works on tokens from sql_tokenizer.hpp, never on raw text.

#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backend/sql_tokenizer.hpp"

namespace orcraft::backend::dialect {

// What a statement does. Callers refuse writes and schema changes sent to the query endpoint,
// and know which statements are DDL (MySQL commits DDL implicitly, so a batch containing one
// is not atomic there; see the driver documentation).
enum class StatementKind { Read, Write, Schema };

// The statement verb, finer than the kind; the SQLite driver uses it to report rows_affected
// and last_insert_id with MySQL's meaning.
enum class Verb {
    Select,
    Insert,        // INSERT
    InsertIgnore,  // INSERT IGNORE
    Upsert,        // INSERT ... ON DUPLICATE KEY UPDATE
    Replace,       // REPLACE
    Update,
    Delete,
    CreateTable,
    DropTable,
    AlterTable,
    CreateIndex,
    DropIndex,
    Truncate,
};

struct Translation {
    StatementKind kind = StatementKind::Read;
    Verb verb = Verb::Select;
    // The table an INSERT/REPLACE/UPDATE/DELETE/DDL statement targets (unquoted); empty for reads.
    std::string table;
    // INSERT/REPLACE: the column list as written (unquoted), empty when the statement has none.
    std::vector<std::string> columns;
    // INSERT/REPLACE ... VALUES: the number of rows in the VALUES list; 0 for INSERT ... SELECT.
    std::size_t value_rows = 0;
    // Number of '?' placeholders the statement expects.
    std::size_t placeholders = 0;
    // The SQLite statements to run, in order. DML gives exactly one, carrying all placeholders;
    // DDL may give several (CREATE TABLE plus one CREATE INDEX per key), none with placeholders.
    std::vector<std::string> sqlite;
};

// Validates one statement against the portable dialect and returns its kind. Refuses, with a
// DialectError naming the construct: anything not in the dialect, non-deterministic functions
// (UUID(), SYSDATE(), ...), user and system variables, several statements in one string, and
// transaction control (a batch is the transaction). RAND() without arguments is accepted: it
// is replaced from the entry's stamp by substitute_rand() before it runs.
StatementKind check(std::string_view sql);

// Validates and translates one statement to SQLite. RAND() must already have been replaced by
// substitute_rand(); a remaining RAND() is refused. Throws DialectError like check().
Translation to_sqlite(std::string_view sql);

// A bounded cache of to_sqlite() results keyed by statement text, so that the statements an
// application sends again and again are tokenized once. Thread-safe. Statements whose text
// embeds per-entry values (RAND() substitutes) are not worth caching: pass cache=false.
class TranslationCache {
  public:
    explicit TranslationCache(std::size_t capacity = 1024) : capacity_(capacity) {}
    Translation translate(const std::string& sql, bool cache = true);
    std::size_t size() const;

  private:
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::list<std::string> order_;  // most recently used first
    std::unordered_map<std::string, std::pair<Translation, std::list<std::string>::iterator>>
        entries_;
};

}  // namespace orcraft::backend::dialect
