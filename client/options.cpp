#include "client/options.hpp"

#include <cmath>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace orcraft::client {

namespace {

constexpr const char* kDefaultApi = "http://127.0.0.1:3000";

const std::vector<std::pair<std::string_view, Command>>& command_table() {
    static const std::vector<std::pair<std::string_view, Command>> table = {
        {"execute", Command::Execute},        {"query", Command::Query},
        {"status", Command::Status},          {"raft-leader", Command::RaftLeader},
        {"raft-health", Command::RaftHealth}, {"yield", Command::Yield},
        {"which-api", Command::WhichApi},     {"api", Command::Api},
    };
    return table;
}

std::chrono::milliseconds seconds_value(const std::string& option, const std::string& text,
                                        bool zero_allowed) {
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value < 0 ||
        (value == 0 && !zero_allowed) || value > 86'400) {
        throw UsageError(option + " takes a number of seconds" +
                         (zero_allowed ? " (0 or more" : " (more than 0") +
                         ", at most 86400), not '" + text + "'");
    }
    return std::chrono::milliseconds(static_cast<long long>(std::llround(value * 1000)));
}

Credentials credentials_from(const std::string& user_arg,
                             const std::optional<std::string>& env_password) {
    const auto colon = user_arg.find(':');
    if (colon != std::string::npos) {
        return Credentials{user_arg.substr(0, colon), user_arg.substr(colon + 1)};
    }
    return Credentials{user_arg, env_password.value_or("")};
}

std::optional<std::string> first_set(const EnvLookup& env, const char* a, const char* b) {
    if (auto v = env(a); v && !v->empty()) return v;
    if (auto v = env(b); v && !v->empty()) return v;
    return std::nullopt;
}

// Checks that options meant for one command are not given to another.
void check_applicable(const Options& o, bool has_params, bool has_level) {
    const std::string name = command_name(o.command);
    const bool sql = o.command == Command::Execute || o.command == Command::Query;
    if (has_params && !sql) throw UsageError("--param applies to execute and query, not " + name);
    if (has_level && o.command != Command::Query)
        throw UsageError("--level applies to query, not " + name);
    if (o.hint && o.command != Command::Yield)
        throw UsageError("--hint applies to yield, not " + name);
    if (o.data && o.command != Command::Api) throw UsageError("--data applies to api, not " + name);

    switch (o.command) {
        case Command::Execute:
        case Command::Query:
            if (has_params && o.args.size() > 1)
                throw UsageError("--param needs exactly one statement; " +
                                 std::to_string(o.args.size()) + " were given");
            break;
        case Command::Yield:
            if (o.hint && !o.args.empty())
                throw UsageError("yield takes a node or --hint, not both");
            if (!o.hint && o.args.size() != 1)
                throw UsageError("yield needs the node to hand leadership to (ip:port), or --hint");
            break;
        case Command::Api:
            if (o.args.size() != 1)
                throw UsageError("api needs exactly one PATH (e.g. raft-peers)");
            break;
        default:
            if (!o.args.empty())
                throw UsageError(name + " takes no arguments; got '" + o.args.front() + "'");
    }
}

}  // namespace

const char* command_name(Command command) {
    for (const auto& [name, value] : command_table()) {
        if (value == command) return name.data();
    }
    return "?";
}

std::optional<std::string> process_env(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

nlohmann::json param_value(const std::string& text) {
    if (text.empty()) return text;
    const char c = text.front();
    const bool json_like = c == '"' || c == '{' || c == '-' || (c >= '0' && c <= '9') ||
                           text == "true" || text == "false" || text == "null";
    if (!json_like) return text;
    auto value = nlohmann::json::parse(text, nullptr, false);
    if (value.is_discarded() || value.is_array()) return text;
    return value;
}

Options parse_options(const std::vector<std::string>& args, const EnvLookup& env) {
    Options o;
    std::optional<std::string> command_text;
    std::vector<std::string> api_values;
    std::optional<std::string> user_arg;
    bool has_params = false;
    bool has_level = false;
    bool only_positional = false;

    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        const bool is_option = !only_positional && arg.size() > 1 && arg[0] == '-';
        if (!is_option) {
            if (!command_text) {
                command_text = arg;
            } else {
                o.args.push_back(arg);
            }
            continue;
        }
        if (arg == "--") {
            only_positional = true;
            continue;
        }
        std::optional<std::string> inline_value;
        if (arg.compare(0, 2, "--") == 0) {
            if (const auto eq = arg.find('='); eq != std::string::npos) {
                inline_value = arg.substr(eq + 1);
                arg.resize(eq);
            }
        }
        auto value = [&]() -> std::string {
            if (inline_value) return *inline_value;
            if (i + 1 >= args.size()) throw UsageError(arg + " needs a value");
            return args[++i];
        };
        auto no_value = [&]() {
            if (inline_value) throw UsageError(arg + " takes no value");
        };

        if (arg == "-h" || arg == "--help") {
            no_value();
            o.help = true;
        } else if (arg == "--version") {
            no_value();
            o.version = true;
        } else if (arg == "-a" || arg == "--api") {
            api_values.push_back(value());
        } else if (arg == "-u" || arg == "--user") {
            user_arg = value();
        } else if (arg == "--direct") {
            no_value();
            o.direct = true;
        } else if (arg == "-v" || arg == "--verbose") {
            no_value();
            o.verbose = true;
        } else if (arg == "--timeout") {
            o.request_timeout = seconds_value(arg, value(), false);
        } else if (arg == "--connect-timeout") {
            o.connect_timeout = seconds_value(arg, value(), false);
        } else if (arg == "--probe-timeout") {
            o.probe_timeout = seconds_value(arg, value(), false);
        } else if (arg == "--wait") {
            o.wait = seconds_value(arg, value(), true);
        } else if (arg == "-f" || arg == "--format") {
            const std::string f = value();
            if (f == "table") {
                o.format = Format::Table;
            } else if (f == "tsv") {
                o.format = Format::Tsv;
            } else if (f == "json") {
                o.format = Format::Json;
            } else {
                throw UsageError("--format is table, tsv or json, not '" + f + "'");
            }
        } else if (arg == "--json") {
            no_value();
            o.format = Format::Json;
        } else if (arg == "-p" || arg == "--param") {
            o.params.push_back(param_value(value()));
            has_params = true;
        } else if (arg == "--param-string") {
            o.params.push_back(value());
            has_params = true;
        } else if (arg == "-l" || arg == "--level") {
            o.level = value();
            has_level = true;
            if (o.level != "none" && o.level != "weak" && o.level != "linearizable")
                throw UsageError("--level is none, weak or linearizable, not '" + o.level + "'");
        } else if (arg == "--hint") {
            o.hint = value();
            if (o.hint->empty()) throw UsageError("--hint needs a non-empty value");
        } else if (arg == "-d" || arg == "--data") {
            o.data = value();
        } else {
            throw UsageError("unknown option " + arg + " (see --help)");
        }
    }
    if (o.help || o.version) return o;

    if (!command_text) throw UsageError("no command given (see --help)");
    bool known = false;
    for (const auto& [name, value] : command_table()) {
        if (*command_text == name) {
            o.command = value;
            known = true;
        }
    }
    if (!known) throw UsageError("unknown command '" + *command_text + "' (see --help)");
    check_applicable(o, has_params, has_level);

    try {
        if (!api_values.empty()) {
            o.urls_source = "--api";
            for (const auto& v : api_values) {
                for (auto& url : parse_api_list(v))
                    o.urls.push_back(std::move(url));
            }
        } else if (auto v = env("ORCRAFT_API"); v && !v->empty()) {
            o.urls_source = "ORCRAFT_API";
            o.urls = parse_api_list(*v);
        } else if (auto w = env("ORCHESTRATOR_API"); w && !w->empty()) {
            o.urls_source = "ORCHESTRATOR_API";
            o.urls = parse_api_list(*w);
        } else {
            o.urls_source = "default";
            o.urls = parse_api_list(kDefaultApi);
        }
    } catch (const UrlError& e) {
        throw UsageError(std::string(e.what()) + " (from " + o.urls_source + ")");
    }
    if (o.urls.empty()) throw UsageError(o.urls_source + " names no API URL");

    const auto env_password = first_set(env, "ORCRAFT_PASSWORD", "ORCHESTRATOR_AUTH_PASSWORD");
    if (user_arg) {
        o.credentials = credentials_from(*user_arg, env_password);
    } else if (auto user = first_set(env, "ORCRAFT_USER", "ORCHESTRATOR_AUTH_USER")) {
        o.credentials = credentials_from(*user, env_password);
    }
    return o;
}

std::string usage() {
    return R"(orcraft-client: talk to an orcraft cluster's HTTP API from the command line.

Usage: orcraft-client [options] COMMAND [arguments]

Commands:
  execute [SQL...]     run statements as one transaction on the leader; each argument is one
                       statement; without arguments, read SQL separated by ';' from standard
                       input (or a JSON request body starting with '{', or a JSON array of
                       statements). Prints rows affected and last insert ids.
  query [SQL...]       run read-only statements; prints one table per statement.
  status               the chosen node's health object (api/status).
  raft-leader          the raft leader's identity (ip:port).
  raft-health          "healthy" when the chosen node is part of a raft group with a leader.
  yield NODE           ask the leader to hand leadership to NODE (ip:port, as raft-peers shows).
  yield --hint TEXT    ... to the node whose identity contains TEXT.
  which-api            print the API URL chosen (as orchestrator-client -c which-api does).
  api PATH             GET <base>/api/PATH and print the answer as it came (--data: POST).

Where to connect:
  -a, --api URL[,URL...]   API base URLs, repeatable; http://host:port with an optional URL
                           prefix; a trailing /api is accepted (orchestrator-client's form).
                           Default: $ORCRAFT_API, else $ORCHESTRATOR_API (comma- or space-
                           separated), else http://127.0.0.1:3000.
  -u, --user USER[:PASSWORD]
                           HTTP basic authentication. Default: $ORCRAFT_USER/$ORCRAFT_PASSWORD,
                           else $ORCHESTRATOR_AUTH_USER/$ORCHESTRATOR_AUTH_PASSWORD. Without
                           :PASSWORD the password comes from those variables (or is empty).
  --direct                 use the first URL as it is, without looking for the leader.
  The leader is found as orchestrator-client finds it: GET api/leader-check on each URL in turn
  (the first HTTP 200 wins), then api/routed-leader-check on those that answered.

Options:
  --probe-timeout SEC      for each leader-check (default 1)
  --connect-timeout SEC    for connecting to the chosen node (default 2)
  --timeout SEC            for its answer (default 30)
  --wait SEC               keep retrying for up to SEC seconds while no leader is found, the
                           node cannot be reached, or it answers 503 (no leader yet); only what
                           certainly did not apply is retried (default 0: one attempt)
  -f, --format table|tsv|json
                           output of execute, query and status (default table); json prints
                           the server's answer as it came
  --json                   same as --format json
  -p, --param VALUE        a parameter for the statement's next '?' (repeatable; one statement
                           only); a JSON number, true, false, null, "quoted string" or
                           {"blob": "<base64>"} is taken as that value, anything else as text
  --param-string VALUE     a parameter taken as text whatever it looks like
  -l, --level none|weak|linearizable
                           read consistency of query (default: the server's, weak)
  --hint TEXT              yield to the node whose identity contains TEXT
  -d, --data BODY          api: POST this JSON body ('-' reads standard input)
  -v, --verbose            print each request and its outcome on standard error
  -h, --help               this text
  --version                the version

Exit status:
  0  success
  1  the node answered with an error (SQL error, an ERROR answer, raft unhealthy, no raft
     leader, HTTP status 400 or more)
  2  bad command line or input
  3  no node could be reached, or none is or knows the leader; nothing was applied
  4  the request was sent but its outcome is unknown (connection lost, timeout, or HTTP 504:
     a write may still be applied)
)";
}

}  // namespace orcraft::client
