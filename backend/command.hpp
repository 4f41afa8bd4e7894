#pragma once
// What a raft log entry carries, and what applying it returns to the proposer.
//
// Every normal log entry holds one Command: a name that selects how it is applied, the stamp
// (time and random seed) chosen by the leader, and the command's payload bytes. The built-in
// command "sql" carries a batch of statements with their parameters (encode_sql_batch); an
// embedding application registers its own names (see sql_state_machine.hpp). Applying an entry
// gives an ApplyResult, encoded into the bytes raft hands back to the proposer.
//
// The byte layouts are versioned and documented in docs/log-entries.md. Every decoder accepts
// arbitrary bytes and throws CommandFormatError for anything that does not decode, so that an
// entry written by a newer or a broken leader gives the same error on every node.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "backend/driver.hpp"

namespace orcraft::backend {

// First byte of an encoded command and of an encoded result. A node refuses (deterministically)
// a command with any other version; see docs/log-entries.md for how versions are rolled out.
inline constexpr std::uint8_t kCommandFormatVersion = 1;
inline constexpr std::uint8_t kResultFormatVersion = 1;

// The name of the built-in SQL batch command.
inline constexpr std::string_view kSqlCommand = "sql";

// Longest command name accepted (names are identifiers like "sql" or "register-node").
inline constexpr std::size_t kMaxCommandName = 255;

class CommandFormatError : public std::runtime_error {
  public:
    enum class Reason { kMalformed, kUnsupportedVersion };
    CommandFormatError(Reason reason, const std::string& message)
        : std::runtime_error(message), reason_(reason) {}
    Reason reason() const { return reason_; }

  private:
    Reason reason_;
};

struct Command {
    std::string name;
    Stamp stamp;
    std::string payload;
    bool operator==(const Command& o) const {
        return name == o.name && stamp.unix_micros == o.stamp.unix_micros &&
               stamp.seed == o.stamp.seed && payload == o.payload;
    }
};

// Encodes a command (throws std::invalid_argument for an empty name or one longer than
// kMaxCommandName).
std::string encode_command(const Command& command);
// Decodes a command; throws CommandFormatError.
Command decode_command(std::string_view bytes);

// The payload of the "sql" command: statements with their parameters, every Value kind kept
// (NULL, integer, real, text, blob).
std::string encode_sql_batch(const std::vector<Statement>& batch);
// Throws CommandFormatError (kMalformed).
std::vector<Statement> decode_sql_batch(std::string_view payload);

// Shorthand for a complete "sql" entry.
std::string encode_sql_command(const std::vector<Statement>& batch, const Stamp& stamp);

// Why a command did not run at all (its index was still recorded as applied).
enum class CommandFailure : std::uint8_t {
    kUnknownCommand = 1,      // no handler registered under the command's name
    kMalformed = 2,           // the entry or its payload does not decode
    kUnsupportedVersion = 3,  // the entry was written in a format this node does not know
    kRejected = 4,            // the command's handler refused the payload (CommandRejected)
};

// The outcome of applying one entry, as returned to the proposer.
struct ApplyResult {
    enum class Kind : std::uint8_t {
        kBatch = 1,            // "sql": the batch committed; results holds one per statement
        kStatementFailed = 2,  // "sql": a statement failed, nothing of the batch applied
        kCommandFailed = 3,    // the command did not run (failure, message)
        kHandler = 4,          // a registered command ran; handler_result is what it returned
        kAlreadyApplied = 5,   // the index was applied before; nothing ran
    };
    Kind kind = Kind::kBatch;
    std::vector<ExecResult> results;
    std::optional<StatementError> error;
    CommandFailure failure = CommandFailure::kMalformed;
    std::string message;
    std::string handler_result;
};

std::string encode_result(const ApplyResult& result);
// Throws CommandFormatError.
ApplyResult decode_result(std::string_view bytes);

// The bytes of a result that every node must agree on, whatever its backend: the encoded
// result with the text of a statement error left out (SQLite and MySQL word their errors
// differently; which statement failed is what must match). Folded into the result checksum.
std::string checksum_form(const ApplyResult& result);

// The result of a driver outcome for the "sql" command.
ApplyResult result_of(const BatchOutcome& outcome);

}  // namespace orcraft::backend
