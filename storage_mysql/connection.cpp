#include "storage_mysql/connection.hpp"

#include "backend/sql_tokenizer.hpp"

#include <cppconn/datatype.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>

namespace orcraft::storage_mysql::detail {

// Why these modes: strict mode makes MySQL refuse values it would otherwise silently truncate or
// zero (where SQLite would store them unchanged), so a divergence shows up as an error instead of
// different rows. NO_AUTO_VALUE_ON_ZERO stores an explicit 0 in an AUTO_INCREMENT column, as
// SQLite does. ERROR_FOR_DIVISION_BY_ZERO is left out: x / 0 is NULL on both backends.
const char* const kSqlMode =
    "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO";

ErrorClass classify_error(int code) {
    switch (code) {
        case 2002:  // can't connect through socket / server down (libmariadb)
        case 2003:  // can't connect to server on host
        case 2006:  // server has gone away
        case 2013:  // lost connection during query (also the read timeout)
        case 2055:  // lost connection at '...'
        case 2026:  // TLS error while (re)connecting
        case 1927:  // connection was killed
        case 1053:  // server shutdown in progress
        case 1152:  // aborted connection
            return ErrorClass::kConnectionLost;
        case 1205:  // lock wait timeout
        case 1213:  // deadlock
            return ErrorClass::kTransient;
        case 1021:  // disk full
        case 1030:  // got error from storage engine
        case 1114:  // table is full
        case 1180:  // got error during commit
        case 1181:  // got error during rollback
        case 1037:  // out of memory
        case 1041:  // out of memory
            return ErrorClass::kBackend;
        default:
            return ErrorClass::kStatement;
    }
}

std::string describe(const sql::SQLException& e) {
    return "MySQL error " + std::to_string(e.getErrorCode()) + " (" + e.getSQLState() +
           "): " + e.what();
}

std::string quote_identifier(const std::string& name) {
    std::string out = "`";
    for (char c : name) {
        if (c == '`') out.push_back('`');
        out.push_back(c);
    }
    out.push_back('`');
    return out;
}

void Session::exec(const std::string& sql) {
    std::unique_ptr<sql::Statement> stmt(conn->createStatement());
    stmt->execute(sql);
}

std::int64_t Session::query_int(const std::string& sql) {
    std::unique_ptr<sql::Statement> stmt(conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery(sql));
    if (!rs->next()) throw std::runtime_error("no row from: " + sql);
    return rs->getInt64(1);
}

namespace {

sql::Driver* mysql_driver() {
    // The Connector's driver object is a process-wide singleton whose first creation is not
    // thread-safe; create it once under a once_flag.
    static std::once_flag once;
    static sql::Driver* driver = nullptr;
    std::call_once(once, [] { driver = sql::mysql::get_mysql_driver_instance(); });
    return driver;
}

}  // namespace

Session open_session(const MysqlOptions& options, bool use_database, const std::string& collation) {
    sql::ConnectOptionsMap props;
    if (!options.socket.empty()) {
        props["hostName"] = std::string("localhost");
        props["socket"] = options.socket;
    } else {
        props["hostName"] = options.host;
        props["port"] = options.port;
    }
    props["userName"] = options.user;
    props["password"] = options.password;
    props["OPT_CONNECT_TIMEOUT"] = options.connect_timeout_seconds;
    props["OPT_READ_TIMEOUT"] = options.read_timeout_seconds;
    props["OPT_WRITE_TIMEOUT"] = options.read_timeout_seconds;
    props["OPT_RECONNECT"] = false;  // reconnecting silently would lose the transaction state
    props["OPT_CHARSET_NAME"] = std::string("utf8mb4");
    props["CLIENT_MULTI_STATEMENTS"] = false;
    // rows_affected of an UPDATE counts the rows it matched, not only those whose values
    // changed: SQLite can only count matched rows, so both backends report the same number.
    // (An ON DUPLICATE KEY UPDATE that leaves the row as it was then counts 1, not 0.)
    props["CLIENT_FOUND_ROWS"] = true;
    // The client's own limit on a statement's size; the server's max_allowed_packet still
    // applies (a 16 MiB blob travels as 32 MiB of hex).
    props["OPT_MAX_ALLOWED_PACKET"] = 1 << 30;
    if (options.use_mutual_tls) {
        if (!options.ssl_ca_file.empty()) props["sslCA"] = options.ssl_ca_file;
        if (!options.ssl_cert_file.empty()) props["sslCert"] = options.ssl_cert_file;
        if (!options.ssl_private_key_file.empty()) props["sslKey"] = options.ssl_private_key_file;
        props["sslEnforce"] = true;
        props["sslVerify"] = !options.ssl_skip_verify;
    }

    Session s;
    s.conn.reset(mysql_driver()->connect(props));
    s.exec("SET time_zone = '+00:00'");
    s.exec(std::string("SET sql_mode = '") + kSqlMode + "'");
    // Only the connection collation (of literals) is set, not that of the results: with
    // `SET NAMES ... COLLATE utf8mb4_nopad_bin` MariaDB labels text results with collation 1070,
    // which Connector/C++ 1.1 cannot read ("unknown charsetnr").
    s.exec("SET NAMES utf8mb4");
    if (!collation.empty()) s.exec("SET collation_connection = " + collation);
    try {
        // MariaDB >= 10.10 and MySQL >= 8.0 default to it; older servers may refuse a change.
        s.exec("SET explicit_defaults_for_timestamp = 1");
    } catch (const sql::SQLException&) {
    }
    s.connection_id = static_cast<std::uint64_t>(s.query_int("SELECT CONNECTION_ID()"));
    s.server_started = s.query_int(
        "SELECT UNIX_TIMESTAMP() - VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
        "WHERE VARIABLE_NAME = 'UPTIME'");
    if (use_database) s.conn->setSchema(options.database);
    return s;
}

namespace {

void append_literal(std::string& out, const backend::Value& v) {
    if (std::holds_alternative<std::monostate>(v)) {
        out += "NULL";
    } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        out += std::to_string(*n);
    } else if (const auto* d = std::get_if<double>(&v)) {
        if (!std::isfinite(*d))
            throw backend::dialect::DialectError("unsupported parameter: a non-finite double");
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.16e", *d);
        out += buf;
    } else if (const auto* s = std::get_if<std::string>(&v)) {
        out.push_back('\'');
        for (char c : *s) {
            switch (c) {
                case '\0':
                    out += "\\0";
                    break;
                case '\'':
                    out += "\\'";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\x1a':
                    out += "\\Z";
                    break;
                default:
                    out.push_back(c);
            }
        }
        out.push_back('\'');
    } else if (const auto* b = std::get_if<backend::Blob>(&v)) {
        static constexpr char kHex[] = "0123456789ABCDEF";
        out.reserve(out.size() + 3 + 2 * b->bytes.size());
        out += "X'";
        for (unsigned char c : b->bytes) {
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
        out.push_back('\'');
    }
}

}  // namespace

std::string interpolate(const std::string& sql, const std::vector<backend::Value>& params) {
    if (params.empty() && sql.find('?') == std::string::npos) return sql;
    const auto tokens = backend::dialect::tokenize(sql);
    std::string out;
    std::size_t copied = 0;
    std::size_t used = 0;
    for (const auto& t : tokens) {
        if (t.kind != backend::dialect::TokenKind::Placeholder) continue;
        if (used == params.size())
            throw backend::dialect::DialectError("the statement has more placeholders than the " +
                                                 std::to_string(params.size()) +
                                                 " parameters given");
        out.append(sql, copied, t.begin - copied);
        append_literal(out, params[used++]);
        copied = t.end;
    }
    if (used != params.size())
        throw backend::dialect::DialectError("the statement has " + std::to_string(used) +
                                             " placeholders but " + std::to_string(params.size()) +
                                             " parameters");
    out.append(sql, copied, std::string::npos);
    return out;
}

namespace {

enum class Portable { kInteger, kReal, kText, kBlob, kDatetime, kNull, kDecimal };

Portable portable_type(sql::ResultSetMetaData& md, unsigned col) {
    switch (md.getColumnType(col)) {
        case sql::DataType::BIT:
        case sql::DataType::TINYINT:
        case sql::DataType::SMALLINT:
        case sql::DataType::MEDIUMINT:
        case sql::DataType::INTEGER:
        case sql::DataType::BIGINT:
        case sql::DataType::YEAR:
            return Portable::kInteger;
        case sql::DataType::REAL:
        case sql::DataType::DOUBLE:
            return Portable::kReal;
        case sql::DataType::DECIMAL:
        case sql::DataType::NUMERIC:
            return Portable::kDecimal;
        case sql::DataType::BINARY:
        case sql::DataType::VARBINARY:
        case sql::DataType::LONGVARBINARY:
        case sql::DataType::GEOMETRY:
            return Portable::kBlob;
        case sql::DataType::TIMESTAMP:
            return Portable::kDatetime;
        case sql::DataType::SQLNULL:
            return Portable::kNull;
        default:
            return Portable::kText;
    }
}

// 'YYYY-MM-DD HH:MM:SS' with exactly `fsp` fraction digits (none when fsp is 0), whatever form
// the protocol delivered.
std::string normalize_datetime(std::string s, unsigned fsp) {
    if (s.size() < 19) return s;
    std::string out = s.substr(0, 19);
    if (fsp > 0 && fsp <= 6) {
        std::string frac = s.size() > 20 && s[19] == '.' ? s.substr(20) : std::string();
        frac.resize(fsp, '0');
        out += "." + frac;
    }
    return out;
}

}  // namespace

backend::QueryResult read_result(sql::ResultSet& rs, std::size_t statement) {
    backend::QueryResult out;
    sql::ResultSetMetaData* md = rs.getMetaData();
    const unsigned ncols = md->getColumnCount();
    std::vector<Portable> kinds;
    std::vector<unsigned> scales;
    std::vector<bool> is_signed;
    for (unsigned c = 1; c <= ncols; ++c) {
        out.columns.push_back(md->getColumnLabel(c));
        Portable k = portable_type(*md, c);
        const unsigned scale = md->getScale(c);
        if (k == Portable::kDecimal) k = scale == 0 ? Portable::kInteger : Portable::kReal;
        kinds.push_back(k);
        scales.push_back(scale);
        is_signed.push_back(md->isSigned(c));
        switch (k) {
            case Portable::kInteger:
                out.types.push_back("integer");
                break;
            case Portable::kReal:
                out.types.push_back("real");
                break;
            case Portable::kBlob:
                out.types.push_back("blob");
                break;
            case Portable::kDatetime:
                out.types.push_back("datetime");
                break;
            case Portable::kNull:
                out.types.push_back("null");
                break;
            default:
                out.types.push_back("text");
                break;
        }
    }
    // A DECIMAL(n,0) column (SUM of integers, for one) reads as an integer when it fits.
    std::vector<bool> decimal_int(ncols, false);
    for (unsigned c = 1; c <= ncols; ++c) {
        const int t = md->getColumnType(c);
        decimal_int[c - 1] = (t == sql::DataType::DECIMAL || t == sql::DataType::NUMERIC) &&
                             kinds[c - 1] == Portable::kInteger;
    }

    while (rs.next()) {
        backend::Row row;
        row.reserve(ncols);
        for (unsigned c = 1; c <= ncols; ++c) {
            const std::size_t i = c - 1;
            if (kinds[i] == Portable::kNull) {
                row.emplace_back(std::monostate{});
                continue;
            }
            switch (kinds[i]) {
                case Portable::kInteger: {
                    if (decimal_int[i]) {
                        const std::string text = rs.getString(c);
                        if (rs.wasNull()) {
                            row.emplace_back(std::monostate{});
                            break;
                        }
                        errno = 0;
                        char* end = nullptr;
                        const long long v = std::strtoll(text.c_str(), &end, 10);
                        if (errno == ERANGE || end == text.c_str() || *end != '\0') {
                            row.emplace_back(std::strtod(text.c_str(), nullptr));
                        } else {
                            row.emplace_back(static_cast<std::int64_t>(v));
                        }
                        break;
                    }
                    if (!is_signed[i]) {
                        const std::uint64_t u = rs.getUInt64(c);
                        if (rs.wasNull()) {
                            row.emplace_back(std::monostate{});
                            break;
                        }
                        if (u >
                            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                            throw backend::StatementQueryError(
                                statement, "value " + std::to_string(u) + " of column " +
                                               out.columns[i] +
                                               " does not fit a signed 64-bit integer");
                        row.emplace_back(static_cast<std::int64_t>(u));
                        break;
                    }
                    const std::int64_t v = rs.getInt64(c);
                    if (rs.wasNull()) {
                        row.emplace_back(std::monostate{});
                    } else {
                        row.emplace_back(v);
                    }
                    break;
                }
                case Portable::kReal: {
                    const long double v = rs.getDouble(c);
                    if (rs.wasNull()) {
                        row.emplace_back(std::monostate{});
                    } else {
                        row.emplace_back(static_cast<double>(v));
                    }
                    break;
                }
                case Portable::kBlob: {
                    std::string bytes = rs.getString(c);
                    if (rs.wasNull()) {
                        row.emplace_back(std::monostate{});
                    } else {
                        row.emplace_back(backend::Blob{std::move(bytes)});
                    }
                    break;
                }
                case Portable::kDatetime: {
                    std::string text = rs.getString(c);
                    if (rs.wasNull()) {
                        row.emplace_back(std::monostate{});
                    } else {
                        row.emplace_back(normalize_datetime(std::move(text), scales[i]));
                    }
                    break;
                }
                default: {
                    std::string text = rs.getString(c);
                    if (rs.wasNull()) {
                        row.emplace_back(std::monostate{});
                    } else {
                        row.emplace_back(std::move(text));
                    }
                    break;
                }
            }
        }
        out.rows.push_back(std::move(row));
    }
    return out;
}

}  // namespace orcraft::storage_mysql::detail
