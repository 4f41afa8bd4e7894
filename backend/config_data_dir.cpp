// The RaftDataDir check, made by the raft service when it starts (it touches the file system, so
// it is not part of load_config()).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "backend/config.hpp"

namespace orcraft::backend {

void prepare_raft_data_dir(const std::string& dir) {
    if (dir.empty()) {
        throw ConfigError("RaftDataDir must be defined since raft is enabled (RaftEnabled)");
    }
    const std::string prefix = "RaftDataDir (" + dir + ") ";
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR) {
            throw ConfigError(prefix + "error: " + std::strerror(errno));
        }
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            throw ConfigError(prefix + "does not exist and cannot be created: " + ec.message());
        }
        if (::stat(dir.c_str(), &st) != 0) {
            throw ConfigError(prefix +
                              "does not exist and cannot be created: " + std::strerror(errno));
        }
    }
    if (!S_ISDIR(st.st_mode)) throw ConfigError(prefix + "error: not a directory");

    // Permission bits do not tell the whole story (root, read-only mounts, ACLs): create a file.
    const std::string probe = dir + "/.orcraft-write-test." + std::to_string(::getpid());
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw ConfigError(prefix + "error: not writable: " + std::strerror(errno));
    }
    ::close(fd);
    ::unlink(probe.c_str());
}

}  // namespace orcraft::backend
