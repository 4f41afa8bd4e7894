#pragma once
// Shared helpers for the configuration tests: a temporary directory with real files, a fake
// environment and a fake name resolver.

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include "backend/config.hpp"

namespace orcraft::backend::test {

// A fresh directory under /tmp, removed with its contents at the end of the test.
class TempDir {
  public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "orcraft-config-XXXXXX");
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

    // Writes `text` to `name` (creating parent folders) and returns the full path.
    std::string write(const std::string& name, const std::string& text) const {
        const std::string full = file(name);
        std::filesystem::create_directories(std::filesystem::path(full).parent_path());
        std::ofstream out(full, std::ios::binary);
        out << text;
        if (!out) throw std::runtime_error("cannot write " + full);
        return full;
    }

  private:
    std::string path_;
};

// A resolver that knows a fixed table; every other name fails like an unknown host.
inline Resolver fake_resolver(std::map<std::string, std::vector<std::string>> table) {
    return [table = std::move(table)](const std::string& host) {
        Resolution r;
        if (auto it = table.find(host); it != table.end()) {
            r.ips = it->second;
        } else {
            r.error = "Name or service not known";
        }
        return r;
    };
}

inline EnvLookup fake_env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        if (auto it = vars.find(name); it != vars.end()) return it->second;
        return std::nullopt;
    };
}

// Options that read nothing from the machine: no search paths, empty environment, a resolver
// that knows node1..node3 and localhost.
inline LoadOptions isolated_options() {
    LoadOptions o;
    o.search_paths = {};
    o.env = fake_env({});
    o.resolver = fake_resolver({{"node1", {"10.0.0.1"}},
                                {"node2", {"10.0.0.2", "10.0.0.22"}},
                                {"node3", {"10.0.0.3"}},
                                {"v6node", {"fd00::5"}},
                                {"localhost", {"127.0.0.1", "::1"}}});
    return o;
}

// Loads one JSON document from a real file through --config.
inline LoadResult load_json(const TempDir& dir, const std::string& json,
                            LoadOptions options = isolated_options()) {
    options.config_file = dir.write("orchestrator.conf.json", json);
    return load_config(options);
}

}  // namespace orcraft::backend::test
