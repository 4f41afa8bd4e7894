#include "storage_mysql/mysql_snapshot.hpp"

#include <cppconn/statement.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

#include "backend/snapshot_ddl.hpp"
#include "backend/sql_tokenizer.hpp"

namespace orcraft::storage_mysql::detail {

using backend::BackendError;
using backend::Row;
using backend::SnapshotColumn;
using backend::SnapshotIndex;
using backend::SnapshotTable;
using backend::SnapshotValueKind;
using backend::Value;

namespace {

constexpr std::size_t kRowsPerPage = 1000;
// Restore inserts rows in statements of about this many bytes of values.
constexpr std::size_t kInsertBytes = 1 << 20;

std::string lower(std::string s) {
    for (char& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

std::string upper(std::string s) {
    for (char& c : s) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return s;
}

// Runs a query (parameters interpolated as literals) and calls fn for every row.
void each_row(Session& s, const std::string& sql, const std::vector<Value>& params,
              const std::function<void(sql::ResultSet&)>& fn) {
    std::unique_ptr<sql::Statement> st(s.conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(interpolate(sql, params)));
    while (rs->next()) {
        fn(*rs);
    }
}

std::string str(sql::ResultSet& rs, int col) {
    return static_cast<std::string>(rs.getString(col));
}

// User tables of the schema, in byte order (the driver's own tables and restore leftovers all
// start with orcraft_, a prefix the dialect reserves).
std::vector<std::string> user_tables(Session& s) {
    std::vector<std::string> out;
    each_row(s,
             "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
             "AND TABLE_TYPE = 'BASE TABLE' AND LOWER(LEFT(TABLE_NAME, 8)) <> 'orcraft_'",
             {}, [&](sql::ResultSet& rs) { out.push_back(str(rs, 1)); });
    std::sort(out.begin(), out.end());
    return out;
}

std::string portable_type(const std::string& table, const std::string& column,
                          const std::string& data_type, const std::string& column_type,
                          std::int64_t max_length) {
    const std::string dt = lower(data_type);
    const std::string ct = lower(column_type);
    static const char* const kInts[] = {"tinyint", "smallint", "mediumint", "int", "bigint"};
    for (const char* i : kInts) {
        if (dt == i) {
            return upper(dt) + (ct.find("unsigned") != std::string::npos ? " UNSIGNED" : "");
        }
    }
    if (dt == "double") return "DOUBLE";
    if (dt == "varchar" || dt == "char") return "VARCHAR(" + std::to_string(max_length) + ")";
    if (dt == "varbinary") return "VARBINARY(" + std::to_string(max_length) + ")";
    static const char* const kPlain[] = {"tinytext", "text",     "mediumtext", "longtext",
                                         "tinyblob", "blob",     "mediumblob", "longblob",
                                         "datetime", "timestamp"};
    for (const char* p : kPlain) {
        if (dt == p && ct == p) return upper(dt);
    }
    if (dt == "enum") {
        const auto open = column_type.find('(');
        const auto close = column_type.rfind(')');
        if (open != std::string::npos && close != std::string::npos && close > open) {
            std::string e = "ENUM(";
            bool first = true;
            for (const auto& tok :
                 backend::dialect::tokenize(column_type.substr(open + 1, close - open - 1))) {
                if (tok.kind == backend::dialect::TokenKind::String) {
                    e += (first ? "" : ",") + backend::dialect::quote_string(tok.value);
                    first = false;
                }
            }
            return e + ")";
        }
    }
    throw BackendError("MySQL backend: column " + column + " of table " + table + " has type " +
                       column_type +
                       ", which snapshots cannot carry (not in the portable dialect)");
}

std::optional<std::string> portable_default(const std::string& type, const std::string& raw,
                                            const std::string& extra, bool mariadb) {
    const SnapshotValueKind kind = backend::snapshot_value_kind(type);
    const bool numeric = kind == SnapshotValueKind::kInteger || kind == SnapshotValueKind::kReal;
    if (mariadb) {
        // MariaDB shows defaults as SQL: NULL, numbers, 'quoted text', current_timestamp().
        if (raw == "NULL") return std::nullopt;
        if (!raw.empty() && raw[0] == '\'') {
            const auto toks = backend::dialect::tokenize(raw);
            if (toks.size() == 1 && toks[0].kind == backend::dialect::TokenKind::String) {
                return backend::canonical_default(type, toks[0].value, true);
            }
        }
        return backend::canonical_default(type, raw, false);
    }
    // MySQL shows the value itself; an expression default is marked DEFAULT_GENERATED.
    if (lower(extra).find("default_generated") != std::string::npos || numeric) {
        return backend::canonical_default(type, raw, false);
    }
    return backend::canonical_default(type, raw, true);
}

SnapshotTable describe(Session& s, const std::string& table, bool mariadb) {
    SnapshotTable t;
    t.name = table;
    bool autoinc = false;
    each_row(s,
             "SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, "
             "CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
             "DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
             {table}, [&](sql::ResultSet& rs) {
                 SnapshotColumn c;
                 c.name = str(rs, 1);
                 c.type = portable_type(table, c.name, str(rs, 3), str(rs, 2), rs.getInt64(7));
                 c.nullable = str(rs, 4) == "YES";
                 const std::string extra = str(rs, 6);
                 c.auto_increment = lower(extra).find("auto_increment") != std::string::npos;
                 autoinc = autoinc || c.auto_increment;
                 const std::string raw = str(rs, 5);
                 if (!rs.wasNull()) {
                     c.default_sql = portable_default(c.type, raw, extra, mariadb);
                 }
                 t.columns.push_back(std::move(c));
             });
    if (t.columns.empty()) {
        throw BackendError("MySQL backend: table " + table + " has no columns");
    }
    std::map<std::string, SnapshotIndex> indexes;
    each_row(s,
             "SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
             "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX",
             {table}, [&](sql::ResultSet& rs) {
                 const std::string name = str(rs, 1);
                 if (name == "PRIMARY") {
                     t.primary_key.push_back(str(rs, 3));
                     return;
                 }
                 SnapshotIndex& ix = indexes[name];
                 ix.name = name;
                 ix.unique = rs.getInt(2) == 0;
                 ix.columns.push_back(str(rs, 3));
             });
    for (auto& [name, ix] : indexes) {
        t.indexes.push_back(std::move(ix));
    }
    for (auto& c : t.columns) {
        if (std::find(t.primary_key.begin(), t.primary_key.end(), c.name) != t.primary_key.end()) {
            c.nullable = false;
        }
    }
    if (autoinc) {
        // The driver's own record of the counter, written with each batch and read in this
        // transaction's snapshot; InnoDB's counter is the fallback for a table it lacks.
        bool found = false;
        each_row(s, "SELECT next_value FROM orcraft_autoinc WHERE table_name = ?", {table},
                 [&](sql::ResultSet& rs) {
                     t.next_auto_increment = rs.getInt64(1);
                     found = true;
                 });
        if (!found) {
            each_row(s,
                     "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                     "DATABASE() AND TABLE_NAME = ?",
                     {table}, [&](sql::ResultSet& rs) { t.next_auto_increment = rs.getInt64(1); });
        }
        if (t.next_auto_increment < 1) t.next_auto_increment = 1;
    }
    return t;
}

void dump_rows(Session& s, const SnapshotTable& t, backend::SnapshotWriter& out) {
    std::string select = "SELECT ";
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        select += (i == 0 ? "" : ", ") + quote_identifier(t.columns[i].name);
    }
    select += " FROM " + quote_identifier(t.name);
    std::vector<std::size_t> key;  // positions of the key columns in the row
    for (const auto& k : t.primary_key) {
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            if (t.columns[i].name == k) key.push_back(i);
        }
    }
    std::string order = " ORDER BY ";
    if (key.empty()) {
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            order += (i == 0 ? "" : ", ") + quote_identifier(t.columns[i].name);
        }
    } else {
        for (std::size_t i = 0; i < key.size(); ++i) {
            order += (i == 0 ? "" : ", ") + quote_identifier(t.columns[key[i]].name);
        }
    }
    std::vector<SnapshotValueKind> kinds;
    for (const auto& c : t.columns) {
        kinds.push_back(backend::snapshot_value_kind(c.type));
    }
    std::optional<Row> last;
    std::uint64_t offset = 0;
    for (;;) {
        std::string where;
        std::vector<Value> params;
        if (last && !key.empty()) {
            // Keyset pagination: rows after the last one in key order.
            where = " WHERE ";
            for (std::size_t i = 0; i < key.size(); ++i) {
                where += i == 0 ? "(" : " OR (";
                for (std::size_t j = 0; j < i; ++j) {
                    where += quote_identifier(t.columns[key[j]].name) + " = ? AND ";
                    params.push_back((*last)[key[j]]);
                }
                where += quote_identifier(t.columns[key[i]].name) + " > ?)";
                params.push_back((*last)[key[i]]);
            }
        }
        std::string sql = select + where + order + " LIMIT " + std::to_string(kRowsPerPage);
        if (key.empty()) sql += " OFFSET " + std::to_string(offset);
        std::unique_ptr<sql::Statement> st(s.conn->createStatement());
        std::unique_ptr<sql::ResultSet> rs(st->executeQuery(interpolate(sql, params)));
        backend::QueryResult page = read_result(*rs, 0);
        for (auto& row : page.rows) {
            for (std::size_t i = 0; i < row.size(); ++i) {
                row[i] = backend::snapshot_value(std::move(row[i]), kinds[i]);
            }
        }
        const std::size_t n = page.rows.size();
        offset += n;
        if (n > 0) last = page.rows.back();
        out.rows(page.rows);
        if (n < kRowsPerPage) break;
    }
}

void insert_rows(Session& s, const std::string& table, const SnapshotTable& t,
                 backend::SnapshotReader& in) {
    std::string head = "INSERT INTO " + quote_identifier(table) + " (";
    std::string tuple = "(";
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        head += (i == 0 ? "" : ", ") + quote_identifier(t.columns[i].name);
        tuple += i == 0 ? "?" : ", ?";
    }
    head += ") VALUES ";
    tuple += ")";
    std::string sql;
    std::vector<Value> params;
    std::size_t bytes = 0;
    auto flush = [&] {
        if (params.empty()) return;
        s.exec(interpolate(sql, params));
        sql.clear();
        params.clear();
        bytes = 0;
    };
    std::vector<Row> rows;
    while (in.next_rows(rows)) {
        for (auto& row : rows) {
            sql += sql.empty() ? head + tuple : ", " + tuple;
            for (auto& v : row) {
                if (const auto* text = std::get_if<std::string>(&v)) bytes += text->size();
                if (const auto* blob = std::get_if<backend::Blob>(&v))
                    bytes += 2 * blob->bytes.size();
                bytes += 8;
                params.push_back(std::move(v));
            }
            if (bytes >= kInsertBytes) flush();
        }
    }
    flush();
}

}  // namespace

DumpStart begin_dump_tables(Session& s) {
    DumpStart start;
    std::uint64_t pending = 0;
    each_row(s, "SELECT applied_index, pending_index FROM orcraft_applied_index WHERE id = 1", {},
             [&](sql::ResultSet& rs) {
                 start.applied = rs.getUInt64(1);
                 pending = rs.getUInt64(2);
             });
    if (pending != 0) {
        throw BackendError("MySQL backend: cannot take a snapshot while entry " +
                           std::to_string(pending) +
                           " is partly applied (or a snapshot install was interrupted)");
    }
    each_row(s, "SELECT VERSION()", {}, [&](sql::ResultSet& rs) {
        start.mariadb = str(rs, 1).find("MariaDB") != std::string::npos;
    });
    start.tables = user_tables(s);
    for (const auto& name : start.tables) {
        // Opening the table takes its metadata lock for the rest of the transaction.
        each_row(s, "SELECT 1 FROM " + quote_identifier(name) + " LIMIT 0", {},
                 [](sql::ResultSet&) {});
    }
    return start;
}

void write_dump_tables(Session& s, const DumpStart& start, backend::SnapshotWriter& out) {
    for (const auto& name : start.tables) {
        const SnapshotTable t = describe(s, name, start.mariadb);
        out.table(t);
        dump_rows(s, t, out);
    }
}

std::uint64_t dump_tables(Session& s, backend::SnapshotWriter& out) {
    const DumpStart start = begin_dump_tables(s);
    write_dump_tables(s, start, out);
    return start.applied;
}

namespace {

// A dump pinned by MysqlDriver::begin_dump(): its own session, inside the dump's transaction.
class MysqlPendingDump final : public backend::PendingDump {
  public:
    MysqlPendingDump(Session s, DumpStart start) : s_(std::move(s)), start_(std::move(start)) {}
    ~MysqlPendingDump() override {
        try {
            // Closing the session ends the transaction and releases its metadata locks.
            s_.conn->close();
        } catch (const sql::SQLException&) {
        }
    }

    std::uint64_t index() const override { return start_.applied; }

    void write(backend::SnapshotWriter& out) override {
        try {
            write_dump_tables(s_, start_, out);
            s_.exec("COMMIT");
        } catch (const sql::SQLException& e) {
            throw BackendError("MySQL backend: snapshot failed: " + detail::describe(e));
        }
    }

  private:
    Session s_;
    DumpStart start_;
};

}  // namespace

std::unique_ptr<backend::PendingDump> begin_pending_dump(Session s) {
    try {
        // A consistent snapshot needs REPEATABLE READ, whatever the server's default is.
        s.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        s.exec("START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT");
        DumpStart start = begin_dump_tables(s);
        return std::make_unique<MysqlPendingDump>(std::move(s), std::move(start));
    } catch (const sql::SQLException& e) {
        try {
            s.conn->close();
        } catch (const sql::SQLException&) {
        }
        throw BackendError("MySQL backend: cannot start a snapshot: " + detail::describe(e));
    }
}

void drop_leftovers(Session& s) {
    std::vector<std::string> leftovers;
    each_row(s,
             "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
             "AND (TABLE_NAME LIKE 'orcraft\\_new\\_%' OR TABLE_NAME LIKE 'orcraft\\_old\\_%')",
             {}, [&](sql::ResultSet& rs) { leftovers.push_back(str(rs, 1)); });
    for (const auto& t : leftovers) {
        s.exec("DROP TABLE IF EXISTS " + quote_identifier(t));
    }
}

std::vector<BuiltTable> build_tables(Session& s, backend::SnapshotReader& in) {
    drop_leftovers(s);
    std::vector<BuiltTable> built;
    try {
        while (auto t = in.next_table()) {
            BuiltTable b{t->name, "orcraft_new_" + std::to_string(built.size() + 1)};
            s.exec(backend::portable_create_table(*t, b.temporary));
            built.push_back(b);
            insert_rows(s, b.temporary, *t, in);
            if (t->next_auto_increment > 0) {
                s.exec("ALTER TABLE " + quote_identifier(b.temporary) +
                       " AUTO_INCREMENT = " + std::to_string(t->next_auto_increment));
            }
        }
    } catch (...) {
        try {
            drop_leftovers(s);
        } catch (...) {
            // The connection itself failed; the next install drops them.
        }
        throw;
    }
    return built;
}

void swap_in(Session& s, const std::vector<BuiltTable>& built) {
    const std::vector<std::string> existing = user_tables(s);
    std::string renames;
    std::vector<std::string> old;
    for (const auto& e : existing) {
        old.push_back("orcraft_old_" + std::to_string(old.size() + 1));
        renames += (renames.empty() ? "" : ", ") + quote_identifier(e) + " TO " +
                   quote_identifier(old.back());
    }
    for (const auto& b : built) {
        renames += (renames.empty() ? "" : ", ") + quote_identifier(b.temporary) + " TO " +
                   quote_identifier(b.name);
    }
    if (!renames.empty()) {
        // One statement, so readers see the old set of tables or the new one.
        s.exec("RENAME TABLE " + renames);
    }
    for (const auto& o : old) {
        s.exec("DROP TABLE IF EXISTS " + quote_identifier(o));
    }
}

}  // namespace orcraft::storage_mysql::detail
