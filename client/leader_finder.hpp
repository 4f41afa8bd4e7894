#pragma once
// Finding the node to talk to among several API base URLs, the way orchestrator-client does.
//
// First pass: GET <base>/api/leader-check on each URL in the order given; the first one that
// answers HTTP 200 is the leader and is chosen. Second pass, when no URL did: GET
// <base>/api/routed-leader-check on each URL that answered anything in the first pass (a node
// that answers 200 there forwards requests to a leader); the first 200 is chosen. Otherwise the
// search fails, and the result lists every URL with what happened to it, so the user can tell a
// dead node (connection refused), a hung or unreachable one (timeout) and a live node that is not
// the leader (HTTP 404) apart. URLs that could not be reached in the first pass are not tried
// again in the second, which keeps a search over dead nodes to one timeout per node.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/api_url.hpp"
#include "client/http_call.hpp"

namespace orcraft::client {

// The HTTP exchange, injected so that the search can be tested without sockets.
using Caller =
    std::function<CallResult(const ApiUrl& url, std::string_view method, std::string_view path,
                             std::string_view body, const CallOptions& options)>;

struct ProbeAttempt {
    std::size_t url_index = 0;
    std::string check;    // "leader-check" or "routed-leader-check"
    std::string outcome;  // "HTTP 404", "connection refused", "no answer within 1000 ms"
};

struct LeaderSearch {
    std::optional<std::size_t> chosen;  // index into the URL list
    std::string chosen_by;              // the check that chose it
    std::vector<ProbeAttempt> attempts;

    // Several lines: "no leader found among N API URLs:" then one line per URL with every
    // outcome it had ("  http://a:3000/api: leader-check: connection refused").
    std::string failure_report(const std::vector<ApiUrl>& urls) const;
};

// `probe` holds the per-probe timeouts and credentials.
LeaderSearch find_leader(const std::vector<ApiUrl>& urls, const Caller& caller,
                         const CallOptions& probe);

}  // namespace orcraft::client
