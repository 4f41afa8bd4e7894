#pragma once
// The HTTP side of a node: the API routes (server/api) over a node's Service, with request
// metrics, served on the configured ListenAddress. The `orcraft` executable and an embedded
// node (server/embed) build it the same way.
//
// Threading: construct, listen() and stop() from one owner thread. The server answers on its
// own loop thread; the Service's callbacks answer from the service's threads.

#include <memory>
#include <string>

#include "backend/config.hpp"
#include "backend/raft_service.hpp"
#include "backend/service.hpp"
#include "server/api/api.hpp"
#include "server/http/server.hpp"
#include "server/metrics/node_metrics.hpp"
#include "server/metrics/raft_events.hpp"
#include "server/metrics/raft_metrics.hpp"
#include "server/metrics/registry.hpp"

namespace orcraft::server::app {

class HttpFrontend {
  public:
    // `config` and `service` must outlive the frontend. Nothing listens yet.
    HttpFrontend(const backend::Config& config, backend::Service& service);
    // Calls stop().
    ~HttpFrontend();
    HttpFrontend(const HttpFrontend&) = delete;
    HttpFrontend& operator=(const HttpFrontend&) = delete;

    // Listens on ListenAddress (port 3000 when it names none) and returns the bound address.
    // Throws http::ListenError naming the address.
    http::Endpoint listen();

    // Stops accepting, lets requests in flight finish, then stops forwarding to the leader.
    // Idempotent. The service is left running: its owner stops it afterwards.
    void stop();

    metrics::NodeMetrics& metrics() { return node_metrics_; }

  private:
    const backend::Config& config_;
    metrics::Registry registry_;
    metrics::NodeMetrics node_metrics_;
    api::Api api_;
    // Feeds the raft runtime's state into the metrics at every scrape, and its events as they
    // happen (raft mode only; the events are detached in stop()).
    metrics::ScrapeHook raft_metrics_;
    backend::RaftService* raft_ = nullptr;
    metrics::RaftEventMetrics raft_events_;
    http::HttpServer server_;
};

}  // namespace orcraft::server::app
