// Small parts of the runtime: node ids, the address book and its encodings, snapshot framing,
// the outcomes the proposal tracker hands out, and the snapshot read-back.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "polling.hpp"
#include "raft/node/address_book.hpp"
#include "raft/node/node.hpp"
#include "raft/node/proposals.hpp"
#include "raft/node/snapshot_read_back.hpp"

using namespace orcraft::raft;

TEST_CASE("units: node ids are a stable hash of the identity, never 0", "[raft_node][unit]") {
    REQUIRE(node_id_for("127.0.0.1:10008") == node_id_for("127.0.0.1:10008"));
    REQUIRE(node_id_for("127.0.0.1:10008") != node_id_for("127.0.0.2:10008"));
    REQUIRE(node_id_for("") != kNoNode);
    // FNV-1a of the empty string: the offset basis (stable across builds).
    REQUIRE(node_id_for("") == 0xcbf29ce484222325ULL);
}

TEST_CASE("units: member records, the encoded book and snapshot framing round-trip",
          "[raft_node][unit]") {
    auto p = address_from_identity(7, "10.0.0.1:10008");
    REQUIRE(p);
    REQUIRE(p->host == "10.0.0.1");
    REQUIRE(p->port == 10008);
    REQUIRE(address_from_identity(7, "[::1]:9")->host == "::1");
    REQUIRE_FALSE(address_from_identity(7, "no-port"));
    REQUIRE_FALSE(address_from_identity(7, "host:99999"));

    const std::string record = encode_member_record(*p);
    REQUIRE(is_member_record(record));
    REQUIRE_FALSE(is_member_record("ordinary bytes"));
    auto back = decode_member_record(record);
    REQUIRE(back);
    REQUIRE(back->identity == p->identity);
    REQUIRE(back->id == 7);
    REQUIRE_FALSE(decode_member_record(record.substr(0, record.size() - 1)));

    AddressBook book;
    REQUIRE(book.add(*p));
    REQUIRE_FALSE(book.add(*p));  // unchanged
    PeerAddress named{8, "10.0.0.2:10008", "db2.example", 10008};
    REQUIRE(book.add(named));
    // A record for the same identity does not replace a configured host name.
    REQUIRE_FALSE(book.add_record(*address_from_identity(8, "10.0.0.2:10008")));
    REQUIRE(book.find(8)->host == "db2.example");
    REQUIRE(book.lookup({7, 9})[1].identity.empty());  // unknown id: only the id

    AddressBook other;
    REQUIRE(other.merge_encoded(book.encode()));
    REQUIRE(other.all().size() == 2);
    REQUIRE_FALSE(other.merge_encoded("junk"));

    const std::string framed = frame_snapshot(book.encode(), "state bytes");
    auto parts = unframe_snapshot(framed);
    REQUIRE(parts);
    REQUIRE(parts->state == "state bytes");
    REQUIRE(parts->book == book.encode());
    REQUIRE(unframe_snapshot("")->state.empty());
    REQUIRE_FALSE(unframe_snapshot("not a framed snapshot"));
}

TEST_CASE("units: each proposal gets exactly one outcome", "[raft_node][unit]") {
    ProposalTracker t;
    std::map<Index, ProposeOutcome> got;
    auto record = [&](Index i) { return [&got, i](ProposeOutcome o) { got[i] = o; }; };
    const auto far = std::chrono::steady_clock::now() + std::chrono::hours(1);
    for (Index i = 10; i <= 14; ++i)
        t.add(i, 2, record(i), far);

    // 10 and 11 applied in our term, 12 applied with another leader's term.
    std::vector<Entry> applied{{10, 2, EntryType::kNormal, "a"},
                               {11, 2, EntryType::kNormal, "b"},
                               {12, 3, EntryType::kNormal, "c"}};
    std::vector<std::string> results{"r10", "r11", "r12"};
    t.applied(applied, results);
    REQUIRE(got[10].error == ProposeError::kNone);
    REQUIRE(got[10].result == "r10");
    REQUIRE(got[11].result == "r11");
    REQUIRE(got[12].error == ProposeError::kLeadershipLost);

    // A new leader rewrites the log from 13 with its own entry: 13 and 14 are lost.
    t.overwritten({{13, 3, EntryType::kNoop, ""}});
    REQUIRE(got[13].error == ProposeError::kLeadershipLost);
    REQUIRE(got[14].error == ProposeError::kLeadershipLost);
    REQUIRE(t.size() == 0);

    t.add(20, 4, record(20), std::chrono::steady_clock::now() - std::chrono::seconds(1));
    t.add(21, 4, record(21), far);
    t.expire(std::chrono::steady_clock::now());
    REQUIRE(got[20].error == ProposeError::kTimeout);
    REQUIRE(got.count(21) == 0);
    t.fail_all(ProposeError::kStopped, "stopping");
    REQUIRE(got[21].error == ProposeError::kStopped);
    t.applied({{21, 4, EntryType::kNormal, "late"}}, results);  // nothing pending any more
    REQUIRE(got[21].error == ProposeError::kStopped);
}

TEST_CASE("units: the snapshot is read back on a thread of its own, once per transfer",
          "[raft_node][unit]") {
    std::mutex mu;
    std::condition_variable cv;
    bool release = false;
    std::vector<std::function<void()>> posted;  // the loop's inbox, drained by the test
    std::mutex posted_mu;
    SnapshotReadBack reader(
        [&](const SnapshotMeta& m) -> std::shared_ptr<const std::string> {
            std::unique_lock lock(mu);
            cv.wait(lock, [&] { return release; });
            if (m.index == 99) return nullptr;  // no such snapshot any more
            return std::make_shared<const std::string>("bytes of " + std::to_string(m.index));
        },
        [&](std::function<void()> fn) {
            std::lock_guard lock(posted_mu);
            posted.push_back(std::move(fn));
            return true;
        },
        "test");
    auto run_posted = [&] {
        std::vector<std::function<void()>> now;
        {
            std::lock_guard lock(posted_mu);
            now.swap(posted);
        }
        for (auto& fn : now)
            fn();
        return !now.empty();
    };
    const SnapshotMeta meta{7, 2, ConfState{{1, 2, 3}, {}}};

    // The first ask starts the read and does not wait for it; asking again does not start another.
    CHECK(reader.get(meta) == nullptr);
    CHECK(reader.get(meta) == nullptr);
    CHECK(reader.reads_started() == 1);
    {
        std::lock_guard lock(mu);
        release = true;
    }
    cv.notify_all();
    REQUIRE(orcraft::tests::eventually(std::chrono::seconds(10), run_posted));
    auto bytes = reader.get(meta);
    REQUIRE(bytes);
    CHECK(*bytes == "bytes of 7");
    // While a transfer holds them, others share them; once none does, they are read again.
    CHECK(reader.get(meta) == bytes);
    CHECK(reader.reads_started() == 1);
    bytes.reset();
    CHECK(reader.get(meta) == nullptr);
    CHECK(reader.reads_started() == 2);
    REQUIRE(orcraft::tests::eventually(std::chrono::seconds(10), run_posted));

    // A read that finds nothing hands out nothing, and the next ask tries again.
    const SnapshotMeta gone{99, 3, ConfState{{1}, {}}};
    CHECK(reader.get(gone) == nullptr);
    REQUIRE(orcraft::tests::eventually(std::chrono::seconds(10), run_posted));
    CHECK(reader.get(gone) == nullptr);
    CHECK(reader.reads_started() == 4);
    reader.stop();
}
