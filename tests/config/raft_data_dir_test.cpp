// The RaftDataDir check, on the real file system.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace orcraft::backend;
using namespace orcraft::backend::test;

TEST_CASE("RaftDataDir: empty is refused", "[config][datadir]") {
    CHECK_THROWS_WITH(prepare_raft_data_dir(""),
                      "RaftDataDir must be defined since raft is enabled (RaftEnabled)");
}

TEST_CASE("RaftDataDir: missing directories are created (mkdir -p)", "[config][datadir]") {
    TempDir dir;
    const std::string data = dir.file("a/b/c");
    prepare_raft_data_dir(data);
    CHECK(std::filesystem::is_directory(data));
    // No probe file is left behind, and an existing directory is fine.
    CHECK(std::filesystem::is_empty(data));
    prepare_raft_data_dir(data);
    CHECK(std::filesystem::is_empty(data));
}

TEST_CASE("RaftDataDir: cannot be created under a regular file", "[config][datadir]") {
    TempDir dir;
    const auto file = dir.write("plain", "x");
    const std::string data = file + "/raft";
    CHECK_THROWS_WITH(
        prepare_raft_data_dir(data),
        "RaftDataDir (" + data + ") does not exist and cannot be created: Not a directory");
}

TEST_CASE("RaftDataDir: exists but is not a directory", "[config][datadir]") {
    TempDir dir;
    const auto file = dir.write("plain", "x");
    CHECK_THROWS_WITH(prepare_raft_data_dir(file),
                      "RaftDataDir (" + file + ") error: not a directory");
}

TEST_CASE("RaftDataDir: not writable", "[config][datadir]") {
    TempDir dir;
    const std::string data = dir.file("ro");
    std::filesystem::create_directory(data);
    ::chmod(data.c_str(), 0555);
    if (::access(data.c_str(), W_OK) == 0) {
        // Root bypasses permission bits: the directory really is writable, and accepted.
        CHECK_NOTHROW(prepare_raft_data_dir(data));
    } else {
        CHECK_THROWS_WITH(prepare_raft_data_dir(data),
                          "RaftDataDir (" + data + ") error: not writable: Permission denied");
    }
    ::chmod(data.c_str(), 0755);
}

TEST_CASE("RaftDataDir: cannot be created under a directory without write permission",
          "[config][datadir]") {
    TempDir dir;
    const std::string parent = dir.file("locked");
    std::filesystem::create_directory(parent);
    ::chmod(parent.c_str(), 0555);
    if (::access(parent.c_str(), W_OK) != 0) {
        CHECK_THROWS_WITH(prepare_raft_data_dir(parent + "/raft"),
                          "RaftDataDir (" + parent +
                              "/raft) does not exist and cannot be "
                              "created: Permission denied");
    }
    ::chmod(parent.c_str(), 0755);
}
