#pragma once
// Network addresses as orchestrator's configuration writes them: raft members, the HTTP listen
// address and the leader's HTTP URL.
//
// Raft addresses are written "host", "host:port" or "[v6]:port", where host is an IP or a
// hostname. A node's identity in the cluster (what raft-leader and raft-peers show, and what
// decides which RaftNodes entry is "me") is the normalized form "ip:port": the port defaults to
// DefaultRaftPort, and a hostname is resolved to its first IP once, at start. A name that does
// not resolve keeps its raw form and produces a warning, so a node whose DNS is not ready yet
// still starts; the configured name is kept next to the identity so that a transport can
// resolve it again on every reconnect.
//
// Nothing here touches global state: name resolution goes through an injected Resolver.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace orcraft::backend {

// An address that cannot be parsed. what() says why, without naming the configuration key: the
// caller adds that.
class AddressError : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

// A host and an optional port. The host never carries IPv6 brackets; it may be empty (":3000"
// means every interface).
struct HostPort {
    std::string host;
    std::optional<std::uint16_t> port;
    bool operator==(const HostPort&) const = default;
};

// Splits "host", "host:port", ":port", "[v6]" or "[v6]:port". A bare IPv6 literal without
// brackets ("::1") is accepted as a host without port, since its colons cannot be a port
// separator. Ports are decimal 0..65535. Throws AddressError on anything else (empty port,
// non-digits, unbalanced brackets, whitespace).
HostPort split_host_port(std::string_view text);

// The inverse of split_host_port: brackets an IPv6 host, and omits ":port" when there is none.
std::string join_host_port(std::string_view host, std::optional<std::uint16_t> port);

// True when host is a literal IPv4 or IPv6 address.
bool is_ip_literal(std::string_view host);

// True for 0.0.0.0 and :: (addresses that mean "every interface" and cannot be dialled).
bool is_unspecified_ip(std::string_view host);

// The outcome of resolving a hostname: its IPs in the resolver's order, or an error text.
struct Resolution {
    std::vector<std::string> ips;
    std::string error;  // empty on success
};

// Resolves a hostname (never called with an IP literal or an empty host).
using Resolver = std::function<Resolution(const std::string& host)>;

// The system resolver (getaddrinfo, TCP, IPv4 and IPv6), addresses in the order the system
// returns them (see gai.conf).
Resolver system_resolver();

// One raft address as configured and as normalized.
struct RaftAddress {
    std::string configured;  // as written in the configuration
    HostPort address;        // configured host, port defaulted to DefaultRaftPort
    std::string id;          // "ip:port" identity ("[v6]:port" for IPv6); raw name if unresolved
    bool resolved = true;    // false when the host is a name that did not resolve at start
    bool operator==(const RaftAddress&) const = default;
};

// Normalizes one raft address: split, add default_port when there is no port (0 adds none),
// resolve a hostname to its first IP. A resolution failure keeps the raw name in `id` and appends
// a warning; a name that resolves to no IP at all is an error, as in orchestrator. Throws
// AddressError when the text cannot be parsed or the port is 0.
RaftAddress normalize_raft_address(std::string_view configured, int default_port,
                                   const Resolver& resolver, std::vector<std::string>& warnings);

// The HTTP listen address. ":3000" listens on every interface, "127.0.0.1:3000" and
// "[::1]:3000" on one. Port 0 asks the system for a free port. Throws AddressError when there is
// no port.
HostPort parse_listen_address(std::string_view text);

// Checks an HTTPAdvertise value ("scheme://host:port", no path) and throws AddressError with
// orchestrator's message when it is not one. Accepted schemes: http and https.
void check_http_advertise(std::string_view url);

// The URL at which this node's HTTP API is reached when it is leader: http_advertise when set;
// otherwise "http://" ("https://" with use_ssl) + the host part of the raw RaftAdvertise + ":" +
// the port of ListenAddress. No URL prefix is included. Throws AddressError when ListenAddress or
// the raw RaftAdvertise cannot be parsed.
std::string leader_http_url(std::string_view http_advertise, bool use_ssl,
                            std::string_view raw_raft_advertise, std::string_view listen_address);

}  // namespace orcraft::backend
