#include "raft/transport/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <uv.h>

#include <charconv>
#include <cstring>

namespace orcraft::raft::transport_detail {

namespace {

std::string strip_brackets(const std::string& host) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        return host.substr(1, host.size() - 2);
    }
    return host;
}

// The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), if it is one.
bool mapped_v4(const sockaddr_in6& a, in_addr& out) {
    if (!IN6_IS_ADDR_V4MAPPED(&a.sin6_addr)) return false;
    std::memcpy(&out, a.sin6_addr.s6_addr + 12, sizeof(out));
    return true;
}

}  // namespace

std::optional<sockaddr_storage> parse_ip(const std::string& host, std::uint16_t port) {
    sockaddr_storage ss{};
    const std::string bare = strip_brackets(host);
    if (uv_ip4_addr(bare.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) == 0) return ss;
    if (uv_ip6_addr(bare.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) == 0) return ss;
    return std::nullopt;
}

std::string ip_text(const sockaddr* addr) {
    char text[INET6_ADDRSTRLEN] = {};
    if (addr->sa_family == AF_INET) {
        uv_ip4_name(reinterpret_cast<const sockaddr_in*>(addr), text, sizeof(text));
    } else if (addr->sa_family == AF_INET6) {
        const auto* a6 = reinterpret_cast<const sockaddr_in6*>(addr);
        in_addr v4{};
        if (mapped_v4(*a6, v4)) {
            inet_ntop(AF_INET, &v4, text, sizeof(text));
        } else {
            uv_ip6_name(a6, text, sizeof(text));
        }
    } else {
        return "?";
    }
    return text;
}

bool split_host_port(const std::string& hostport, std::string& host, std::uint16_t& port) {
    const auto colon = hostport.rfind(':');
    if (colon == std::string::npos || colon + 1 >= hostport.size()) return false;
    host = hostport.substr(0, colon);
    if (host.empty()) return false;
    const char* first = hostport.data() + colon + 1;
    const char* last = hostport.data() + hostport.size();
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last || value == 0 || value > 65535) return false;
    port = static_cast<std::uint16_t>(value);
    host = strip_brackets(host);
    return true;
}

}  // namespace orcraft::raft::transport_detail
