#include "backend/sql_state_machine.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "backend/command_bytes.hpp"
#include "backend/snapshot_format.hpp"

namespace orcraft::backend {

namespace {

// The checksum file: 48 bytes, rewritten in place after every apply.
//   "ORCK" | u16 version (1) | u16 flags (bit 0: chain known) | u64 index | u64 checksum |
//   i64 stamp micros | u64 stamp seed | u64 XXH3-64 of the 40 bytes before it
constexpr std::uint16_t kChecksumFileVersion = 1;
constexpr std::size_t kChecksumFileSize = 48;

// The result bytes folded for a marker entry (no-op or configuration change).
constexpr std::string_view kMarkerResult("\0", 1);

}  // namespace

BatchOutcome run_sql(Driver& driver, const Stamp& stamp, std::uint64_t index,
                     const std::vector<Statement>& batch) {
    return driver.execute(batch, stamp, index);
}

SqlStateMachine::SqlStateMachine(std::shared_ptr<Driver> driver, SqlStateMachineOptions options)
    : driver_(std::move(driver)),
      options_(std::move(options)),
      checksum_(options_.checksum_history) {
    if (!driver_) {
        throw std::invalid_argument("SqlStateMachine needs a driver");
    }
    const std::uint64_t applied = driver_->applied_index();
    // A new database starts a known chain at 0; a database with history continues the chain
    // from the checksum file, or has an unknown one.
    checksum_.reset(ChecksumState{applied, 0, applied == 0});
    if (!options_.checksum_file.empty()) {
        load_checksum_file();
    }
    const ChecksumState s = checksum_.state();
    spdlog::info("state machine on {} backend: applied index {}, result checksum {:016x} ({})",
                 driver_->kind(), applied, s.value, s.known ? "known" : "unknown");
}

SqlStateMachine::~SqlStateMachine() {
    if (checksum_fd_ >= 0) {
        ::close(checksum_fd_);
    }
}

void SqlStateMachine::register_command(const std::string& name, CommandHandler handler) {
    if (name == kSqlCommand) {
        throw std::invalid_argument("the command name \"sql\" is built in");
    }
    if (name.empty() || name.size() > kMaxCommandName) {
        throw std::invalid_argument("command name must have 1 to " +
                                    std::to_string(kMaxCommandName) + " bytes");
    }
    if (!handler) {
        throw std::invalid_argument("command " + name + " registered without a handler");
    }
    if (!handlers_.emplace(name, std::move(handler)).second) {
        throw std::invalid_argument("command " + name + " is registered already");
    }
}

raft::Index SqlStateMachine::applied_index() {
    return driver_->applied_index();
}

void SqlStateMachine::record_index(std::uint64_t index) {
    if (driver_->applied_index() < index) {
        driver_->execute({}, Stamp{}, index);
    }
}

ApplyResult SqlStateMachine::apply_command(const Command& command, std::uint64_t index) {
    ApplyResult result;
    if (command.name == kSqlCommand) {
        std::vector<Statement> batch;
        try {
            batch = decode_sql_batch(command.payload);
        } catch (const CommandFormatError& e) {
            result.kind = ApplyResult::Kind::kCommandFailed;
            result.failure = CommandFailure::kMalformed;
            result.message = e.what();
            spdlog::error("state machine: sql entry {} does not decode: {}", index, e.what());
            record_index(index);
            return result;
        }
        return result_of(driver_->execute(batch, command.stamp, index));
    }
    auto it = handlers_.find(command.name);
    if (it == handlers_.end()) {
        result.kind = ApplyResult::Kind::kCommandFailed;
        result.failure = CommandFailure::kUnknownCommand;
        result.message = "unknown command \"" + command.name + "\"";
        record_index(index);
        return result;
    }
    try {
        result.handler_result = it->second(*driver_, command.stamp, index, command.payload);
        result.kind = ApplyResult::Kind::kHandler;
    } catch (const CommandRejected& e) {
        result = ApplyResult{};
        result.kind = ApplyResult::Kind::kCommandFailed;
        result.failure = CommandFailure::kRejected;
        result.message = e.what();
    }
    // A handler that had nothing to write did not record the index: record it now.
    record_index(index);
    return result;
}

std::string SqlStateMachine::apply(const raft::Entry& entry) {
    const std::uint64_t index = entry.index;
    if (index <= driver_->applied_index()) {
        ApplyResult already;
        already.kind = ApplyResult::Kind::kAlreadyApplied;
        return encode_result(already);
    }
    ApplyResult result;
    std::optional<Stamp> stamp;
    try {
        const Command command = decode_command(entry.data);
        stamp = command.stamp;
        result = apply_command(command, index);
    } catch (const CommandFormatError& e) {
        result = ApplyResult{};
        result.kind = ApplyResult::Kind::kCommandFailed;
        result.failure = e.reason() == CommandFormatError::Reason::kUnsupportedVersion
                             ? CommandFailure::kUnsupportedVersion
                             : CommandFailure::kMalformed;
        result.message = e.what();
        spdlog::error("state machine: entry {} (term {}) does not decode: {}", index, entry.term,
                      e.what());
        record_index(index);
    }
    if (result.kind == ApplyResult::Kind::kAlreadyApplied) {
        // The driver found the index applied (a concurrent restore, or a handler that used it
        // twice): nothing ran, nothing is folded.
        return encode_result(result);
    }
    finish(index, checksum_form(result), stamp ? &*stamp : nullptr);
    return encode_result(result);
}

void SqlStateMachine::apply_marker(raft::Index index, raft::Term) {
    if (index <= driver_->applied_index()) {
        return;
    }
    driver_->execute({}, Stamp{}, index);
    finish(index, kMarkerResult, nullptr);
}

std::vector<std::string> SqlStateMachine::apply_batch(const std::vector<raft::Entry>& entries) {
    if (entries.size() < 2) {
        return StateMachine::apply_batch(entries);
    }
    std::vector<std::string> results;
    driver_->begin_group();
    in_group_ = true;
    try {
        results = StateMachine::apply_batch(entries);
        driver_->end_group();
    } catch (...) {
        // The node stops on any exception from here; undoing the group keeps the backend at a
        // state it really reached (the checksum in memory may be ahead, which no one reads).
        in_group_ = false;
        driver_->abandon_group();
        throw;
    }
    in_group_ = false;
    save_checksum_file();
    return results;
}

void SqlStateMachine::finish(std::uint64_t index, std::string_view result_bytes,
                             const Stamp* stamp) {
    {
        std::lock_guard lock(mu_);
        checksum_.fold(index, result_bytes);
        if (stamp != nullptr && stamp->unix_micros >= last_stamp_.unix_micros) {
            last_stamp_ = *stamp;
        }
    }
    if (!in_group_) {
        save_checksum_file();
    }
}

ChecksumState SqlStateMachine::checksum() const {
    std::lock_guard lock(mu_);
    return checksum_.state();
}

std::optional<std::uint64_t> SqlStateMachine::checksum_at(std::uint64_t index) const {
    std::lock_guard lock(mu_);
    return checksum_.at(index);
}

Stamp SqlStateMachine::last_applied_stamp() const {
    std::lock_guard lock(mu_);
    return last_stamp_;
}

void SqlStateMachine::load_checksum_file() {
    const std::string& path = options_.checksum_file;
    checksum_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (checksum_fd_ < 0) {
        throw BackendError("cannot open the checksum file " + path + ": " + std::strerror(errno));
    }
    char buf[kChecksumFileSize];
    const ssize_t n = ::pread(checksum_fd_, buf, sizeof buf, 0);
    if (n == 0) {
        return;  // a new file
    }
    const std::uint64_t applied = driver_->applied_index();
    if (n != static_cast<ssize_t>(sizeof buf) ||
        XXH3_64bits(buf, kChecksumFileSize - 8) !=
            wire::ByteReader(std::string_view(buf + kChecksumFileSize - 8, 8)).u64() ||
        std::memcmp(buf, "ORCK", 4) != 0) {
        spdlog::warn("state machine: checksum file {} is damaged; result checksum unknown", path);
        return;
    }
    wire::ByteReader r(std::string_view(buf + 4, kChecksumFileSize - 12));
    const std::uint16_t version = static_cast<std::uint16_t>(r.u8() | (r.u8() << 8));
    const std::uint16_t flags = static_cast<std::uint16_t>(r.u8() | (r.u8() << 8));
    if (version != kChecksumFileVersion) {
        spdlog::warn("state machine: checksum file {} has version {}; result checksum unknown",
                     path, version);
        return;
    }
    ChecksumState s;
    s.index = r.u64();
    s.value = r.u64();
    s.known = (flags & 1) != 0;
    Stamp stamp;
    stamp.unix_micros = r.i64();
    stamp.seed = r.u64();
    // The stamp is a lower bound for the next one whatever the index; the chain continues only
    // when the file describes exactly the backend's applied index.
    last_stamp_ = stamp;
    if (s.index == applied) {
        checksum_.reset(s);
    } else {
        spdlog::warn(
            "state machine: checksum file {} is at index {} but the backend at {}; result "
            "checksum unknown until the next snapshot install",
            path, s.index, applied);
    }
}

void SqlStateMachine::save_checksum_file() {
    if (checksum_fd_ < 0) {
        return;
    }
    ChecksumState s;
    Stamp stamp;
    {
        std::lock_guard lock(mu_);
        s = checksum_.state();
        stamp = last_stamp_;
    }
    std::string buf;
    wire::ByteWriter w(buf);
    w.raw("ORCK");
    w.u8(kChecksumFileVersion & 0xFF);
    w.u8(kChecksumFileVersion >> 8);
    w.u8(s.known ? 1 : 0);
    w.u8(0);
    w.u64(s.index);
    w.u64(s.value);
    w.i64(stamp.unix_micros);
    w.u64(stamp.seed);
    w.u64(XXH3_64bits(buf.data(), buf.size()));
    if (::pwrite(checksum_fd_, buf.data(), buf.size(), 0) != static_cast<ssize_t>(buf.size())) {
        // The chain in memory stays right; only a restart would lose it.
        spdlog::warn("state machine: cannot write the checksum file {}: {}", options_.checksum_file,
                     std::strerror(errno));
    }
}

}  // namespace orcraft::backend
