#pragma once
// Helpers for the embedding library's tests: temporary directories, free loopback ports, and
// configuration files for standalone nodes and in-process raft clusters on 127.0.0.1..N.

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/embed/orcraft.hpp"

namespace orcraft::tests::embed {

namespace fs = std::filesystem;

// A fresh directory under the system's temporary directory, removed with everything in it.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

// A TCP port on `host` that nothing listens on right now.
std::uint16_t free_port(const std::string& host);

// Writes `config` as a configuration file and returns its path.
fs::path write_config(const fs::path& file, const nlohmann::json& config);

// A standalone node's configuration file (SQLite in `dir`, the HTTP API on a free port).
fs::path standalone_config(const fs::path& dir);

// The configuration files of an n-node raft cluster: node i (0-based) binds 127.0.0.(i+1) on
// free ports, keeps its SQLite file and RaftDataDir under dir/node<i>, and serves HTTP on a free
// port of its address. Short election timeouts keep the tests quick.
std::vector<fs::path> cluster_configs(const fs::path& dir, int n);

// The node of `nodes` that is leader now and that every other running node follows, or
// nullptr.
orcraft::embed::Node* agreed_leader(
    const std::vector<std::unique_ptr<orcraft::embed::Node>>& nodes);

// The code of the orcraft::embed::Error `fn` throws (fails the test when it throws none);
// `message` receives what().
template <typename Fn>
orcraft::embed::ErrorCode error_code(Fn fn, std::string* message = nullptr) {
    try {
        fn();
    } catch (const orcraft::embed::Error& e) {
        if (message) *message = e.what();
        return e.code();
    }
    FAIL("no orcraft::embed::Error thrown");
    return orcraft::embed::ErrorCode::kBackend;
}

// Records the leadership events a node delivers.
class EventLog {
  public:
    orcraft::embed::LeadershipObserver observer() {
        return [this](const orcraft::embed::Leadership& l) {
            std::lock_guard lock(mutex_);
            events_.push_back(l);
        };
    }
    std::vector<orcraft::embed::Leadership> events() const {
        std::lock_guard lock(mutex_);
        return events_;
    }
    // The last event, or a default one (not leader, no leader, term 0) before any.
    orcraft::embed::Leadership last() const {
        std::lock_guard lock(mutex_);
        return events_.empty() ? orcraft::embed::Leadership{} : events_.back();
    }

  private:
    mutable std::mutex mutex_;
    std::vector<orcraft::embed::Leadership> events_;
};

}  // namespace orcraft::tests::embed
