#include "server/app/raft_node.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "backend/address.hpp"
#include "backend/sql_state_machine.hpp"
#include "server/app/node.hpp"

namespace orcraft::server::app {
namespace {

raft::PeerAddress peer_of(const backend::RaftAddress& a, int default_port) {
    raft::PeerAddress p;
    p.identity = a.id;
    p.id = raft::node_id_for(a.id);
    p.host = a.address.host;
    p.port = a.address.port.value_or(static_cast<std::uint16_t>(default_port));
    return p;
}

}  // namespace

raft::NodeOptions raft_node_options(const backend::Config& config, std::uint64_t seed) {
    raft::NodeOptions o;
    o.data_dir = config.raft_data_dir;
    auto& t = o.transport;
    t.cluster = kRaftClusterName;
    t.identity = config.raft_self.id;
    t.self = raft::node_id_for(t.identity);
    t.http_url = config.leader_url();
    // Listen on the IP RaftBind resolved to (its identity), at its port.
    const auto bind = backend::split_host_port(config.raft_bind_address.id);
    t.listen_host = bind.host;
    t.listen_port = bind.port.value_or(static_cast<std::uint16_t>(config.default_raft_port));

    // A joining node waits to be added by the running cluster: a bootstrap log of its own could
    // differ from the cluster's first entries.
    if (!config.raft_join && config.single_node()) {
        o.bootstrap.push_back(peer_of(config.raft_self, config.default_raft_port));
    } else if (!config.raft_join) {
        for (const auto& m : config.raft_members)
            o.bootstrap.push_back(peer_of(m, config.default_raft_port));
    }

    // The core counts time in ticks; a tick is 10 ms unless the heartbeat asks for less.
    o.tick_ms = std::min(10, config.raft_heartbeat_interval_millis);
    o.core.heartbeat_ticks = std::max(1, config.raft_heartbeat_interval_millis / o.tick_ms);
    o.core.election_ticks = std::max(2, config.raft_election_timeout_millis / o.tick_ms);
    o.core.seed = seed;
    o.snapshot_threshold = static_cast<std::uint64_t>(config.raft_snapshot_threshold);
    o.trailing_entries = static_cast<std::uint64_t>(config.raft_trailing_logs);
    o.propose_timeout_ms = config.raft_write_timeout_millis;
    return o;
}

std::unique_ptr<backend::RaftService> start_raft_service(
    const backend::Config& config, const std::string& hostname, const std::string& token,
    std::function<std::uint64_t()> random,
    const std::function<void(backend::SqlStateMachine&)>& prepare) {
    try {
        backend::prepare_raft_data_dir(config.raft_data_dir);
    } catch (const backend::ConfigError& e) {
        throw RaftStartError(e.what());
    }
    // load_config() refuses this already; kept here because starting a node that is not a member
    // would leave it a candidate forever.
    if (!config.single_node()) {
        const bool member =
            std::any_of(config.raft_members.begin(), config.raft_members.end(),
                        [&](const backend::RaftAddress& m) { return m.id == config.raft_self.id; });
        if (!member) {
            std::string ids;
            for (const auto& m : config.raft_members)
                ids += (ids.empty() ? "" : ", ") + m.id;
            throw RaftStartError("RaftAdvertise " + config.raft_self.id +
                                 (config.raft_advertise_from_bind ? " (from RaftBind)" : "") +
                                 " is not one of RaftNodes [" + ids + "]");
        }
    }
    if (config.raft_heartbeat_interval_millis * 2 > config.raft_election_timeout_millis) {
        throw RaftStartError("RaftHeartbeatIntervalMillis (" +
                             std::to_string(config.raft_heartbeat_interval_millis) +
                             ") must be at most half of RaftElectionTimeoutMillis (" +
                             std::to_string(config.raft_election_timeout_millis) + ")");
    }

    std::shared_ptr<backend::Driver> driver;
    try {
        driver = open_driver(config);
    } catch (const std::exception& e) {
        throw RaftStartError(std::string("cannot open the ") +
                             (config.is_sqlite() ? "sqlite" : "mysql") + " backend: " + e.what());
    }
    backend::SqlStateMachineOptions sm_options;
    sm_options.checksum_file =
        (std::filesystem::path(config.raft_data_dir) / "result-checksum").string();
    auto state_machine = std::make_shared<backend::SqlStateMachine>(driver, sm_options);
    if (prepare) prepare(*state_machine);

    auto options = raft_node_options(config, random());
    spdlog::info(
        "raft: starting node {} ({:016x}) with {} backend, {} bootstrap voter(s), raft "
        "on {}:{}, leader URL {}",
        options.transport.identity, options.transport.self, driver->kind(),
        options.bootstrap.size(), options.transport.listen_host, options.transport.listen_port,
        options.transport.http_url);
    if (options.transport.http_url.ends_with(":0")) {
        spdlog::warn(
            "raft: this node's leader URL {} has port 0 (ListenAddress asks for any free "
            "port): followers cannot forward requests to it; set HTTPAdvertise",
            options.transport.http_url);
    }
    std::unique_ptr<raft::Node> node;
    try {
        node = raft::Node::start(options, state_machine);
    } catch (const std::exception& e) {
        throw RaftStartError(e.what());
    }

    backend::RaftServiceOptions service_options;
    service_options.hostname = hostname;
    service_options.token = token;
    service_options.bind = config.raft_bind_address.id;
    service_options.reader_threads = static_cast<std::size_t>(
        config.is_sqlite() ? std::max(1, config.sqlite_read_connections)
                           : std::max(1, std::min(config.mysql_max_pool_connections, 16)));
    const int default_port = config.default_raft_port;
    service_options.normalize = [default_port](const std::string& text) {
        std::vector<std::string> warnings;
        backend::RaftAddress a;
        try {
            a = backend::normalize_raft_address(text, default_port, backend::system_resolver(),
                                                warnings);
        } catch (const backend::AddressError& e) {
            throw std::invalid_argument(text + " is not a valid address: " + e.what());
        }
        if (!a.address.port) throw std::invalid_argument(text + " has no port");
        return peer_of(a, default_port);
    };
    service_options.clock_micros = [] {
        using namespace std::chrono;
        return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    };
    service_options.random = std::move(random);
    return std::make_unique<backend::RaftService>(std::move(state_machine), std::move(node),
                                                  std::move(service_options));
}

}  // namespace orcraft::server::app
