#include "backend/command.hpp"

#include "backend/command_bytes.hpp"

namespace orcraft::backend {

using wire::ByteReader;
using wire::ByteWriter;
using wire::EncodingError;

namespace {

[[noreturn]] void malformed(const std::string& what, const EncodingError& e) {
    throw CommandFormatError(CommandFormatError::Reason::kMalformed, what + ": " + e.what());
}

void check_version(std::uint8_t got, std::uint8_t supported, const char* what) {
    if (got != supported) {
        throw CommandFormatError(CommandFormatError::Reason::kUnsupportedVersion,
                                 std::string(what) + " format version " + std::to_string(got) +
                                     " is not supported (this node knows version " +
                                     std::to_string(supported) + ")");
    }
}

}  // namespace

std::string encode_command(const Command& command) {
    if (command.name.empty() || command.name.size() > kMaxCommandName) {
        throw std::invalid_argument("command name must have 1 to " +
                                    std::to_string(kMaxCommandName) + " bytes");
    }
    std::string out;
    out.reserve(command.name.size() + command.payload.size() + 20);
    ByteWriter w(out);
    w.u8(kCommandFormatVersion);
    w.bytes(command.name);
    w.i64(command.stamp.unix_micros);
    w.u64(command.stamp.seed);
    w.raw(command.payload);
    return out;
}

Command decode_command(std::string_view bytes) {
    if (bytes.empty()) {
        throw CommandFormatError(CommandFormatError::Reason::kMalformed, "empty log entry");
    }
    ByteReader r(bytes);
    Command c;
    try {
        check_version(r.u8(), kCommandFormatVersion, "command");
        c.name = r.bytes();
        c.stamp.unix_micros = r.i64();
        c.stamp.seed = r.u64();
        c.payload = std::string(r.rest());
    } catch (const EncodingError& e) {
        malformed("malformed command", e);
    }
    if (c.name.empty() || c.name.size() > kMaxCommandName) {
        throw CommandFormatError(
            CommandFormatError::Reason::kMalformed,
            "malformed command: name of " + std::to_string(c.name.size()) + " bytes");
    }
    return c;
}

std::string encode_sql_batch(const std::vector<Statement>& batch) {
    std::string out;
    ByteWriter w(out);
    w.varint(batch.size());
    for (const auto& st : batch) {
        w.bytes(st.sql);
        w.varint(st.params.size());
        for (const auto& v : st.params) {
            w.value(v);
        }
    }
    return out;
}

std::vector<Statement> decode_sql_batch(std::string_view payload) {
    ByteReader r(payload);
    std::vector<Statement> batch;
    try {
        // Each statement takes at least two bytes (empty text, no parameters), each value one.
        const std::size_t n = r.count(2);
        batch.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            Statement st;
            st.sql = r.bytes();
            const std::size_t params = r.count(1);
            st.params.reserve(params);
            for (std::size_t k = 0; k < params; ++k) {
                st.params.push_back(r.value());
            }
            batch.push_back(std::move(st));
        }
        r.expect_end("sql batch");
    } catch (const EncodingError& e) {
        malformed("malformed sql batch", e);
    }
    return batch;
}

std::string encode_sql_command(const std::vector<Statement>& batch, const Stamp& stamp) {
    return encode_command(Command{std::string(kSqlCommand), stamp, encode_sql_batch(batch)});
}

namespace {

void encode_result_to(std::string& out, const ApplyResult& result, bool with_error_text) {
    ByteWriter w(out);
    w.u8(kResultFormatVersion);
    w.u8(static_cast<std::uint8_t>(result.kind));
    switch (result.kind) {
        case ApplyResult::Kind::kBatch:
            w.varint(result.results.size());
            for (const auto& r : result.results) {
                w.svarint(r.rows_affected);
                w.svarint(r.last_insert_id);
            }
            break;
        case ApplyResult::Kind::kStatementFailed: {
            const StatementError e = result.error.value_or(StatementError{});
            w.varint(e.statement);
            w.bytes(with_error_text ? e.message : std::string());
            break;
        }
        case ApplyResult::Kind::kCommandFailed:
            w.u8(static_cast<std::uint8_t>(result.failure));
            w.bytes(result.message);
            break;
        case ApplyResult::Kind::kHandler:
            w.raw(result.handler_result);
            break;
        case ApplyResult::Kind::kAlreadyApplied:
            break;
    }
}

}  // namespace

std::string encode_result(const ApplyResult& result) {
    std::string out;
    encode_result_to(out, result, true);
    return out;
}

std::string checksum_form(const ApplyResult& result) {
    std::string out;
    encode_result_to(out, result, false);
    return out;
}

ApplyResult decode_result(std::string_view bytes) {
    ByteReader r(bytes);
    ApplyResult out;
    try {
        check_version(r.u8(), kResultFormatVersion, "result");
        const std::uint8_t kind = r.u8();
        switch (static_cast<ApplyResult::Kind>(kind)) {
            case ApplyResult::Kind::kBatch: {
                out.kind = ApplyResult::Kind::kBatch;
                const std::size_t n = r.count(2);
                out.results.reserve(n);
                for (std::size_t i = 0; i < n; ++i) {
                    ExecResult e;
                    e.rows_affected = r.svarint();
                    e.last_insert_id = r.svarint();
                    out.results.push_back(e);
                }
                break;
            }
            case ApplyResult::Kind::kStatementFailed: {
                out.kind = ApplyResult::Kind::kStatementFailed;
                StatementError e;
                e.statement = static_cast<std::size_t>(r.varint());
                e.message = r.bytes();
                out.error = std::move(e);
                break;
            }
            case ApplyResult::Kind::kCommandFailed: {
                out.kind = ApplyResult::Kind::kCommandFailed;
                const std::uint8_t f = r.u8();
                if (f < 1 || f > 4) {
                    throw EncodingError("unknown command failure " + std::to_string(f));
                }
                out.failure = static_cast<CommandFailure>(f);
                out.message = r.bytes();
                break;
            }
            case ApplyResult::Kind::kHandler:
                out.kind = ApplyResult::Kind::kHandler;
                out.handler_result = std::string(r.rest());
                break;
            case ApplyResult::Kind::kAlreadyApplied:
                out.kind = ApplyResult::Kind::kAlreadyApplied;
                break;
            default:
                throw EncodingError("unknown result kind " + std::to_string(kind));
        }
        r.expect_end("result");
    } catch (const EncodingError& e) {
        malformed("malformed result", e);
    }
    return out;
}

ApplyResult result_of(const BatchOutcome& outcome) {
    ApplyResult r;
    if (outcome.already_applied) {
        r.kind = ApplyResult::Kind::kAlreadyApplied;
    } else if (outcome.error) {
        r.kind = ApplyResult::Kind::kStatementFailed;
        r.error = outcome.error;
    } else {
        r.kind = ApplyResult::Kind::kBatch;
        r.results = outcome.results;
    }
    return r;
}

}  // namespace orcraft::backend
