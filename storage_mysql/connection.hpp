#pragma once
// Internal to storage_mysql (includes Connector/C++, and through it Boost): opening a configured
// session, classifying server errors, binding Values and reading result sets. Never include this
// from a public header.

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "backend/driver.hpp"
#include "storage_mysql/mysql_options.hpp"

namespace orcraft::storage_mysql::detail {

// The error classes the driver reacts to differently.
enum class ErrorClass {
    kConnectionLost,  // the session is gone (2006, 2013, 2002, 1927, ...): reconnect
    kTransient,       // deadlock or lock wait timeout: the transaction was rolled back, retry
    kBackend,         // the server itself failed (disk full, engine error): BackendError
    kStatement,       // a deterministic SQL error of the statement: reported to the client
};

ErrorClass classify_error(int code);

// A server error as one line: "MySQL error 1062 (23000): Duplicate entry ...".
std::string describe(const sql::SQLException& e);

// One open session, configured (UTC time zone, strict sql_mode, utf8mb4, binary collation) and,
// when `use_database` is set, with the node's schema as default database.
struct Session {
    std::unique_ptr<sql::Connection> conn;
    std::uint64_t connection_id = 0;
    // When the server process started (UNIX seconds, from its uptime; may be off by a second).
    // Connection ids restart from 1 when the server restarts, so an id names a session only
    // together with this.
    std::int64_t server_started = 0;

    void exec(const std::string& sql);
    std::int64_t query_int(const std::string& sql);
};

// Opens a session; throws sql::SQLException on failure. The connect and read timeouts and the
// TLS options are taken from `options`. `collation` (may be empty) becomes the connection
// collation, so literals compare like the schema's columns.
Session open_session(const MysqlOptions& options, bool use_database, const std::string& collation);

// The sql_mode every session runs with; see mysql_driver.hpp for the reasons.
extern const char* const kSqlMode;

// The statement with each `?` placeholder replaced by the literal of its parameter. Statements
// run as text, not as server-side prepared statements: one round trip instead of three (prepare,
// execute, close), and no per-connection statement cache to keep. Placeholders are found by the
// dialect's tokenizer, so a `?` inside a string, identifier or comment is left alone. Literals:
// NULL; integers in decimal; doubles with 17 significant digits and an exponent (MySQL reads them
// as DOUBLE, exactly); text quoted with backslash escapes; blobs as X'hex'. Throws
// backend::dialect::DialectError when the number of parameters does not match, for a non-finite
// double, or when the statement does not tokenize.
std::string interpolate(const std::string& sql, const std::vector<backend::Value>& params);

// Reads a whole result set into portable values and type names. Throws
// backend::StatementQueryError (naming `statement`) for values that do not fit a Value, such as
// a BIGINT UNSIGNED above 2^63-1.
backend::QueryResult read_result(sql::ResultSet& rs, std::size_t statement);

// Quotes an identifier with backticks.
std::string quote_identifier(const std::string& name);

}  // namespace orcraft::storage_mysql::detail
