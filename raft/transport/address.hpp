// Socket address helpers for the transport: IP literals, the text of a peer's IP, and the
// "host:port" identities that handshakes carry.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

namespace orcraft::raft::transport_detail {

// `host` parsed as an IPv4 or IPv6 literal (brackets around IPv6 allowed) with `port`, or
// nothing when it is a name.
std::optional<sockaddr_storage> parse_ip(const std::string& host, std::uint16_t port);

// The IP of `addr` as text ("10.0.0.1", "::1"); IPv4-mapped IPv6 addresses read as IPv4.
std::string ip_text(const sockaddr* addr);

// Splits "host:port" or "[v6]:port". False when there is no valid port.
bool split_host_port(const std::string& hostport, std::string& host, std::uint16_t& port);

}  // namespace orcraft::raft::transport_detail
