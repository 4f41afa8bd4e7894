#pragma once
// Classifies a portable SQL statement by its leading keyword, which is all the MySQL driver needs
// to decide how to run it: DDL commits implicitly in MySQL and therefore marks a boundary in a
// batch, transaction control would break the driver's own transactions and is refused, and a
// query must only read.

#include <string>
#include <string_view>
#include <vector>

namespace orcraft::storage_mysql {

enum class StatementKind {
    kRead,                // SELECT, WITH, SHOW, EXPLAIN, DESCRIBE, or a parenthesised SELECT
    kWrite,               // INSERT, REPLACE, UPDATE, DELETE and other DML
    kInsert,              // INSERT or REPLACE: the driver reports the generated id
    kImplicitCommit,      // DDL and other statements that MySQL commits implicitly
    kTransactionControl,  // BEGIN, COMMIT, ROLLBACK, SAVEPOINT, LOCK TABLES, XA, ...
};

// The first keyword of `sql` in upper case, skipping white space, comments (`-- `, `#`, `/* */`)
// and opening parentheses; empty when there is none.
std::string leading_keyword(std::string_view sql);

StatementKind classify_statement(std::string_view sql);

}  // namespace orcraft::storage_mysql

namespace orcraft::storage_mysql {

// The table an INSERT or REPLACE statement writes to (unquoted, without a schema prefix), or
// empty when the statement is not one or the name cannot be read.
std::string insert_target(std::string_view sql);

}  // namespace orcraft::storage_mysql

namespace orcraft::storage_mysql {

// The first `count` tokens of a statement: bare words (as written) and backquoted identifiers
// (unquoted), after white space and comments; a token of any other character ends the list, as
// does a schema-qualified name (`a`.`b`), which is returned with its dot as "a.b".
std::vector<std::string> leading_tokens(std::string_view sql, std::size_t count);

}  // namespace orcraft::storage_mysql
