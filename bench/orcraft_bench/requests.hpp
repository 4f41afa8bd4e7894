#pragma once
// The HTTP requests of each workload, for orcraft's SQL API and for etcd's v3 JSON gateway.
//
// RequestFactory is built once from the options and is read-only afterwards, so every loop thread
// can share it. next() writes one whole HTTP/1.1 request (head and body) for one client and, for
// writes, appends the ids of the rows it carries, so that the caller can log them once the write
// is acknowledged. Ids are unique within a run: the seed's low bits, the client number and the
// client's own sequence number. Rows loaded for the select workloads have ids 1..rows.

#include <cstdint>
#include <string>
#include <vector>

#include "bench/orcraft_bench/options.hpp"

namespace orcraft::bench {

// The state one client keeps between its requests.
struct ClientCursor {
    std::uint32_t client = 0;
    std::uint32_t sequence = 0;
    std::uint64_t random = 0;  // xorshift state for the keys of select workloads
};

class RequestFactory {
  public:
    explicit RequestFactory(const Options& options);

    ClientCursor cursor(std::uint32_t client) const;
    // Appends the next request of `cursor` addressed to `url` to `out`, and its row ids to `ids`.
    void next(ClientCursor& cursor, const TargetUrl& url, std::string& out,
              std::vector<std::uint64_t>& ids) const;

    // Requests run once before the measured workload (create the table, load the rows a select
    // workload reads), as (path, JSON body) pairs, path without the URL prefix.
    std::vector<std::pair<std::string, std::string>> setup() const;

    std::uint64_t row_id(std::uint32_t client, std::uint32_t sequence) const;

  private:
    std::string key(std::uint64_t id) const;  // etcd key, base64 encoded
    std::string write_body(const std::vector<std::uint64_t>& ids) const;
    std::string read_body(std::uint64_t id) const;

    Options options_;
    std::string value_;         // JSON string literal contents (orcraft) or base64 (etcd)
    std::string insert_sql_;    // with one (?, ?) per row of a request
    std::string select_level_;  // "weak" or "linearizable"
};

std::string base64(std::string_view bytes);

}  // namespace orcraft::bench
