#pragma once
// A node's configuration, read from orchestrator's JSON configuration files.
//
// orcraft accepts an orchestrator 3.2 configuration unchanged: the same keys, types, defaults,
// file search order, `${VAR}` passwords, credentials file and validation messages (spec
// orchestrator-compat.md §1). Keys orcraft does not know are ignored, and one warning lists
// them. docs/configuration.md is the user-facing reference for every key.
//
// Loading happens in three steps, all inside load_config():
//   1. read: every file is parsed and its keys are applied on top of the previous ones;
//   2. adjust: credentials file, `${VAR}` password, RaftAdvertise defaulting to RaftBind,
//      URLPrefix normalization, raft address normalization (hostnames resolved once);
//   3. validate: every fatal problem throws ConfigError whose what() is the message an operator
//      sees; non-fatal ones become warnings.
// The RaftDataDir check touches the file system and is a separate call, prepare_raft_data_dir(),
// made by the raft service when it starts.
//
// Nothing here logs or reads global state on its own: the file search list, the environment and
// the name resolver are injected through LoadOptions, and warnings are returned to the caller.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "backend/address.hpp"

namespace orcraft::backend {

// A fatal configuration problem. what() is the complete message, ready to print.
class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct Config {
    // One field per key of config_keys.def, with its default; e.g. `int default_raft_port =
    // 10008;` for "DefaultRaftPort". The .def file is the table of keys.
#define ORCRAFT_CONFIG_KEY(type, field, json_key, default_value, rule) type field = default_value;
#include "backend/config_keys.def"

    // --- Derived by load_config(), not keys. ---

    // True when RaftAdvertise was empty and got RaftBind's value.
    bool raft_advertise_from_bind = false;
    // With RaftEnabled only: the normalized RaftBind (where the raft transport listens), this
    // node's identity (the normalized RaftAdvertise) and the normalized RaftNodes, in order.
    RaftAddress raft_bind_address;
    RaftAddress raft_self;
    std::vector<RaftAddress> raft_members;

    // BackendDB contains "sqlite" ("sqlite", "sqlite3"); otherwise the backend is MySQL.
    bool is_sqlite() const;
    // RaftNodes is empty, or has exactly one entry equal to this node's identity.
    bool single_node() const;
    // The leader HTTP URL this node publishes when it is leader (spec §2): HTTPAdvertise, or
    // http(s)://<host of raw RaftAdvertise>:<port of ListenAddress>.
    std::string leader_url() const;
    // The parsed ListenAddress (validated by load_config()).
    HostPort listen() const;
};

// Reads an environment variable; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
EnvLookup system_env();

// orchestrator's search list: /etc/orchestrator.conf.json, conf/orchestrator.conf.json,
// orchestrator.conf.json (the last two relative to the working directory).
std::vector<std::string> default_config_search_paths();

struct LoadOptions {
    // `--config FILE`: read exactly this file; missing or unreadable is fatal.
    std::optional<std::string> config_file;
    // Without config_file: each path that exists is read in order, later ones overriding earlier
    // keys. None existing is fine (all defaults).
    std::vector<std::string> search_paths = default_config_search_paths();
    EnvLookup env = system_env();
    Resolver resolver = system_resolver();
};

struct LoadResult {
    Config config;
    std::vector<std::string> files;     // the files read, in order
    std::vector<std::string> warnings;  // to be logged by the caller, one line each
};

// Reads, adjusts and validates the configuration. Throws ConfigError on any fatal problem.
LoadResult load_config(const LoadOptions& options);

// Step 1 for one document: applies the keys of a JSON object text to `config`. `origin` names the
// file in messages. Keys that match no field are appended to `unknown` (as written). Throws
// ConfigError "Cannot read config file: <origin>: <detail>" on a syntax error, a top level that
// is not an object, or a value of the wrong type or out of range.
void apply_config_json(Config& config, const std::string& text, const std::string& origin,
                       std::vector<std::string>& unknown);

// Steps 2 and 3: everything load_config() does after reading the files.
void finalize_config(Config& config, const EnvLookup& env, const Resolver& resolver,
                     std::vector<std::string>& warnings);

// "/api/" → "/api", "api" → "/api", "/" → "": a leading '/' and no trailing '/' (empty stays
// empty).
std::string normalize_url_prefix(const std::string& prefix);

// The [client] user and password of a my.cnf-style credentials file.
struct Credentials {
    std::optional<std::string> user;
    std::optional<std::string> password;
};

// Parses credentials file text: sections in [brackets], `name = value` lines, values optionally
// in double quotes (with \" \\ \n \t escapes) or single quotes, comments starting with '#' or
// ';'. Section and key names are case-insensitive; other sections and other keys are ignored.
// Throws ConfigError naming `origin` and the line on a syntax error.
Credentials parse_credentials(const std::string& text, const std::string& origin);

// Reads and parses a credentials file. Throws ConfigError when it cannot be read or parsed.
Credentials read_credentials_file(const std::string& path);

// The RaftDataDir check the raft service makes before opening its log: creates the directory
// (mkdir -p) when missing, and checks that it is a writable directory by creating and removing a
// probe file. Throws ConfigError:
//   "RaftDataDir must be defined since raft is enabled (RaftEnabled)" when dir is empty,
//   "RaftDataDir (<dir>) does not exist and cannot be created: <reason>",
//   "RaftDataDir (<dir>) error: <reason>" when it exists but is not a directory, cannot be
//   examined or is not writable.
void prepare_raft_data_dir(const std::string& dir);

// The configuration as a JSON object with orchestrator's key names (every key, defaults
// included); secrets (passwords) are replaced by "****" when set.
nlohmann::json config_to_json(const Config& config);

// Every key's JSON name, in table order.
std::vector<std::string> config_key_names();

}  // namespace orcraft::backend
