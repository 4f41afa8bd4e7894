#include "server/app/http_frontend.hpp"

#include "backend/raft_service.hpp"

namespace orcraft::server::app {
namespace {

http::ServerOptions server_options(const backend::Config& config) {
    http::ServerOptions options;
    options.max_body_bytes = static_cast<std::size_t>(config.http_max_body_bytes);
    options.header_timeout = std::chrono::seconds(config.http_header_timeout_seconds);
    options.body_timeout = std::chrono::seconds(config.http_body_timeout_seconds);
    options.idle_timeout = std::chrono::seconds(config.http_idle_timeout_seconds);
    return options;
}

}  // namespace

HttpFrontend::HttpFrontend(const backend::Config& config, backend::Service& service)
    : config_(config),
      node_metrics_(registry_),
      api_(config, service, &node_metrics_),
      raft_events_(node_metrics_),
      server_(server_options(config), [this](http::Request request, http::Responder responder) {
          api_.handle(std::move(request), std::move(responder));
      }) {
    if (auto* raft = dynamic_cast<backend::RaftService*>(&service)) {
        raft_metrics_ = metrics::watch_raft(node_metrics_, [raft] { return raft->node_state(); });
        raft_ = raft;
        raft_->set_node_events(&raft_events_);
    }
}

HttpFrontend::~HttpFrontend() {
    stop();
}

http::Endpoint HttpFrontend::listen() {
    const auto address = config_.listen();
    // The server logs "http: listening on <address>" itself.
    return server_.listen(address.host, address.port.value_or(3000));
}

void HttpFrontend::stop() {
    server_.stop();
    api_.stop();
    // The service (and its runtime) outlives this object; its events must stop first.
    if (raft_) raft_->set_node_events(nullptr);
}

}  // namespace orcraft::server::app
