// Small parts of the runtime: node ids, the address book and its encodings, snapshot framing,
// and the outcomes the proposal tracker hands out.
#include <catch2/catch.hpp>

#include "raft/node/address_book.hpp"
#include "raft/node/node.hpp"
#include "raft/node/proposals.hpp"

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
