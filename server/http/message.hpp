#pragma once
// The request a handler receives and the response it gives back.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/http/headers.hpp"

namespace orcraft::server::http {

class BodyStream;

// Decoded query parameters in the order they appeared. A name may occur several times
// (`?id=1&id=2`); a parameter without '=' has an empty value.
class QueryParams {
  public:
    using Param = std::pair<std::string, std::string>;

    // The first value of `name`, or nullopt.
    std::optional<std::string_view> get(std::string_view name) const;
    // Every value of `name`, in order.
    std::vector<std::string> get_all(std::string_view name) const;
    bool contains(std::string_view name) const { return get(name).has_value(); }

    void add(std::string name, std::string value) {
        params_.emplace_back(std::move(name), std::move(value));
    }
    std::size_t size() const { return params_.size(); }
    bool empty() const { return params_.empty(); }
    auto begin() const { return params_.begin(); }
    auto end() const { return params_.end(); }

  private:
    std::vector<Param> params_;
};

struct Request {
    std::string method;     // as sent: "GET", "POST", ...
    std::string target;     // the raw request target: "/api/db/query?q=select%201"
    std::string path;       // the target's path, percent-decoded: "/api/db/query"
    std::string raw_query;  // the part after '?', undecoded, without the '?'
    QueryParams query;      // raw_query decoded ('+' is a space)
    Headers headers;
    std::string body;  // de-chunked when the client sent it chunked
    std::string remote_ip;
    std::uint16_t remote_port = 0;
    int version_major = 1;
    int version_minor = 1;
    // Whether the client asked to keep the connection open after this exchange (HTTP/1.1
    // without "Connection: close", or HTTP/1.0 with "Connection: keep-alive").
    bool keep_alive = true;
};

struct Response {
    int status = 200;
    // Content-Type defaults to application/json when absent. Content-Length, Transfer-Encoding
    // and Connection are always set by the server and ignored here, except that
    // "Connection: close" makes the server close the connection after this response.
    Headers headers;
    std::string body;
    // When set, `body` is ignored and the body comes from this stream instead (see
    // body_stream.hpp), sent chunked.
    std::shared_ptr<BodyStream> stream;

    // A response whose body is `value` serialised, with Content-Type application/json.
    static Response json(int status, const nlohmann::json& value);
    // The JSON error body `{"error": message}` used for every failure the server produces itself.
    static Response error(int status, std::string_view message);
};

// The standard reason phrase of `status` ("Not Found"), or "Unknown".
std::string_view reason_phrase(int status);

// Percent-decodes `in`; with `plus_is_space` (query strings) '+' becomes ' '. Returns nullopt on a
// malformed escape ("%4" or "%zz").
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

// Splits and decodes "a=1&b=&c" into parameters; nullopt on a malformed escape.
std::optional<QueryParams> parse_query(std::string_view raw);

}  // namespace orcraft::server::http
