// Loading the configuration files, then adjusting and validating the result.

#include "backend/config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "backend/config_io.hpp"

namespace orcraft::backend {

namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += sep;
        out += item;
    }
    return out;
}

void read_config_file(Config& config, const std::string& path,
                      std::vector<std::pair<std::string, std::vector<std::string>>>& unknown) {
    std::string reason;
    const auto text = read_text_file(path, reason);
    if (!text) throw ConfigError("Cannot read config file: " + path + ": " + reason);
    std::vector<std::string> names;
    apply_config_json(config, *text, path, names);
    if (!names.empty()) unknown.emplace_back(path, std::move(names));
}

// The ${VAR} form of a password: the whole value, as orchestrator documents it.
std::optional<std::string> env_reference(const std::string& value) {
    if (value.size() < 3 || value.compare(0, 2, "${") != 0 || value.back() != '}') {
        return std::nullopt;
    }
    return value.substr(2, value.size() - 3);
}

bool valid_log_level(const std::string& level) {
    static const char* const levels[] = {"trace",   "debug", "info",     "warn",
                                         "warning", "error", "critical", "off"};
    return std::any_of(std::begin(levels), std::end(levels),
                       [&](const char* l) { return level == l; });
}

std::string quoted(const std::string& s) {
    return "\"" + s + "\"";
}

RaftAddress normalize_key(const std::string& key, const std::string& value, const Config& config,
                          const Resolver& resolver, std::vector<std::string>& warnings) {
    RaftAddress out;
    try {
        out = normalize_raft_address(value, config.default_raft_port, resolver, warnings);
    } catch (const AddressError& e) {
        throw ConfigError(key + " " + quoted(value) + " is not a valid address: " + e.what());
    }
    if (!out.address.port) {
        throw ConfigError(key + " " + quoted(value) +
                          " has no port and DefaultRaftPort is 0: give the port explicitly");
    }
    return out;
}

// Raft address checks; RaftDataDir and RaftBind are known to be set.
void validate_raft(Config& config, const Resolver& resolver, std::vector<std::string>& warnings) {
    config.raft_bind_address =
        normalize_key("RaftBind", config.raft_bind, config, resolver, warnings);
    const std::string advertise_key =
        config.raft_advertise_from_bind ? "RaftAdvertise (from RaftBind)" : "RaftAdvertise";
    config.raft_self =
        normalize_key(advertise_key, config.raft_advertise, config, resolver, warnings);
    const std::string& self_host = config.raft_self.address.host;
    if (self_host.empty() || is_unspecified_ip(self_host)) {
        throw ConfigError(advertise_key + " " + quoted(config.raft_advertise) +
                          " is not advertisable (it means every interface): set RaftAdvertise "
                          "to the address the other nodes reach this node at");
    }

    config.raft_members.clear();
    std::map<std::string, std::vector<std::string>> seen;
    for (const auto& node : config.raft_nodes) {
        RaftAddress member = normalize_key("RaftNodes entry", node, config, resolver, warnings);
        if (member.address.host.empty() || is_unspecified_ip(member.address.host)) {
            throw ConfigError("RaftNodes entry " + quoted(node) +
                              " is not a node address (it means every interface)");
        }
        seen[member.id].push_back(quoted(node));
        config.raft_members.push_back(std::move(member));
    }
    for (const auto& member : config.raft_members) {
        const auto& sources = seen[member.id];
        if (sources.size() > 1) {
            throw ConfigError("RaftNodes lists " + member.id +
                              " more than once: " + join(sources, ", "));
        }
    }

    if (!config.single_node()) {
        const bool member =
            std::any_of(config.raft_members.begin(), config.raft_members.end(),
                        [&](const RaftAddress& m) { return m.id == config.raft_self.id; });
        if (!member) {
            std::vector<std::string> ids;
            for (const auto& m : config.raft_members)
                ids.push_back(m.id);
            throw ConfigError("RaftAdvertise " + config.raft_self.id +
                              (config.raft_advertise_from_bind ? " (from RaftBind)" : "") +
                              " is not one of RaftNodes [" + join(ids, ", ") + "]");
        }
    }
    const auto n = config.raft_members.size();
    if (n >= 2 && n % 2 == 0) {
        warnings.push_back("RaftNodes has " + std::to_string(n) +
                           " members: an even-sized cluster survives no more failures than one "
                           "with " +
                           std::to_string(n - 1) + " members (3 or 5 members are recommended)");
    }
}

}  // namespace

bool Config::is_sqlite() const {
    return backend_db.find("sqlite") != std::string::npos;
}

bool Config::single_node() const {
    return raft_nodes.empty() || (raft_members.size() == 1 && raft_members[0].id == raft_self.id);
}

std::string Config::leader_url() const {
    return leader_http_url(http_advertise, use_ssl, raft_advertise, listen_address);
}

HostPort Config::listen() const {
    return parse_listen_address(listen_address);
}

EnvLookup system_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
}

std::vector<std::string> default_config_search_paths() {
    return {"/etc/orchestrator.conf.json", "conf/orchestrator.conf.json", "orchestrator.conf.json"};
}

std::string normalize_url_prefix(const std::string& prefix) {
    const auto first = prefix.find_first_not_of('/');
    if (first == std::string::npos) return "";
    const auto last = prefix.find_last_not_of('/');
    return "/" + prefix.substr(first, last - first + 1);
}

void finalize_config(Config& config, const EnvLookup& env, const Resolver& resolver,
                     std::vector<std::string>& warnings) {
    // Adjustments, in orchestrator's order.
    if (!config.mysql_credentials_config_file.empty()) {
        const Credentials creds = read_credentials_file(config.mysql_credentials_config_file);
        if (creds.user) config.mysql_user = *creds.user;
        if (creds.password) config.mysql_password = *creds.password;
    }
    if (const auto var = env_reference(config.mysql_password)) {
        const auto value = var->empty() ? std::nullopt : env(*var);
        if (!value) {
            throw ConfigError("MySQLOrchestratorPassword is " + config.mysql_password +
                              " but environment variable " + quoted(*var) + " is not set");
        }
        config.mysql_password = *value;
    }
    config.raft_advertise_from_bind = config.raft_advertise.empty();
    if (config.raft_advertise_from_bind) config.raft_advertise = config.raft_bind;
    config.url_prefix = normalize_url_prefix(config.url_prefix);

    // Validation: orchestrator's checks first, with its messages, then ours.
    if (config.is_sqlite() && config.sqlite3_data_file.empty()) {
        throw ConfigError("SQLite3DataFile must be set when BackendDB is sqlite3");
    }
    if (config.raft_enabled && config.raft_data_dir.empty()) {
        throw ConfigError("RaftDataDir must be defined since raft is enabled (RaftEnabled)");
    }
    if (config.raft_enabled && config.raft_bind.empty()) {
        throw ConfigError("RaftBind must be defined since raft is enabled (RaftEnabled)");
    }
    if (!config.http_advertise.empty()) {
        try {
            check_http_advertise(config.http_advertise);
        } catch (const AddressError& e) {
            throw ConfigError(e.what());
        }
    }
    if (!config.is_sqlite() && !config.backend_db.empty() && config.backend_db != "mysql") {
        throw ConfigError("BackendDB " + quoted(config.backend_db) +
                          " is not supported: use \"mysql\" or \"sqlite\"");
    }
    const auto& auth = config.authentication_method;
    if (!auth.empty() && auth != "basic" && auth != "multi") {
        throw ConfigError("AuthenticationMethod " + quoted(auth) +
                          " is not supported: use \"\" (none), \"basic\" or \"multi\"");
    }
    try {
        parse_listen_address(config.listen_address);
    } catch (const AddressError& e) {
        throw ConfigError("ListenAddress " + quoted(config.listen_address) +
                          " cannot be parsed: " + e.what());
    }
    if (config.status_endpoint.empty() || config.status_endpoint.front() != '/') {
        throw ConfigError("StatusEndpoint " + quoted(config.status_endpoint) +
                          " must be a path starting with '/'");
    }
    if (config.use_ssl && (config.ssl_cert_file.empty() || config.ssl_private_key_file.empty())) {
        throw ConfigError("UseSSL requires SSLCertFile and SSLPrivateKeyFile");
    }
    if (!valid_log_level(config.log_level)) {
        throw ConfigError("LogLevel " + quoted(config.log_level) +
                          " is not one of trace, debug, info, warn, error, critical, off");
    }
    // Shared-backend mode: a node must renew its lease well before it expires.
    if (!config.raft_enabled && !config.is_sqlite() &&
        std::int64_t{config.shared_backend_tick_millis} * 2 >
            std::int64_t{config.shared_backend_lease_seconds} * 1000) {
        throw ConfigError("SharedBackendTickMillis (" +
                          std::to_string(config.shared_backend_tick_millis) +
                          ") must be at most half of SharedBackendLeaseSeconds (" +
                          std::to_string(config.shared_backend_lease_seconds) + " s)");
    }
    if (config.raft_enabled) validate_raft(config, resolver, warnings);
}

LoadResult load_config(const LoadOptions& options) {
    LoadResult result;
    std::vector<std::pair<std::string, std::vector<std::string>>> unknown;
    if (options.config_file) {
        read_config_file(result.config, *options.config_file, unknown);
        result.files.push_back(*options.config_file);
    } else {
        for (const auto& path : options.search_paths) {
            struct stat st {};
            if (::stat(path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) continue;
            // Anything else that exists (or cannot be examined) must be readable.
            read_config_file(result.config, path, unknown);
            result.files.push_back(path);
        }
    }
    if (!unknown.empty()) {
        std::vector<std::string> parts;
        for (auto& [file, names] : unknown) {
            std::vector<std::string> distinct;
            for (const auto& name : names) {
                if (std::find(distinct.begin(), distinct.end(), name) == distinct.end()) {
                    distinct.push_back(name);
                }
            }
            parts.push_back(join(distinct, ", ") + " in " + file);
        }
        result.warnings.push_back("Ignoring unknown configuration keys: " + join(parts, "; "));
    }
    finalize_config(result.config, options.env, options.resolver, result.warnings);
    return result;
}

}  // namespace orcraft::backend
