// RaftService on a scripted raft::Node: what reaches the log (stamps, refusals), how outcomes map
// to replies, read levels, and the raft operations. The state machine and its SQLite backend
// are real; the node applies each proposal at once.

#include <catch2/catch.hpp>

#include <filesystem>
#include <future>
#include <random>

#include "backend/command.hpp"
#include "backend/raft_service.hpp"
#include "storage_sqlite/sqlite_driver.hpp"

using namespace orcraft;
using backend::Failure;
using backend::Statement;

namespace {

namespace fs = std::filesystem;

struct TempDir {
    TempDir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("orcraft-raft-service-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path path;
};

raft::PeerAddress peer(int n) {
    raft::PeerAddress p;
    p.identity = "127.0.0." + std::to_string(n) + ":10008";
    p.id = static_cast<raft::NodeId>(n);
    p.host = n == 2 ? "db-two.example" : "127.0.0." + std::to_string(n);
    p.port = 10008;
    return p;
}

// A node that applies every proposal to the state machine at once, on the caller's thread.
class ScriptedNode final : public raft::Node {
  public:
    explicit ScriptedNode(std::shared_ptr<raft::StateMachine> sm) : sm_(std::move(sm)) {
        st.id = 1;
        st.role = raft::Role::kLeader;
        st.term = 2;
        st.leader = 1;
        st.leader_identity = peer(1).identity;
        st.leader_http_url = "http://127.0.0.1:3000";
        st.voters = {peer(1), peer(2), peer(3)};
        st.reachable = {1, 2, 3};
        next_index = sm_->applied_index() + 1;
    }

    void propose(std::string data, std::function<void(raft::ProposeOutcome)> done) override {
        proposed.push_back(data);
        raft::ProposeOutcome o;
        if (st.role != raft::Role::kLeader) {
            o.error = raft::ProposeError::kNotLeader;
        } else if (fail_with != raft::ProposeError::kNone) {
            o.error = fail_with;
            o.message = "scripted";
        } else {
            raft::Entry e{next_index++, st.term, raft::EntryType::kNormal, data};
            o.result = sm_->apply(e);
            o.index = e.index;
            st.applied = e.index;
        }
        done(std::move(o));
    }
    void read_index(std::function<void(bool, raft::Index, std::string)> done) override {
        ++read_index_calls;
        done(read_index_ok, st.applied, read_index_ok ? "" : "no quorum");
    }
    void transfer_leadership(raft::NodeId to,
                             std::function<void(bool, std::string)> done) override {
        transferred_to.push_back(to);
        done(true, "");
    }
    void add_voter(const raft::PeerAddress& p,
                   std::function<void(bool, std::string)> done) override {
        added.push_back(p);
        done(true, "");
    }
    void remove_member(raft::NodeId id, std::function<void(bool, std::string)> done) override {
        removed.push_back(id);
        done(true, "");
    }
    void snapshot_now(std::function<void(bool, std::string)> done) override {
        done(false, "disk full");
    }
    void on_state_change(std::function<void(const raft::NodeState&)> o) override {
        observer = std::move(o);
    }
    raft::NodeState state() const override { return st; }
    void stop(int) override { stopped = true; }

    raft::NodeState st;
    raft::Index next_index = 1;
    raft::ProposeError fail_with = raft::ProposeError::kNone;
    bool read_index_ok = true;
    int read_index_calls = 0;
    bool stopped = false;
    std::vector<std::string> proposed;
    std::vector<raft::NodeId> transferred_to;
    std::vector<raft::PeerAddress> added;
    std::vector<raft::NodeId> removed;
    std::function<void(const raft::NodeState&)> observer;

  private:
    std::shared_ptr<raft::StateMachine> sm_;
};

struct Fixture {
    Fixture() {
        auto driver = std::make_shared<storage_sqlite::SqliteDriver>((dir.path / "db").string());
        sm = std::make_shared<backend::SqlStateMachine>(driver);
        auto owned = std::make_unique<ScriptedNode>(sm);
        node = owned.get();
        backend::RaftServiceOptions o;
        o.hostname = "host";
        o.token = "tok";
        o.bind = peer(1).identity;
        o.reader_threads = 1;
        o.normalize = [](const std::string& text) {
            for (int n = 1; n <= 4; ++n) {
                if (text == "127.0.0." + std::to_string(n) || text == peer(n).identity)
                    return peer(n);
            }
            throw std::invalid_argument(text + " is not a valid address");
        };
        o.clock_micros = [this] { return now; };
        o.random = [] { return 7; };
        service = std::make_unique<backend::RaftService>(sm, std::move(owned), o);
    }

    backend::ExecuteReply execute(std::vector<Statement> batch) {
        backend::ExecuteReply out;
        service->execute(std::move(batch), [&](backend::ExecuteReply r) { out = std::move(r); });
        return out;
    }
    backend::QueryReply query(const std::string& sql, backend::ReadConsistency level) {
        std::promise<backend::QueryReply> p;
        service->query({{sql, {}}}, level, [&](backend::QueryReply r) { p.set_value(r); });
        return p.get_future().get();
    }
    std::int64_t stamp_of(std::size_t proposal) const {
        return backend::decode_command(node->proposed.at(proposal)).stamp.unix_micros;
    }

    TempDir dir;
    std::int64_t now = 1'700'000'000'000'000;
    std::shared_ptr<backend::SqlStateMachine> sm;
    ScriptedNode* node = nullptr;
    std::unique_ptr<backend::RaftService> service;
};

}  // namespace

TEST_CASE("raft_service: a write goes through the log and answers with the entry's result",
          "[raft_service]") {
    Fixture f;
    auto r = f.execute({{"CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)", {}},
                        {"INSERT INTO t (v) VALUES (?)", {backend::Value(std::string("x"))}}});
    REQUIRE(r.failure == Failure::None);
    REQUIRE(r.results.size() == 2);
    CHECK(r.results[1].last_insert_id == 1);
    CHECK(r.index == 1);
    CHECK(f.node->proposed.size() == 1);
    // The first write of the term waited for a read-index round; the next ones do not.
    CHECK(f.node->read_index_calls == 1);
    f.execute({{"INSERT INTO t (v) VALUES ('y')", {}}});
    CHECK(f.node->read_index_calls == 1);

    auto failed =
        f.execute({{"INSERT INTO t (v) VALUES ('z')", {}}, {"INSERT INTO nope VALUES (1)", {}}});
    CHECK(failed.failure == Failure::BadRequest);
    CHECK(failed.statement == 1);
}

TEST_CASE("raft_service: bad SQL and reads never reach the log", "[raft_service]") {
    Fixture f;
    CHECK(f.execute({{"SELECT 1", {}}}).failure == Failure::BadRequest);
    CHECK(f.execute({{"INSERT INTO t VALUES (UUID())", {}}}).failure == Failure::BadRequest);
    CHECK(f.execute({}).failure == Failure::BadRequest);
    CHECK(f.node->proposed.empty());
}

TEST_CASE("raft_service: stamps increase across clock steps back and across leaders",
          "[raft_service]") {
    Fixture f;
    f.execute({{"CREATE TABLE t (id INT)", {}}});
    const auto first = f.stamp_of(0);
    CHECK(first == f.now);
    f.now -= 5'000'000;  // the wall clock steps back
    f.execute({{"INSERT INTO t VALUES (1)", {}}});
    CHECK(f.stamp_of(1) == first + 1);

    // A former leader stamped an entry an hour ahead of this node's clock; this node becomes
    // leader in a new term and must stamp after it.
    const std::int64_t ahead = first + 3600LL * 1'000'000;
    backend::Command c{"sql", backend::Stamp{ahead, 1},
                       backend::encode_sql_batch({{"INSERT INTO t VALUES (2)", {}}})};
    f.sm->apply(
        raft::Entry{f.node->next_index++, 3, raft::EntryType::kNormal, backend::encode_command(c)});
    f.node->st.term = 4;
    f.execute({{"INSERT INTO t VALUES (3)", {}}});
    CHECK(f.node->read_index_calls == 2);
    CHECK(f.stamp_of(2) == ahead + 1);
}

TEST_CASE("raft_service: refusals and outcomes map to replies", "[raft_service]") {
    using raft::ProposeError;
    auto of = [](ProposeError e) {
        raft::ProposeOutcome o;
        o.error = e;
        return backend::execute_reply_of(o).failure;
    };
    CHECK(of(ProposeError::kNotLeader) == Failure::NotLeader);
    CHECK(of(ProposeError::kLeadershipLost) == Failure::NotLeader);
    CHECK(of(ProposeError::kRejected) == Failure::NotLeader);
    CHECK(of(ProposeError::kTimeout) == Failure::Timeout);
    CHECK(of(ProposeError::kStopped) == Failure::Timeout);
    raft::ProposeOutcome garbage;
    garbage.result = "not a result";
    CHECK(backend::execute_reply_of(garbage).failure == Failure::BackendFailure);

    Fixture f;
    f.node->read_index_ok = false;
    auto r = f.execute({{"CREATE TABLE t (id INT)", {}}});
    CHECK(r.failure == Failure::NotLeader);
    CHECK(r.error.find("no quorum") != std::string::npos);
    CHECK(f.node->proposed.empty());

    f.node->read_index_ok = true;
    f.node->fail_with = ProposeError::kTimeout;
    CHECK(f.execute({{"CREATE TABLE t (id INT)", {}}}).failure == Failure::Timeout);

    f.node->st.role = raft::Role::kFollower;
    f.node->st.leader = 2;
    CHECK(f.execute({{"CREATE TABLE t (id INT)", {}}}).failure == Failure::NotLeader);
}

TEST_CASE("raft_service: read levels", "[raft_service]") {
    Fixture f;
    f.execute({{"CREATE TABLE t (id INT)", {}}, {"INSERT INTO t VALUES (5)", {}}});
    const int barrier_calls = f.node->read_index_calls;
    for (auto level :
         {backend::ReadLevel::None, backend::ReadLevel::Weak, backend::ReadLevel::Linearizable}) {
        auto r = f.query("SELECT id FROM t", level);
        REQUIRE(r.failure == Failure::None);
        CHECK(r.results[0].rows.size() == 1);
    }
    CHECK(f.node->read_index_calls == barrier_calls + 1);

    f.node->st.role = raft::Role::kFollower;
    CHECK(f.query("SELECT id FROM t", backend::ReadLevel::None).failure == Failure::None);
    CHECK(f.query("SELECT id FROM t", backend::ReadLevel::Weak).failure == Failure::NotLeader);
    f.node->read_index_ok = false;
    CHECK(f.query("SELECT id FROM t", backend::ReadLevel::Linearizable).failure ==
          Failure::NotLeader);
    CHECK(f.query("DELETE FROM t", backend::ReadLevel::None).failure == Failure::BadRequest);
}

TEST_CASE("raft_service: freshness bounds how long ago a level-none reader heard from the leader",
          "[raft_service]") {
    using std::chrono::milliseconds;
    Fixture f;
    f.execute({{"CREATE TABLE t (id INT)", {}}});
    backend::ReadConsistency fresh(backend::ReadLevel::None);
    fresh.freshness = milliseconds(500);

    // The leader is always fresh enough.
    f.node->st.since_leader_contact = milliseconds(0);
    CHECK(f.query("SELECT id FROM t", fresh).failure == Failure::None);

    f.node->st.role = raft::Role::kFollower;
    f.node->st.since_leader_contact = milliseconds(120);
    CHECK(f.query("SELECT id FROM t", fresh).failure == Failure::None);
    f.node->st.since_leader_contact = milliseconds(2500);
    auto stale = f.query("SELECT id FROM t", fresh);
    CHECK(stale.failure == Failure::NotLeader);
    CHECK_THAT(stale.error, Catch::Contains("stale read refused") &&
                                Catch::Contains("2.500 s ago") && Catch::Contains("500 ms"));
    // Without a bound the same node answers; a node that never heard from a leader does not.
    CHECK(f.query("SELECT id FROM t", backend::ReadLevel::None).failure == Failure::None);
    f.node->st.since_leader_contact.reset();
    CHECK_THAT(f.query("SELECT id FROM t", fresh).error, Catch::Contains("has had no leader"));
}

TEST_CASE("raft_service: view and status report the raft state", "[raft_service]") {
    Fixture f;
    auto v = f.service->view();
    CHECK(v.state == "Leader");
    CHECK(v.is_leader);
    CHECK(v.healthy);
    CHECK(v.is_voter);
    CHECK(v.self == peer(1).identity);
    CHECK(v.peers.size() == 3);
    CHECK(v.healthy_members.size() == 3);
    // A voter the leader has not heard from lately is not healthy.
    f.node->st.reachable = {1, 3};
    CHECK(f.service->view().healthy_members ==
          std::vector<std::string>{peer(1).identity, peer(3).identity});
    f.node->st.reachable = {1, 2, 3};
    auto s = f.service->status();
    CHECK(s.mode == "raft");
    CHECK(s.is_leader);
    CHECK(s.leader_url == "http://127.0.0.1:3000");

    f.node->st.role = raft::Role::kPreCandidate;
    f.node->st.leader = raft::kNoNode;
    f.node->st.leader_identity.clear();
    v = f.service->view();
    CHECK(v.state == "Candidate");
    CHECK_FALSE(v.healthy);
    CHECK(v.healthy_members.empty());
    CHECK_FALSE(f.service->status().healthy);

    f.node->st.role = raft::Role::kLeader;
    f.node->st.error = "fsync failed";
    CHECK_FALSE(f.service->view().healthy);
    CHECK(f.service->failure() == "fsync failed");
    CHECK(f.service->status().error.find("fsync failed") != std::string::npos);

    f.service->stop();
    CHECK(f.node->stopped);
    CHECK(f.service->view().state == "Shutdown");
}

TEST_CASE("raft_service: yield and reelect and membership and snapshot operations",
          "[raft_service]") {
    Fixture f;
    backend::RaftReply reply;
    auto capture = [&](backend::RaftReply r) { reply = std::move(r); };

    f.service->yield_to("127.0.0.3", capture);
    CHECK(reply.ok);
    CHECK(f.node->transferred_to == std::vector<raft::NodeId>{3});
    f.service->yield_to("127.0.0.4", capture);
    CHECK_FALSE(reply.ok);
    CHECK(reply.message.find("not a voter") != std::string::npos);
    f.service->yield_to("nonsense", capture);
    CHECK_FALSE(reply.ok);

    f.service->yield_by_hint("db-two", capture);
    CHECK(reply.ok);
    CHECK(f.node->transferred_to.back() == 2);
    f.service->yield_by_hint("nomatch", capture);
    CHECK_FALSE(reply.ok);

    backend::ElectionReply election;
    f.service->reelect([&](backend::ElectionReply r) { election = r; });
    CHECK(election.ok);
    CHECK(election.message == "Set re-elections");
    CHECK(f.node->transferred_to.back() == 0);

    f.service->add_peer("127.0.0.4", capture);
    CHECK(reply.ok);
    CHECK(reply.message == peer(4).identity);
    CHECK(f.node->added.at(0).identity == peer(4).identity);
    f.service->remove_peer("127.0.0.3", capture);
    CHECK(reply.ok);
    CHECK(f.node->removed == std::vector<raft::NodeId>{3});
    f.service->remove_peer("127.0.0.4", capture);  // not a member of the scripted state
    CHECK_FALSE(reply.ok);

    f.service->snapshot(capture);
    CHECK_FALSE(reply.ok);
    CHECK(reply.message == "disk full");

    f.node->st.role = raft::Role::kFollower;
    f.service->yield_to("127.0.0.3", capture);
    CHECK_FALSE(reply.ok);
    CHECK(reply.message == "this node is not the leader");
    f.service->add_peer("127.0.0.4", capture);
    CHECK_FALSE(reply.ok);
}
