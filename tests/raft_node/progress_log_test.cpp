// The progress lines of long operations (raft/node/progress_log.hpp) with a driven clock.
#include <spdlog/spdlog.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "captured_log.hpp"
#include "raft/node/progress_log.hpp"

using namespace orcraft::raft;
using namespace std::chrono_literals;

namespace {

using Capture = orcraft::raft::testing::LogCapture;

// Member 7 as the leader's replication log sees it.
MemberReplication member(std::string name, Index match) {
    MemberReplication m;
    m.id = 7;
    m.name = std::move(name);
    m.match = match;
    return m;
}

Message chunk(std::uint64_t offset, std::uint64_t size, std::uint64_t total) {
    Message m;
    m.type = MessageType::kSnapshot;
    m.snapshot.index = 9000;
    m.snapshot.term = 3;
    m.offset = offset;
    m.chunk.assign(size, 'x');
    m.snapshot_bytes = total;
    m.done = offset + size == total;
    return m;
}

bool has(const std::vector<std::string>& lines, const std::string& text) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("a snapshot receive logs its start then at most a line a second then its end",
          "[raft_node]") {
    Capture capture;
    SnapshotReceiveLog log("n1");
    const ProgressTime t0{};
    const std::uint64_t total = 4'000'000;
    auto p = log.on_chunk(chunk(0, 1'000'000, total), 5, t0);
    REQUIRE(p);
    CHECK(p->received == 1'000'000);
    CHECK(p->total == total);
    auto lines = capture.lines->take();
    REQUIRE(lines.size() == 1);
    CHECK(has(lines, "receiving a snapshot at index 9000 (term 3) in term 5: 4.0 MB"));

    // Within the second: no line, but the progress is reported.
    p = log.on_chunk(chunk(1'000'000, 1'000'000, total), 5, t0 + 500ms);
    REQUIRE(p);
    CHECK(p->received == 2'000'000);
    CHECK(capture.lines->take().empty());
    // A duplicate is ignored.
    CHECK_FALSE(log.on_chunk(chunk(0, 1'000'000, total), 5, t0 + 600ms));

    p = log.on_chunk(chunk(2'000'000, 1'000'000, total), 5, t0 + 1s);
    REQUIRE(p);
    lines = capture.lines->take();
    REQUIRE(lines.size() == 1);
    CHECK(has(lines, "75% (3.0 MB of 4.0 MB), 3.0 MB/s"));

    p = log.on_chunk(chunk(3'000'000, 1'000'000, total), 5, t0 + 2s);
    REQUIRE(p);
    CHECK(p->received == 0);
    CHECK(p->total == 0);
    lines = capture.lines->take();
    REQUIRE(lines.size() == 1);
    CHECK(has(lines,
              "received the snapshot at index 9000 (term 3) in term 5: 4.0 MB in 2.0 s "
              "(2.0 MB/s)"));
    CHECK_FALSE(log.expire(t0 + 1h));
}

TEST_CASE("a snapshot receive that stops is abandoned after the idle timeout", "[raft_node]") {
    Capture capture;
    SnapshotReceiveLog log("n1", 10s);
    const ProgressTime t0{};
    REQUIRE(log.on_chunk(chunk(0, 1'000'000, 4'000'000), 5, t0));
    CHECK_FALSE(log.expire(t0 + 9s));
    CHECK(log.expire(t0 + 10s));
    CHECK(has(capture.lines->take(), "gave up waiting for the rest of the snapshot at index 9000"));
}

TEST_CASE("a leader logs a member catching up with entries left and rate then once caught up",
          "[raft_node]") {
    Capture capture;
    ReplicationProgressLog log("leader");
    const ProgressTime t0{};
    MemberReplication m = member("127.0.0.2:10008", 1000);
    log.observe(t0, 4, 1500, {m});  // 500 behind: nothing to say
    CHECK(capture.lines->take().empty());

    m.match = 1000;
    log.observe(t0 + 1s, 4, 6000, {m});
    auto lines = capture.lines->take();
    REQUIRE(lines.size() == 1);
    CHECK(has(lines, "127.0.0.2:10008 is 5000 entries behind in term 4"));

    m.match = 4000;
    log.observe(t0 + 2s, 4, 7000, {m});
    lines = capture.lines->take();
    REQUIRE(lines.size() == 1);
    CHECK(has(lines,
              "catching up in term 4: 3000 entries left (match 4000, last index 7000), "
              "3000 entries/s"));

    m.match = 7950;
    log.observe(t0 + 3s, 4, 8000, {m});
    lines = capture.lines->take();
    REQUIRE(lines.size() == 1);
    CHECK(has(lines, "caught up in term 4 after 2.0 s (6950 entries"));

    log.observe(t0 + 4s, 4, 8000, {m});
    CHECK(capture.lines->take().empty());
}

TEST_CASE("a leader does not report catching up a member that does not answer", "[raft_node]") {
    Capture capture;
    ReplicationProgressLog log("leader");
    const ProgressTime t0{};
    MemberReplication m = member("127.0.0.2:10008", 1000);
    m.reachable = false;
    log.observe(t0, 4, 6000, {m});  // down, not catching up
    log.observe(t0 + 1s, 4, 7000, {m});
    CHECK(capture.lines->take().empty());

    m.reachable = true;
    log.observe(t0 + 2s, 4, 7000, {m});
    CHECK(has(capture.lines->take(), "127.0.0.2:10008 is 6000 entries behind in term 4"));
    m.match = 2000;
    m.reachable = false;
    log.observe(t0 + 3s, 4, 7000, {m});
    auto lines = capture.lines->take();
    REQUIRE(lines.size() == 1);
    CHECK(has(lines, "127.0.0.2:10008 stopped answering in term 4 while 5000 entries behind"));
    log.observe(t0 + 4s, 4, 7000, {m});
    log.observe(t0 + 5s, 4, 7000, {m});
    CHECK(capture.lines->take().empty());

    m.reachable = true;
    m.match = 3000;
    log.observe(t0 + 6s, 4, 7000, {m});
    lines = capture.lines->take();
    REQUIRE(lines.size() == 1);
    CHECK(has(lines, "catching up in term 4: 4000 entries left (match 3000, last index 7000)"));
}

TEST_CASE("a leader logs a snapshot it sends with percent and rate", "[raft_node]") {
    Capture capture;
    ReplicationProgressLog log("leader");
    const ProgressTime t0{};
    MemberReplication m = member("m2", 0);
    m.sending_snapshot = true;
    m.snapshot_index = 9000;
    m.snapshot_term = 3;
    m.snapshot_bytes = 10'000'000;
    m.snapshot_acked = 0;
    log.observe(t0, 4, 9000, {m});
    CHECK(
        has(capture.lines->take(), "sending the snapshot at index 9000 (term 3) to m2 in term 4"));
    m.snapshot_acked = 5'000'000;
    log.observe(t0 + 1s, 4, 9000, {m});
    auto lines = capture.lines->take();
    CHECK(has(lines, "50% (5.0 MB of 10.0 MB), 5.0 MB/s"));
    CHECK_FALSE(has(lines, "entries left"));  // the snapshot's lines tell the progress
    m.sending_snapshot = false;
    m.match = 9000;
    log.observe(t0 + 2s, 4, 9000, {m});
    lines = capture.lines->take();
    CHECK(has(lines, "the snapshot at index 9000 (term 3) went to m2 in term 4: 10.0 MB"));
    CHECK(has(lines, "m2 caught up in term 4"));
}

TEST_CASE("snapshot creation logs its progress at most once a second", "[raft_node]") {
    Capture capture;
    ProgressTime now{};
    SnapshotCreationLog log("n1", 500, [&now] { return now; });
    now += 300ms;
    log.report(1000, 100'000);
    CHECK(capture.lines->take().empty());
    now += 900ms;
    log.report(5000, 2'400'000);
    auto lines = capture.lines->take();
    REQUIRE(lines.size() == 1);
    CHECK(has(lines, "taking a snapshot at index 500: 5000 rows, 2.4 MB so far in 1.2 s"));
    now += 200ms;
    log.report(6000, 2'500'000);
    CHECK(capture.lines->take().empty());
}
