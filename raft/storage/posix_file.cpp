#include "raft/storage/posix_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "raft/storage/log_store.hpp"

namespace orcraft::raft::storage {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
    const int err = errno;
    throw StorageError("raft storage: " + what + " " + path + ": " + std::strerror(err));
}

}  // namespace

File::File(const std::string& path, int flags, unsigned mode) : path_(path) {
    do {
        fd_ = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd_ < 0 && errno == EINTR);
    if (fd_ < 0) fail("cannot open", path);
}

File::~File() {
    close();
}

File::File(File&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

File& File::operator=(File&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

void File::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void File::write_at(std::uint64_t offset, std::string_view bytes) const {
    while (!bytes.empty()) {
        const ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot write", path_);
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
}

void File::truncate(std::uint64_t size) const {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) fail("cannot truncate", path_);
}

void File::preallocate(std::uint64_t size) const {
    const int err = ::posix_fallocate(fd_, 0, static_cast<off_t>(size));
    if (err == 0 || err == EOPNOTSUPP || err == EINVAL) return;
    errno = err;
    fail("cannot preallocate", path_);
}

std::uint64_t File::size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail("cannot stat", path_);
    return static_cast<std::uint64_t>(st.st_size);
}

void Syncer::data(const File& file) {
    if (!enabled_) return;
    ++count_;
    if (::fdatasync(file.fd()) != 0) fail("cannot fdatasync", file.path());
}

void Syncer::full(const File& file) {
    if (!enabled_) return;
    ++count_;
    if (::fsync(file.fd()) != 0) fail("cannot fsync", file.path());
}

void Syncer::directory(const std::string& dir) {
    if (!enabled_) return;
    const File d(dir, O_RDONLY | O_DIRECTORY);
    ++count_;
    if (::fsync(d.fd()) != 0) fail("cannot fsync directory", dir);
}

std::string join_path(const std::string& dir, const std::string& name) {
    if (!dir.empty() && dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

std::string read_whole_file(const std::string& path) {
    const File f(path, O_RDONLY);
    std::string out;
    out.resize(f.size());
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n =
            ::pread(f.fd(), out.data() + done, out.size() - done, static_cast<off_t>(done));
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("cannot read", path);
        }
        if (n == 0) break;  // shrank while reading
        done += static_cast<std::size_t>(n);
    }
    out.resize(done);
    return out;
}

bool file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> list_files(const std::string& dir) {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) fail("cannot list directory", dir);
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        struct stat st {};
        if (::stat(join_path(dir, name).c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            names.push_back(name);
        }
    }
    ::closedir(d);
    return names;
}

void remove_file(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("cannot remove", path);
}

void rename_file(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) fail("cannot rename to " + to + ":", from);
}

void write_new_file(const std::string& path, std::string_view bytes, Syncer& syncer) {
    const File f(path, O_WRONLY | O_CREAT | O_TRUNC);
    f.write_at(0, bytes);
    syncer.full(f);
}

}  // namespace orcraft::raft::storage
