#pragma once
// The JSON forms of the SQL API (docs/http-api.md): statements in, results out.
//
// A statement is either a string of SQL or an array whose first element is the SQL and whose
// other elements are the parameters. Parameters are JSON null, booleans (1/0), integers within
// signed 64 bits, numbers, strings, or {"blob": "<base64>"} for bytes. In results, blobs are
// base64 strings (the column's type says "blob").

#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>
#include <vector>

#include "backend/driver.hpp"
#include "backend/service.hpp"

namespace orcraft::server::api {

// The request body could not be understood; the message says what is wrong and where.
class RequestError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Parses a request body that must be a JSON object with "statements"; returns the whole object
// (for other members such as "level") and fills `statements`. Invalid JSON is a RequestError
// whose message starts with "invalid JSON: ".
nlohmann::json parse_statements_body(const std::string& body,
                                     std::vector<backend::Statement>& statements);

// Parses the "statements" array of a request body.
std::vector<backend::Statement> parse_statements(const nlohmann::json& statements);

// Parses a query level name: "none", "weak" (the default when empty) or "linearizable".
backend::ReadLevel parse_level(const std::string& name);
// A duration written like Go's (rqlite's `freshness`): one or more decimal numbers with a unit
// each, from ns, us (or µs), ms, s, m and h, as in "500ms", "2s" or "1m30s". Rounded up to
// whole milliseconds. Throws RequestError naming the parameter on anything else.
std::chrono::milliseconds parse_duration(const std::string& text, const std::string& what);

nlohmann::json value_to_json(const backend::Value& value);
nlohmann::json execute_results_to_json(const backend::ExecuteReply& reply, double seconds);
nlohmann::json query_results_to_json(const backend::QueryReply& reply, double seconds);

std::string base64_encode(std::string_view bytes);
// Throws RequestError on anything that is not canonical base64.
std::string base64_decode(std::string_view text);

}  // namespace orcraft::server::api
