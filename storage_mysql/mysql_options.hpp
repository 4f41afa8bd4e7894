#pragma once
// How to reach the MySQL/MariaDB server that holds one node's backend schema. The fields mirror
// the orchestrator configuration keys (MySQLOrchestrator*), which the configuration layer maps
// onto this struct; the driver itself never reads configuration files or the environment.

#include <functional>
#include <string>
#include <string_view>

namespace orcraft::storage_mysql {

struct MysqlOptions {
    std::string host = "127.0.0.1";
    int port = 3306;
    // When non-empty the driver connects through this unix socket and ignores host and port.
    std::string socket;
    // The schema; created with `CREATE DATABASE IF NOT EXISTS` on open. Must not be empty.
    std::string database;
    std::string user;
    std::string password;

    // Bound on establishing a connection (TCP connect plus handshake). Always set: without it a
    // connect to a hung server blocks for minutes.
    int connect_timeout_seconds = 2;
    // Bound on waiting for any single answer from the server; a statement running longer than
    // this fails as a lost connection (error 2013).
    int read_timeout_seconds = 30;
    // Most reader connections kept for query(); readers beyond it wait for a free connection.
    int reader_pool_size = 4;

    // TLS to the server. When use_mutual_tls is set the connection must be encrypted (it fails
    // rather than fall back to plain text); the CA, certificate and key files are passed when
    // non-empty, and the server certificate is verified against the CA unless ssl_skip_verify.
    bool use_mutual_tls = false;
    std::string ssl_ca_file;
    std::string ssl_cert_file;
    std::string ssl_private_key_file;
    bool ssl_skip_verify = false;

    // How long execute() keeps trying to reconnect after losing the writer connection before it
    // gives up with BackendError.
    int reconnect_deadline_seconds = 30;

    // Called at named points of a batch so tests can crash the process exactly there:
    // "before-ddl" (progress marker with the schema fingerprint committed, DDL not run),
    // "after-ddl" (DDL committed, marker not yet moved past it), "after-statement" (a DML
    // statement ran inside the open transaction, also that of an apply group), "before-commit" and
    // "after-commit" (around the COMMIT of a batch's last transaction), "group-before-commit" and
    // "group-after-commit" (around a COMMIT of an apply group's transaction, at end_group() or
    // before a batch that makes the group commit early), "snapshot-before-swap" and
    // "snapshot-after-swap" (a snapshot install with its pending marker set, before and after
    // the RENAME that swaps the new tables in). Empty in production.
    std::function<void(std::string_view point)> test_hook;
};

}  // namespace orcraft::storage_mysql
