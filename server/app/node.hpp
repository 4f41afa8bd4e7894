#pragma once
// Runs one orcraft node from a loaded configuration: opens the backend, starts the service of the
// configured mode and the HTTP API, and serves until asked to stop.

#include <atomic>
#include <memory>

#include "backend/config.hpp"
#include "backend/driver.hpp"

namespace orcraft::server::app {

// Opens the storage driver the configuration selects (SQLite when BackendDB names it, MySQL
// otherwise). Throws backend::BackendError with a message naming the database on failure.
std::unique_ptr<backend::Driver> open_driver(const backend::Config& config);

// Serves until SIGINT or SIGTERM arrives, then shuts down gracefully: stops accepting, lets
// requests in flight finish, finishes accepted writes, closes the backend. Returns the process
// exit status. The caller must have blocked SIGINT and SIGTERM in every thread (see
// block_stop_signals()) before any thread was started.
int run_node(const backend::Config& config);

// Blocks SIGINT and SIGTERM in the calling thread, so that threads started afterwards inherit
// the mask and run_node() can wait for them with sigwait(); and SIGPIPE, so that a write to a
// vanished peer fails with EPIPE instead of ending the process.
void block_stop_signals();

}  // namespace orcraft::server::app
