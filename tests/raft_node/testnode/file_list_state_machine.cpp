#include "file_list_state_machine.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace orcraft::raft::testnode {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

void write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write");
        }
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace

FileListStateMachine::FileListStateMachine(std::string path) : path_(std::move(path)) {
    std::string content;
    {
        std::ifstream in(path_, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        content = ss.str();
    }
    std::size_t complete = content.rfind('\n');
    complete = complete == std::string::npos ? 0 : complete + 1;
    std::istringstream lines(content.substr(0, complete));
    std::string line;
    while (std::getline(lines, line)) {
        if (line.size() < 3) continue;
        const char kind = line[0];
        std::size_t sp = line.find(' ', 2);
        const Index index = std::stoull(line.substr(2, sp == std::string::npos ? sp : sp - 2));
        if (kind == 'S') {
            values_.clear();
        } else if (kind == 'V' && sp != std::string::npos) {
            values_.push_back(line.substr(sp + 1));
        }
        if (index > applied_ || kind == 'S') applied_ = index;
    }
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd_ < 0) fail("open " + path_);
    // Drop a torn tail so that the next record starts on a line of its own.
    if (complete != content.size() && ::ftruncate(fd_, static_cast<off_t>(complete)) != 0) {
        fail("truncate " + path_);
    }
}

FileListStateMachine::~FileListStateMachine() {
    if (fd_ >= 0) ::close(fd_);
}

Index FileListStateMachine::applied_index() {
    std::lock_guard lock(mu_);
    return applied_;
}

void FileListStateMachine::append(const std::string& lines) {
    write_all(fd_, lines);
}

std::string FileListStateMachine::apply(const Entry& entry) {
    return apply_batch({entry}).front();
}

void FileListStateMachine::apply_marker(Index index, Term) {
    Entry e;
    e.index = index;
    e.type = EntryType::kNoop;
    apply_batch({e});
}

std::vector<std::string> FileListStateMachine::apply_batch(const std::vector<Entry>& entries) {
    std::string lines;
    for (const Entry& e : entries) {
        if (e.type == EntryType::kNormal) {
            lines += "V " + std::to_string(e.index) + " " + e.data + "\n";
        } else {
            lines += "M " + std::to_string(e.index) + "\n";
        }
    }
    append(lines);
    std::lock_guard lock(mu_);
    for (const Entry& e : entries) {
        if (e.type == EntryType::kNormal) values_.push_back(e.data);
    }
    applied_ = entries.back().index;
    return std::vector<std::string>(entries.size(), "ok");
}

std::shared_ptr<const std::string> FileListStateMachine::snapshot(Index& index) {
    std::lock_guard lock(mu_);
    index = applied_;
    std::string out;
    for (const auto& v : values_)
        out += v + "\n";
    return std::make_shared<const std::string>(std::move(out));
}

void FileListStateMachine::restore(const SnapshotMeta& meta, const std::string& data) {
    std::vector<std::string> values;
    std::string lines = "S " + std::to_string(meta.index) + "\n";
    std::size_t pos = 0;
    while (pos < data.size()) {
        std::size_t nl = data.find('\n', pos);
        if (nl == std::string::npos) nl = data.size();
        values.push_back(data.substr(pos, nl - pos));
        lines += "V 0 " + values.back() + "\n";
        pos = nl + 1;
    }
    const std::string tmp = path_ + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fail("open " + tmp);
    write_all(fd, lines);
    ::close(fd);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) fail("rename " + tmp);
    ::close(fd_);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND);
    if (fd_ < 0) fail("open " + path_);
    std::lock_guard lock(mu_);
    values_ = std::move(values);
    applied_ = meta.index;
}

std::pair<Index, std::vector<std::string>> FileListStateMachine::contents() const {
    std::lock_guard lock(mu_);
    return {applied_, values_};
}

}  // namespace orcraft::raft::testnode
