// The RaftDataDir check, on the real file system.

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace orcraft::backend;
using namespace orcraft::backend::test;

namespace {

// Runs prepare_raft_data_dir(dir) in a child process that first drops to uid/gid 65534 (nobody),
// so that permission checks apply even when the tests run as root. Returns the error message, or
// "" when the call succeeded.
std::string prepare_as_nobody(const std::string& dir) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        std::string message;
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
            message = "setuid failed";
        } else {
            try {
                prepare_raft_data_dir(dir);
            } catch (const ConfigError& e) {
                message = e.what();
            }
        }
        [[maybe_unused]] const auto n = ::write(fds[1], message.data(), message.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string out;
    std::array<char, 512> buf{};
    ssize_t n = 0;
    while ((n = ::read(fds[0], buf.data(), buf.size())) > 0)
        out.append(buf.data(), n);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    return out;
}

}  // namespace

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

TEST_CASE("RaftDataDir: permission checks for an unprivileged user", "[config][datadir]") {
    if (::geteuid() != 0) return;  // covered by the tests above when not root
    TempDir dir;
    ::chmod(dir.path().c_str(), 0755);  // let the unprivileged child reach inside
    const std::string ro = dir.file("ro");
    std::filesystem::create_directory(ro);
    ::chmod(ro.c_str(), 0755);  // owned by root: not writable for the child
    CHECK(prepare_as_nobody(ro) ==
          "RaftDataDir (" + ro + ") error: not writable: Permission denied");
    CHECK(prepare_as_nobody(ro + "/raft") ==
          "RaftDataDir (" + ro + "/raft) does not exist and cannot be created: Permission denied");
    const std::string open = dir.file("open");
    std::filesystem::create_directory(open);
    ::chmod(open.c_str(), 0777);
    CHECK(prepare_as_nobody(open + "/raft") == "");
    CHECK(std::filesystem::is_directory(open + "/raft"));
}
