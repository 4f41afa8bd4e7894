// Thin POSIX file helpers for the log store. Every failure throws StorageError naming the
// operation and the file, since the store cannot continue with an unknown state on disk.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace orcraft::raft::storage {

// An owned file descriptor.
class File {
  public:
    File() = default;
    // open(2) with `flags` (O_CLOEXEC is added); throws StorageError on failure.
    File(const std::string& path, int flags, unsigned mode = 0644);
    ~File();
    File(File&& other) noexcept;
    File& operator=(File&& other) noexcept;
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    bool is_open() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    const std::string& path() const { return path_; }

    // Writes all of `bytes` at `offset` (retrying short writes and EINTR).
    void write_at(std::uint64_t offset, std::string_view bytes) const;
    void truncate(std::uint64_t size) const;
    // Reserves blocks up to `size` bytes (the file reads as zeros there), so that appends
    // within it do not change the file size and a data sync has no size to journal. A file
    // system without support for this is left as it is.
    void preallocate(std::uint64_t size) const;
    std::uint64_t size() const;
    void close();

  private:
    int fd_ = -1;
    std::string path_;
};

// Where syncs go: counts them for the stats, and skips them when syncing is disabled (a
// benchmark and test knob only).
class Syncer {
  public:
    explicit Syncer(bool enabled) : enabled_(enabled) {}
    void data(const File& file);             // fdatasync
    void full(const File& file);             // fsync (data and metadata such as the size)
    void directory(const std::string& dir);  // fsync of the directory entry list
    std::uint64_t count() const { return count_; }

  private:
    bool enabled_;
    std::uint64_t count_ = 0;
};

std::string join_path(const std::string& dir, const std::string& name);
// The whole content of a file; throws StorageError if it cannot be read.
std::string read_whole_file(const std::string& path);
bool file_exists(const std::string& path);
// The names (not paths) of the regular files in `dir`.
std::vector<std::string> list_files(const std::string& dir);
void remove_file(const std::string& path);
void rename_file(const std::string& from, const std::string& to);
// Writes `bytes` to a new file at `path` (replacing any old one) and syncs it; the caller
// renames it into place and syncs the directory.
void write_new_file(const std::string& path, std::string_view bytes, Syncer& syncer);

}  // namespace orcraft::raft::storage
