#pragma once
// The API base URLs orcraft-client talks to.
//
// A base URL names one node's HTTP API: `http://host:port`, optionally followed by the node's
// URLPrefix (`http://10.0.0.2:3000/orc`). orchestrator-client's form, which ends in `/api`
// (`http://host:3000/api`, `http://host:3000/orc/api`), means the same node: a trailing `/api` is
// dropped, as is a trailing `/`. The scheme may be left out (`127.0.0.1:3000` is
// `http://127.0.0.1:3000`); the port defaults to 80. Credentials written in the URL
// (`http://user:secret@host:3000`) are used for basic authentication with that node. Only plain
// HTTP is spoken: an `https://` URL is refused with a message saying so.
//
// A list of base URLs (ORCRAFT_API, ORCHESTRATOR_API, or a --api value) is separated by commas
// and/or whitespace; empty items are skipped.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace orcraft::client {

// A URL that cannot be used; the message quotes it and says why.
class UrlError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ApiUrl {
    std::string host;  // a name or an IP literal, without brackets
    std::uint16_t port = 80;
    std::string prefix;  // the URLPrefix: empty, or starting with '/' and not ending with '/'
    std::optional<std::string> user;      // from user:password@ in the URL
    std::optional<std::string> password;  // only with `user`

    // "host:port" ("[::1]:3000" for IPv6), for messages and the Host header.
    std::string authority() const;
    // The request target of an API path: target("leader-check") is "<prefix>/api/leader-check".
    // `path` may start with '/' and may carry a query string.
    std::string target(std::string_view path) const;
    // The base URL with /api, as orchestrator-client prints it: "http://host:3000/orc/api".
    // Credentials are never printed.
    std::string api_root() const;
};

ApiUrl parse_api_url(std::string_view text);

// Parses a comma- and/or whitespace-separated list. Throws UrlError for a bad item; returns an
// empty list when `text` holds no item.
std::vector<ApiUrl> parse_api_list(std::string_view text);

}  // namespace orcraft::client
