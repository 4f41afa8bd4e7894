// Connection handling against real servers: lost connections (killed sessions, a restarted
// server), a server that never answers, a wrong password, and TLS options that must be honoured.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>

#include "storage_mysql/mysql_driver.hpp"
#include "test_server.hpp"

using orcraft::backend::BackendError;
using orcraft::backend::Statement;
using orcraft::backend::Value;
using orcraft::storage_mysql::MysqlDriver;
using orcraft::storage_mysql::MysqlOptions;
using Clock = std::chrono::steady_clock;

namespace {

Statement st(std::string sql) {
    return Statement{std::move(sql), {}};
}

std::int64_t scalar(orcraft::backend::Driver& d, const std::string& sql) {
    return std::get<std::int64_t>(d.query({st(sql)}).at(0).rows.at(0).at(0));
}

// A TCP socket on 127.0.0.1 that listens but never accepts or sends anything: the kernel
// completes the TCP handshake, so only the driver's own timeout can end the wait for the
// server's greeting.
struct SilentListener {
    int fd = -1;
    int port = 0;
    SilentListener() {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(listen(fd, 8) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port = ntohs(addr.sin_port);
    }
    ~SilentListener() { close(fd); }
};

int free_port() {
    SilentListener l;
    return l.port;
}

std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[512];
    while (fgets(buf, sizeof buf, p) != nullptr)
        out += buf;
    const int status = pclose(p);
    INFO(cmd << "\n" << out);
    REQUIRE(status == 0);
    return out;
}

}  // namespace

TEST_CASE("the writer reconnects after its session is killed", "[mysql][reconnect]") {
    const std::string db = "orcraft_t_kill_writer";
    orcraft::mysql_test::AdminSession admin;
    admin.drop_database(db);
    MysqlDriver d(orcraft::mysql_test::test_options(db));
    REQUIRE_FALSE(
        d.execute({st("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY)")}, {}, 1).error);

    admin.kill_connection(d.writer_connection_id());
    auto out = d.execute({st("INSERT INTO t VALUES (NULL)")}, {}, 2);
    REQUIRE_FALSE(out.error);
    CHECK(out.results.at(0).last_insert_id == 1);
    CHECK(d.applied_index() == 2);
    CHECK(scalar(d, "SELECT COUNT(*) FROM t") == 1);
}

TEST_CASE("a batch whose session dies before COMMIT runs again exactly once",
          "[mysql][reconnect]") {
    const std::string db = "orcraft_t_kill_commit";
    orcraft::mysql_test::AdminSession admin;
    admin.drop_database(db);
    MysqlOptions o = orcraft::mysql_test::test_options(db);
    MysqlDriver* self = nullptr;
    int kills = 0;
    o.test_hook = [&](std::string_view point) {
        if (point == "before-commit" && kills == 0 && self != nullptr) {
            ++kills;
            admin.kill_connection(self->writer_connection_id());
        }
    };
    MysqlDriver d(o);
    REQUIRE_FALSE(
        d.execute({st("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)")}, {}, 1).error);
    self = &d;
    auto out =
        d.execute({st("INSERT INTO t (v) VALUES (1)"), st("INSERT INTO t (v) VALUES (2)")}, {}, 2);
    CHECK(kills == 1);
    REQUIRE_FALSE(out.error);
    CHECK(out.results.size() == 2);
    CHECK(d.applied_index() == 2);
    CHECK(scalar(d, "SELECT COUNT(*) FROM t") == 2);
}

TEST_CASE("readers reconnect after their sessions are killed", "[mysql][reconnect]") {
    const std::string db = "orcraft_t_kill_readers";
    orcraft::mysql_test::AdminSession admin;
    admin.drop_database(db);
    MysqlDriver d(orcraft::mysql_test::test_options(db));
    REQUIRE_FALSE(
        d.execute({st("CREATE TABLE t (id INT)"), st("INSERT INTO t VALUES (7)")}, {}, 1).error);
    CHECK(scalar(d, "SELECT id FROM t") == 7);
    const auto readers =
        admin.query_int("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '" + db +
                        "' AND ID <> " + std::to_string(d.writer_connection_id()));
    REQUIRE(readers >= 1);
    while (true) {
        const auto id = admin.query_int(
            "SELECT COALESCE(MIN(ID), 0) FROM information_schema.PROCESSLIST WHERE DB = '" + db +
            "' AND ID <> " + std::to_string(d.writer_connection_id()));
        if (id == 0) break;
        admin.kill_connection(static_cast<std::uint64_t>(id));
    }
    CHECK(scalar(d, "SELECT id FROM t") == 7);
}

TEST_CASE("a server that never answers fails the connect within the timeout", "[mysql]") {
    SilentListener silent;
    MysqlOptions o = orcraft::mysql_test::test_options("orcraft_t_unused");
    o.port = silent.port;
    o.connect_timeout_seconds = 1;
    const auto start = Clock::now();
    CHECK_THROWS_AS(MysqlDriver(o), BackendError);
    const auto elapsed = Clock::now() - start;
    CHECK(elapsed < std::chrono::seconds(6));
}

TEST_CASE("a wrong password gives a clear error", "[mysql]") {
    MysqlOptions o = orcraft::mysql_test::test_options("orcraft_t_unused");
    o.password = "definitely-wrong";
    try {
        MysqlDriver d(o);
        FAIL("connected with a wrong password");
    } catch (const BackendError& e) {
        const std::string msg = e.what();
        INFO(msg);
        CHECK(msg.find("1045") != std::string::npos);
        CHECK(msg.find("Access denied") != std::string::npos);
        CHECK(msg.find(o.user) != std::string::npos);
    }
}

TEST_CASE("TLS options are honoured: a required TLS connection never falls back", "[mysql]") {
    // The test server has no certificate, so a connection that insists on TLS must fail; a
    // driver that ignored the options would connect in plain text.
    orcraft::mysql_test::AdminSession().drop_database("orcraft_t_tls");
    MysqlOptions o = orcraft::mysql_test::test_options("orcraft_t_tls");
    o.use_mutual_tls = true;
    o.ssl_ca_file = "/nonexistent/ca.pem";
    o.ssl_cert_file = "/nonexistent/cert.pem";
    o.ssl_private_key_file = "/nonexistent/key.pem";
    CHECK_THROWS_AS(MysqlDriver(o), BackendError);
    o.use_mutual_tls = false;
    CHECK_NOTHROW(MysqlDriver(o));
}

TEST_CASE("the writer survives a restart of the server", "[mysql][restart]") {
    // A server of its own, so that restarting it does not disturb tests running in parallel.
    const std::string dir = "/tmp/orcraft-restart-test-" + std::to_string(getpid());
    const int port = free_port();
    const std::string script = orcraft::mysql_test::mariadb_script();
    run(script + " start " + dir + " " + std::to_string(port));
    struct Cleanup {
        std::string script, dir;
        ~Cleanup() {
            std::system((script + " stop " + dir + " >/dev/null 2>&1").c_str());
            std::filesystem::remove_all(dir);
        }
    } cleanup{script, dir};

    MysqlOptions o = orcraft::mysql_test::test_options("orcraft_t_restart");
    o.port = port;
    o.reconnect_deadline_seconds = 30;
    MysqlDriver d(o);
    REQUIRE_FALSE(d.execute({st("CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY)"),
                             st("INSERT INTO t VALUES (NULL)")},
                            {}, 1)
                      .error);
    run(script + " stop " + dir);
    auto pending = std::async(
        std::launch::async, [&] { return d.execute({st("INSERT INTO t VALUES (NULL)")}, {}, 2); });
    run(script + " start " + dir + " " + std::to_string(port));
    const auto out = pending.get();
    REQUIRE_FALSE(out.error);
    CHECK(out.results.at(0).last_insert_id == 2);
    CHECK(d.applied_index() == 2);
    CHECK(scalar(d, "SELECT COUNT(*) FROM t") == 2);
}
