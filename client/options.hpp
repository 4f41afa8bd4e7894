#pragma once
// The command line of orcraft-client.
//
// parse_options() turns the arguments and the environment into Options, or throws UsageError
// with a message for the user. Options and the command may come in any order: the first
// argument that is not an option is the command, the following ones are its arguments, and `--`
// makes everything after it an argument. The environment is read through a lookup function so
// that tests need not change the process's own.

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/api_url.hpp"
#include "client/http_call.hpp"

namespace orcraft::client {

class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

enum class Command { Execute, Query, Status, RaftLeader, RaftHealth, Yield, WhichApi, Api };
enum class Format { Table, Tsv, Json };

struct Options {
    bool help = false;
    bool version = false;
    Command command = Command::Status;
    std::vector<std::string> args;  // the command's positional arguments

    std::vector<ApiUrl> urls;
    std::string urls_source;  // "--api", "ORCRAFT_API", "ORCHESTRATOR_API" or "default"
    std::optional<Credentials> credentials;
    bool direct = false;  // use the first URL without looking for the leader
    bool verbose = false;

    std::chrono::milliseconds probe_timeout{1'000};
    std::chrono::milliseconds connect_timeout{2'000};
    std::chrono::milliseconds request_timeout{30'000};
    std::chrono::milliseconds wait{0};  // how long to keep retrying what is safe to retry

    Format format = Format::Table;
    nlohmann::json params = nlohmann::json::array();  // execute/query: bound to the statement
    std::string level;                                // query: "" (server default) or a level
    std::optional<std::string> hint;                  // yield --hint
    std::optional<std::string> data;                  // api --data: POST this body
};

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

Options parse_options(const std::vector<std::string>& args, const EnvLookup& env);

// The process environment, for parse_options().
std::optional<std::string> process_env(const std::string& name);

// Interprets a --param value: a JSON number, true, false, null, a JSON string in double quotes or
// a JSON object ({"blob": "<base64>"}) is taken as that JSON value; anything else as a string.
nlohmann::json param_value(const std::string& text);

std::string usage();

// The command's name as typed ("raft-leader").
const char* command_name(Command command);

}  // namespace orcraft::client
