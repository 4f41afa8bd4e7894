#pragma once
// The request body of execute and query, from the command line or standard input.
//
// Statements given as arguments are one statement each. Text read from standard input is either
// a whole JSON request body (it starts with '{'; sent as it is), a JSON array of statements (it
// starts with '['), or an SQL script whose statements are separated by ';' outside quotes and
// comments (split with the project's SQL tokenizer; text that does not tokenize is sent as one
// statement, so the node reports the error with its position). Parameters are bound to the one
// statement there is; with several statements they are refused.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace orcraft::client {

class InputError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Splits a script on top-level ';' and drops empty statements (blank or comments only).
std::vector<std::string> split_sql_script(const std::string& script);

// Builds the JSON body. `stdin_text` is used only when `statements` is empty; `level` is added
// to a query body when not empty. Throws InputError when there is no statement, when parameters
// meet several statements, or when JSON input is not valid.
std::string request_body(const std::vector<std::string>& statements,
                         const std::optional<std::string>& stdin_text, const nlohmann::json& params,
                         const std::string& level);

}  // namespace orcraft::client
