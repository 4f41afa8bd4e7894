#pragma once
// The backend-neutral content of a snapshot, as drivers produce and consume it: user tables
// described in the portable dialect, and their rows as portable Values.
//
// A driver's dump() describes each table with SnapshotTable and then hands its rows over in
// batches; restore() reads them back in the same order. The byte format around this
// (compression, checksum, versioning) is snapshot_format.hpp's business, not the driver's.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend/value.hpp"

namespace orcraft::backend {

struct SnapshotColumn {
    std::string name;
    // The column type in the portable dialect, upper case, as a CREATE TABLE would declare it:
    // TINYINT, SMALLINT, MEDIUMINT, INT, BIGINT (each optionally followed by " UNSIGNED"),
    // VARCHAR(n), TINYTEXT, TEXT, MEDIUMTEXT, LONGTEXT, VARBINARY(n), TINYBLOB, BLOB, MEDIUMBLOB,
    // LONGBLOB, DOUBLE, DATETIME, TIMESTAMP, ENUM('a','b',...).
    std::string type;
    bool nullable = true;
    bool auto_increment = false;
    // The DEFAULT clause's value as portable SQL text (a literal such as 0, -1, 'x', or
    // CURRENT_TIMESTAMP); nullopt when the column has no DEFAULT clause.
    std::optional<std::string> default_sql;
    bool operator==(const SnapshotColumn&) const = default;
};

struct SnapshotIndex {
    std::string name;  // the portable (MySQL) index name
    bool unique = false;
    std::vector<std::string> columns;
    bool operator==(const SnapshotIndex&) const = default;
};

struct SnapshotTable {
    std::string name;
    std::vector<SnapshotColumn> columns;
    std::vector<std::string> primary_key;  // column names in key order; empty for none
    std::vector<SnapshotIndex> indexes;    // secondary indexes, sorted by name
    // The value the next generated AUTO_INCREMENT id gets; 0 when the table has no
    // AUTO_INCREMENT column.
    std::int64_t next_auto_increment = 0;
    bool operator==(const SnapshotTable&) const = default;
};

// Where a driver's dump() writes. Tables come in order of name; each table's rows follow it,
// in primary key order, in batches of any size.
class SnapshotWriter {
  public:
    virtual ~SnapshotWriter() = default;
    virtual void table(const SnapshotTable& table) = 0;
    // Rows of the table announced last; each row has one Value per column, in column order.
    virtual void rows(const std::vector<Row>& rows) = 0;
};

// What a driver's restore() reads.
class SnapshotReader {
  public:
    virtual ~SnapshotReader() = default;
    // The next table, or nullopt after the last one. Rows of the previous table that were not
    // read are skipped.
    virtual std::optional<SnapshotTable> next_table() = 0;
    // Replaces `rows` with the next batch of the current table's rows; false (and `rows`
    // empty) when the table has no more.
    virtual bool next_rows(std::vector<Row>& rows) = 0;
};

}  // namespace orcraft::backend
