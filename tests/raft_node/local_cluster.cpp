#include "local_cluster.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "polling.hpp"
#include "ports.hpp"

namespace orcraft::raft::testing {

namespace fs = std::filesystem;

LocalCluster::LocalCluster(int n, int voters) {
    if (voters == 0) voters = n;
    std::string tmpl = (fs::temp_directory_path() / "raft-node-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
    for (int i = 0; i < n; ++i) {
        LocalMember m;
        m.address.host = "127.0.0." + std::to_string(i + 1);
        m.address.port = free_port(m.address.host);
        m.address.identity = m.address.host + ":" + std::to_string(m.address.port);
        m.address.id = node_id_for(m.address.identity);
        m.dir = root_ + "/node" + std::to_string(i);
        fs::create_directories(m.dir);
        m.sm = std::make_shared<MemoryStateMachine>();
        if (i < voters) bootstrap_.push_back(m.address);
        members_.push_back(std::move(m));
    }
}

LocalCluster::~LocalCluster() {
    for (auto& m : members_)
        if (m.node) m.node->stop(0);
    members_.clear();
    std::error_code ec;
    fs::remove_all(root_, ec);
}

void LocalCluster::start(int i) {
    LocalMember& m = member(i);
    NodeOptions o;
    o.data_dir = m.dir;
    o.transport.cluster = "test";
    o.transport.self = m.address.id;
    o.transport.identity = m.address.identity;
    o.transport.http_url = "http://" + m.address.host + ":" + std::to_string(10000 + i);
    o.transport.listen_host = m.address.host;
    o.transport.listen_port = m.address.port;
    const bool is_bootstrap_member =
        std::any_of(bootstrap_.begin(), bootstrap_.end(),
                    [&](const PeerAddress& p) { return p.id == m.address.id; });
    if (is_bootstrap_member) o.bootstrap = bootstrap_;
    if (tweak) tweak(o);
    m.node = Node::start(o, m.sm);
}

void LocalCluster::stop(int i, int transfer_ms) {
    LocalMember& m = member(i);
    if (!m.node) return;
    m.node->stop(transfer_ms);
    m.node.reset();
}

void LocalCluster::wipe(int i) {
    LocalMember& m = member(i);
    if (m.node) throw std::logic_error("wipe a running member");
    fs::remove_all(m.dir);
    fs::create_directories(m.dir);
    m.sm = std::make_shared<MemoryStateMachine>();
}

int LocalCluster::agreed_leader() {
    int leader = -1;
    for (int i = 0; i < size(); ++i) {
        if (!member(i).node) continue;
        if (member(i).node->state().role == Role::kLeader) {
            if (leader != -1) return -1;
            leader = i;
        }
    }
    if (leader == -1) return -1;
    const NodeId id = member(leader).address.id;
    for (int i = 0; i < size(); ++i) {
        if (!member(i).node) continue;
        NodeState s = member(i).node->state();
        if (s.leader != id) return -1;
    }
    return leader;
}

int LocalCluster::wait_leader(std::chrono::milliseconds deadline, int not_this) {
    int leader = -1;
    bool found = orcraft::tests::eventually(
        deadline,
        [&] {
            leader = agreed_leader();
            return leader != -1 && leader != not_this;
        },
        std::chrono::milliseconds(5));
    if (!found) FAIL("no agreed leader within " << deadline.count() << " ms");
    return leader;
}

ProposeOutcome LocalCluster::propose(int i, const std::string& data,
                                     std::chrono::milliseconds deadline) {
    auto p = std::make_shared<std::promise<ProposeOutcome>>();
    auto f = p->get_future();
    node(i).propose(data, [p](ProposeOutcome o) { p->set_value(std::move(o)); });
    if (f.wait_for(deadline) != std::future_status::ready) {
        FAIL("propose did not complete within " << deadline.count() << " ms");
    }
    return f.get();
}

ProposeOutcome LocalCluster::try_propose_via_leader(const std::string& data,
                                                    std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        int leader = agreed_leader();
        if (leader == -1) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            continue;
        }
        auto p = std::make_shared<std::promise<ProposeOutcome>>();
        auto f = p->get_future();
        member(leader).node->propose(data, [p](ProposeOutcome o) { p->set_value(std::move(o)); });
        ProposeOutcome out = f.get();  // always answered: applied, failed, or timed out
        if (out.error != ProposeError::kNotLeader && out.error != ProposeError::kRejected &&
            out.error != ProposeError::kLeadershipLost) {
            return out;
        }
    }
    ProposeOutcome out;
    out.error = ProposeError::kTimeout;
    out.message = "no leader took it";
    return out;
}

ProposeOutcome LocalCluster::propose_via_leader(const std::string& data,
                                                std::chrono::milliseconds deadline) {
    ProposeOutcome out = try_propose_via_leader(data, deadline);
    if (out.error != ProposeError::kNone) {
        FAIL("propose " << data << ": " << to_string(out.error) << ": " << out.message);
    }
    return out;
}

std::pair<bool, std::string> LocalCluster::read(int i) {
    auto p = std::make_shared<std::promise<std::pair<bool, std::string>>>();
    auto f = p->get_future();
    node(i).read_index([p](bool ok, Index index, std::string error) {
        p->set_value({ok, ok ? std::to_string(index) : error});
    });
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        FAIL("read_index did not complete");
    }
    return f.get();
}

}  // namespace orcraft::raft::testing
