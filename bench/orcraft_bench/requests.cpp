#include "bench/orcraft_bench/requests.hpp"

namespace orcraft::bench {
namespace {

std::uint64_t xorshift(std::uint64_t& state) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

void append_request(std::string& out, const TargetUrl& url, std::string_view path,
                    std::string_view body) {
    out += "POST ";
    out += url.prefix;
    out += path;
    out += " HTTP/1.1\r\nHost: ";
    out += url.host;
    out += ':';
    out += std::to_string(url.port);
    out += "\r\nContent-Type: application/json\r\nContent-Length: ";
    out += std::to_string(body.size());
    out += "\r\n\r\n";
    out += body;
}

}  // namespace

std::string base64(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        auto n = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                 (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) | std::uint8_t(bytes[i + 2]);
        out += kAlphabet[n >> 18];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (i < bytes.size()) {
        std::uint32_t n = std::uint32_t(std::uint8_t(bytes[i])) << 16;
        if (i + 1 < bytes.size()) n |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
        out += kAlphabet[n >> 18];
        out += kAlphabet[(n >> 12) & 63];
        out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

RequestFactory::RequestFactory(const Options& options) : options_(options) {
    // A value of printable letters that needs no escaping in JSON.
    std::string raw(static_cast<std::size_t>(options.value_size), 'a');
    std::uint64_t state = options.seed * 2654435761u + 1;
    for (auto& c : raw)
        c = static_cast<char>('a' + xorshift(state) % 26);
    value_ = options.protocol == Protocol::Etcd ? base64(raw) : raw;
    const int rows = options.workload == Workload::Batch ? options.batch : 1;
    insert_sql_ = "INSERT INTO " + options.table + " (id, v) VALUES (?, ?)";
    for (int i = 1; i < rows; ++i)
        insert_sql_ += ", (?, ?)";
    select_level_ = options.workload == Workload::SelectLinearizable ? "linearizable" : "weak";
}

ClientCursor RequestFactory::cursor(std::uint32_t client) const {
    ClientCursor c;
    c.client = client;
    c.random = (options_.seed + 1) * 0x9E3779B97F4A7C15ull ^
               (std::uint64_t{client} + 1) * 0xBF58476D1CE4E5B9ull;
    if (c.random == 0) c.random = 1;
    return c;
}

std::uint64_t RequestFactory::row_id(std::uint32_t client, std::uint32_t sequence) const {
    return ((options_.seed % 1024) << 52) | ((std::uint64_t{client} + 1) << 32) | sequence;
}

std::string RequestFactory::key(std::uint64_t id) const {
    return base64(options_.table + "/" + std::to_string(id));
}

std::string RequestFactory::write_body(const std::vector<std::uint64_t>& ids) const {
    std::string body;
    if (options_.protocol == Protocol::Etcd) {
        if (ids.size() == 1 && options_.workload != Workload::Batch) {
            return "{\"key\":\"" + key(ids[0]) + "\",\"value\":\"" + value_ + "\"}";
        }
        body = "{\"success\":[";
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (i) body += ',';
            body +=
                "{\"requestPut\":{\"key\":\"" + key(ids[i]) + "\",\"value\":\"" + value_ + "\"}}";
        }
        return body + "]}";
    }
    body = "{\"statements\":[[\"" + insert_sql_ + "\"";
    for (auto id : ids) {
        body += ',';
        body += std::to_string(id);
        body += ",\"";
        body += value_;
        body += '"';
    }
    return body + "]]}";
}

std::string RequestFactory::read_body(std::uint64_t id) const {
    if (options_.protocol == Protocol::Etcd) {
        std::string body = "{\"key\":\"" + key(id) + "\"";
        if (options_.workload == Workload::SelectWeak) body += ",\"serializable\":true";
        return body + "}";
    }
    return "{\"statements\":[[\"SELECT v FROM " + options_.table + " WHERE id = ?\"," +
           std::to_string(id) + "]],\"level\":\"" + select_level_ + "\"}";
}

void RequestFactory::next(ClientCursor& cursor, const TargetUrl& url, std::string& out,
                          std::vector<std::uint64_t>& ids) const {
    const bool etcd = options_.protocol == Protocol::Etcd;
    if (!is_write(options_.workload)) {
        auto id = 1 + xorshift(cursor.random) % static_cast<std::uint64_t>(options_.rows);
        append_request(out, url, etcd ? "/v3/kv/range" : "/api/db/query", read_body(id));
        return;
    }
    const int rows = options_.workload == Workload::Batch ? options_.batch : 1;
    const auto first = ids.size();
    for (int i = 0; i < rows; ++i)
        ids.push_back(row_id(cursor.client, ++cursor.sequence));
    std::vector<std::uint64_t> mine(ids.begin() + static_cast<std::ptrdiff_t>(first), ids.end());
    const char* path = etcd ? (options_.workload == Workload::Batch ? "/v3/kv/txn" : "/v3/kv/put")
                            : "/api/db/execute";
    append_request(out, url, path, write_body(mine));
}

std::vector<std::pair<std::string, std::string>> RequestFactory::setup() const {
    std::vector<std::pair<std::string, std::string>> out;
    const bool etcd = options_.protocol == Protocol::Etcd;
    if (!etcd && !options_.keep_table) {
        out.emplace_back("/api/db/execute", "{\"statements\":[\"DROP TABLE IF EXISTS " +
                                                options_.table + "\",\"CREATE TABLE " +
                                                options_.table +
                                                " (id BIGINT PRIMARY KEY, v MEDIUMTEXT)\"]}");
    } else if (!etcd) {
        out.emplace_back("/api/db/execute", "{\"statements\":[\"CREATE TABLE IF NOT EXISTS " +
                                                options_.table +
                                                " (id BIGINT PRIMARY KEY, v MEDIUMTEXT)\"]}");
    }
    if (is_write(options_.workload)) return out;
    // Load rows 1..rows in chunks (etcd's gateway refuses transactions over 128 operations).
    const int chunk = etcd ? 100 : 500;
    for (int start = 1; start <= options_.rows; start += chunk) {
        const int end = std::min(options_.rows, start + chunk - 1);
        std::string body;
        if (etcd) {
            body = "{\"success\":[";
            for (int id = start; id <= end; ++id) {
                if (id != start) body += ',';
                body += "{\"requestPut\":{\"key\":\"" + key(static_cast<std::uint64_t>(id)) +
                        "\",\"value\":\"" + value_ + "\"}}";
            }
            body += "]}";
            out.emplace_back("/v3/kv/txn", std::move(body));
        } else {
            body = "{\"statements\":[[\"INSERT INTO " + options_.table + " (id, v) VALUES (?, ?)";
            for (int id = start + 1; id <= end; ++id)
                body += ", (?, ?)";
            body += '"';
            for (int id = start; id <= end; ++id)
                body += "," + std::to_string(id) + ",\"" + value_ + '"';
            body += "]]}";
            out.emplace_back("/api/db/execute", std::move(body));
        }
    }
    return out;
}

}  // namespace orcraft::bench
