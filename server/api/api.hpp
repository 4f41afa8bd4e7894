#pragma once
// The HTTP API of a node: orchestrator's health and raft endpoints plus the SQL API, under
// <URLPrefix>/api/ (docs/http-api.md lists every route and its answers).
//
// Api::handle() is the HTTP server's handler: it runs on the server's loop thread, does only
// cheap work there (routing, authentication, parsing), and hands SQL to the Service, whose
// callbacks answer from the service's threads through the Responder.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/config.hpp"
#include "backend/service.hpp"
#include "server/http/message.hpp"
#include "server/http/responder.hpp"

namespace orcraft::server::metrics {
class NodeMetrics;
}

namespace orcraft::server::api {

class LeaderForwarding;

class Api {
  public:
    // The arguments must outlive the Api. With `metrics`, every answer is counted by route and
    // status and <prefix>/api/metrics serves the exposition (server/api/request_metrics.hpp).
    Api(const backend::Config& config, backend::Service& service,
        metrics::NodeMetrics* metrics = nullptr);

    ~Api();
    Api(const Api&) = delete;
    Api& operator=(const Api&) = delete;

    void handle(http::Request request, http::Responder responder);

    // Stops forwarding to the leader (requests waiting to be forwarded get 503). Call after the
    // HTTP server has stopped. Idempotent.
    void stop();

  private:
    enum class Access { Read, Write };

    // Checks credentials and ReadOnly; returns an error response when the request is refused.
    std::optional<http::Response> refuse(const http::Request& request, Access access) const;

    // A raft follower hands the request to the leader (leader_forwarding.hpp); true when it did.
    bool forward_to_leader(http::Request& request, const std::vector<std::string>& segments,
                           bool status_endpoint, http::Responder& responder);
    void execute(const http::Request& request, http::Responder responder);
    void query(const http::Request& request, http::Responder responder);
    http::Response health(bool status_endpoint);
    http::Response leader_check(const std::vector<std::string>& args);

    const backend::Config& config_;
    backend::Service& service_;
    metrics::NodeMetrics* metrics_;
    std::unique_ptr<LeaderForwarding> forwarding_;  // raft mode only
    std::string prefix_;                            // normalized URLPrefix + "/api"
    std::string status_path_;
};

// orchestrator's envelope: {"Code": "OK"|"ERROR", "Message": ..., "Details": ...}, 200 or 500.
http::Response envelope_ok(const std::string& message, const nlohmann::json& details = nullptr);
http::Response envelope_error(const std::string& message, const nlohmann::json& details = nullptr,
                              int status = 500);

}  // namespace orcraft::server::api
