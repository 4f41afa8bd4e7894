#include "server/app/node.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <random>

#include "backend/driver_lease_store.hpp"
#include "backend/raft_service.hpp"
#include "backend/shared_backend_service.hpp"
#include "backend/standalone_service.hpp"
#include "server/app/http_frontend.hpp"
#include "server/app/raft_node.hpp"
#include "storage_mysql/mysql_driver.hpp"
#include "storage_sqlite/sqlite_driver.hpp"

namespace orcraft::server::app {
namespace {

std::string local_hostname() {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) != 0) return "localhost";
    return name;
}

std::string random_token(std::mt19937_64& rng) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string token;
    for (int i = 0; i < 32; ++i)
        token += hex[rng() % 16];
    return token;
}

std::int64_t wall_clock_micros() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

storage_mysql::MysqlOptions mysql_options(const backend::Config& config) {
    storage_mysql::MysqlOptions options;
    options.host = config.mysql_host;
    options.port = config.mysql_port;
    options.database = config.mysql_database;
    options.user = config.mysql_user;
    options.password = config.mysql_password;
    options.connect_timeout_seconds = config.mysql_connect_timeout_seconds;
    options.read_timeout_seconds = config.mysql_read_timeout_seconds;
    options.reader_pool_size = std::max(1, std::min(config.mysql_max_pool_connections, 16));
    options.use_mutual_tls = config.mysql_use_mutual_tls;
    options.ssl_ca_file = config.mysql_ssl_ca_file;
    options.ssl_cert_file = config.mysql_ssl_cert_file;
    options.ssl_private_key_file = config.mysql_ssl_private_key_file;
    options.ssl_skip_verify = config.mysql_ssl_skip_verify;
    return options;
}

// The election's own connection: one writer and one reader session, every statement bounded by
// the read timeout but never by more than the lease (a round that cannot finish within the lease
// is useless), and no long reconnect loop (the next round retries).
std::unique_ptr<backend::LeaseStore> open_lease_store(const backend::Config& config) {
    auto options = mysql_options(config);
    const int lease = config.shared_backend_lease_seconds;
    options.read_timeout_seconds =
        options.read_timeout_seconds > 0 ? std::min(options.read_timeout_seconds, lease) : lease;
    options.connect_timeout_seconds = std::min(options.connect_timeout_seconds, lease);
    options.reader_pool_size = 1;
    options.reconnect_deadline_seconds = 1;
    return std::make_unique<backend::DriverLeaseStore>(
        std::make_unique<storage_mysql::MysqlDriver>(options));
}

// The client connections of a shared-backend node. Its writes are unlogged (no exactly-once
// replay to wait for), so a lost connection is retried for the connect timeout only, and a
// request during an outage fails promptly instead of holding the writer for the default
// reconnect deadline.
std::unique_ptr<backend::Driver> open_shared_driver(const backend::Config& config) {
    auto options = mysql_options(config);
    options.reconnect_deadline_seconds = options.connect_timeout_seconds;
    return std::make_unique<storage_mysql::MysqlDriver>(options);
}

// Errors that mean this node's settings cannot work, rather than the database being down: access
// denied (1044, 1045, 1698) and an unknown host (2005). The driver names the server's code in
// its messages ("MySQL error <code> (<state>)").
bool is_settings_error(const std::string& message) {
    for (const char* code : {"1044", "1045", "1698", "2005"})
        if (message.find(std::string("MySQL error ") + code + " ") != std::string::npos)
            return true;
    return false;
}

// Opens both connections of a shared-backend node; called by the service until it succeeds.
backend::SharedBackendConnections open_shared_connections(const backend::Config& config) {
    try {
        backend::SharedBackendConnections c;
        c.data = open_shared_driver(config);
        c.lease = open_lease_store(config);
        return c;
    } catch (const backend::BackendError& e) {
        if (is_settings_error(e.what())) throw backend::SharedBackendSettingsError(e.what());
        throw;
    }
}

// The longest a leader waits at shutdown for another node to take over.
constexpr std::chrono::milliseconds kShutdownHandOver{3000};

// Waits for SIGINT or SIGTERM (0), or for the raft runtime to stop itself after a failure of its
// disk or its backend (1: the process must exit, see raft/node/node.hpp).
int wait_for_stop(backend::RaftService* raft) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    const timespec poll{0, 200 * 1000 * 1000};
    for (;;) {
        const int signal_number =
            raft ? sigtimedwait(&set, nullptr, &poll) : sigwaitinfo(&set, nullptr);
        if (signal_number == SIGINT || signal_number == SIGTERM) {
            spdlog::info("received {}, shutting down",
                         signal_number == SIGINT ? "SIGINT" : "SIGTERM");
            return 0;
        }
        if (raft) {
            if (auto failure = raft->failure(); !failure.empty()) {
                spdlog::critical("raft node stopped: {}; exiting", failure);
                return 1;
            }
        }
    }
}

}  // namespace

std::unique_ptr<backend::Driver> open_driver(const backend::Config& config) {
    if (config.is_sqlite()) {
        storage_sqlite::SqliteOptions options;
        options.read_connections = static_cast<std::size_t>(config.sqlite_read_connections);
        options.busy_timeout_ms = config.sqlite_busy_timeout_millis;
        // In raft mode the fsynced raft log is the record of every write and the database is
        // rebuilt from it after a power cut; without raft, the database is the only record.
        options.durable_commits = !config.raft_enabled;
        return std::make_unique<storage_sqlite::SqliteDriver>(config.sqlite3_data_file, options);
    }
    return std::make_unique<storage_mysql::MysqlDriver>(mysql_options(config));
}

void block_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    // A write to a socket whose peer has gone (an HTTP client, a raft peer killed mid-write)
    // raises SIGPIPE, whose default action ends the process. Blocked in every thread, it stays
    // pending and the write fails with EPIPE, which the writer handles as a lost connection.
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int run_node(const backend::Config& config) {
    std::unique_ptr<backend::Driver> driver;
    // RaftEnabled false with MySQL: nodes share the backend and elect the active node in it. That
    // service opens its connections itself, in the background, so that a node started while the
    // database is down serves its health endpoints (as unhealthy) and recovers by itself.
    const bool shared_backend = !config.raft_enabled && !config.is_sqlite();
    if (!shared_backend && !config.raft_enabled) {
        try {
            driver = open_driver(config);
        } catch (const std::exception& e) {
            spdlog::critical("cannot open the sqlite backend: {}", e.what());
            return 1;
        }
    }

    std::mt19937_64 rng{std::random_device{}()};
    std::unique_ptr<backend::Service> service_owner;
    backend::RaftService* raft_service = nullptr;
    if (config.raft_enabled) {
        try {
            auto service = start_raft_service(config, local_hostname(), random_token(rng),
                                              [rng]() mutable { return rng(); });
            raft_service = service.get();
            service_owner = std::move(service);
        } catch (const RaftStartError& e) {
            spdlog::critical("{}", e.what());
            return 1;
        }
    } else if (shared_backend) {
        backend::SharedBackendOptions options;
        options.hostname = local_hostname();
        options.token = random_token(rng);
        options.reader_threads =
            static_cast<std::size_t>(std::max(1, std::min(config.mysql_max_pool_connections, 16)));
        options.lease = std::chrono::seconds(config.shared_backend_lease_seconds);
        options.tick = std::chrono::milliseconds(config.shared_backend_tick_millis);
        if (options.tick >= options.lease) {
            spdlog::warn(
                "SharedBackendTickMillis ({}) is not below SharedBackendLeaseSeconds ({} s): the "
                "active node cannot renew its lease in time and leadership will flap",
                config.shared_backend_tick_millis, config.shared_backend_lease_seconds);
        }
        options.random = [rng]() mutable { return rng(); };
        service_owner = std::make_unique<backend::SharedBackendService>(
            [config] { return open_shared_connections(config); }, std::move(options));
    } else {
        backend::StandaloneOptions options;
        options.hostname = local_hostname();
        options.token = random_token(rng);
        options.reader_threads =
            static_cast<std::size_t>(std::max(1, config.sqlite_read_connections));
        options.clock_micros = wall_clock_micros;
        options.random = [rng]() mutable { return rng(); };
        service_owner =
            std::make_unique<backend::StandaloneService>(std::move(driver), std::move(options));
    }
    backend::Service& service = *service_owner;

    HttpFrontend frontend(config, service);
    try {
        frontend.listen();
    } catch (const http::ListenError& e) {
        spdlog::critical("{}", e.what());
        frontend.stop();
        service.stop();
        return 1;
    }

    const int exit_status = wait_for_stop(raft_service);
    // A raft leader hands over first, while this node still forwards requests to the new leader.
    if (raft_service && exit_status == 0) raft_service->hand_over(kShutdownHandOver);
    frontend.stop();
    service.stop();
    spdlog::info("stopped");
    return exit_status;
}

}  // namespace orcraft::server::app
