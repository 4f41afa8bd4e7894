#include "backend/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace orcraft::backend {

namespace {

bool has_space(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](unsigned char c) { return std::isspace(c) != 0 || c < 0x20; });
}

std::uint16_t parse_port(std::string_view digits, std::string_view whole) {
    if (digits.empty())
        throw AddressError("missing port after ':' in \"" + std::string(whole) + "\"");
    if (digits.size() > 5 || !std::all_of(digits.begin(), digits.end(),
                                          [](unsigned char c) { return std::isdigit(c) != 0; })) {
        throw AddressError("invalid port \"" + std::string(digits) + "\" in \"" +
                           std::string(whole) + "\"");
    }
    unsigned long value = std::stoul(std::string(digits));
    if (value > 65535) {
        throw AddressError("port " + std::string(digits) + " is out of range 0..65535 in \"" +
                           std::string(whole) + "\"");
    }
    return static_cast<std::uint16_t>(value);
}

bool is_ipv6_literal(std::string_view host) {
    in6_addr addr{};
    return inet_pton(AF_INET6, std::string(host).c_str(), &addr) == 1;
}

bool is_ipv4_literal(std::string_view host) {
    in_addr addr{};
    return inet_pton(AF_INET, std::string(host).c_str(), &addr) == 1;
}

}  // namespace

HostPort split_host_port(std::string_view text) {
    const std::string whole(text);
    if (text.empty()) throw AddressError("empty address");
    if (has_space(text)) throw AddressError("address \"" + whole + "\" contains whitespace");

    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            throw AddressError("missing ']' in address \"" + whole + "\"");
        }
        HostPort out;
        out.host = std::string(text.substr(1, close - 1));
        if (!is_ipv6_literal(out.host)) {
            throw AddressError("\"" + out.host + "\" between brackets is not an IPv6 address");
        }
        const auto rest = text.substr(close + 1);
        if (rest.empty()) return out;
        if (rest.front() != ':') {
            throw AddressError("unexpected text after ']' in address \"" + whole + "\"");
        }
        out.port = parse_port(rest.substr(1), text);
        return out;
    }
    if (text.find(']') != std::string_view::npos) {
        throw AddressError("unexpected ']' in address \"" + whole + "\"");
    }

    const auto colons = std::count(text.begin(), text.end(), ':');
    if (colons > 1) {
        // Several colons without brackets: only a bare IPv6 literal makes sense.
        if (is_ipv6_literal(text)) return HostPort{whole, std::nullopt};
        throw AddressError("address \"" + whole +
                           "\" has several ':'; write an IPv6 address with a port as [v6]:port");
    }
    if (colons == 0) return HostPort{whole, std::nullopt};
    const auto colon = text.find(':');
    return HostPort{std::string(text.substr(0, colon)), parse_port(text.substr(colon + 1), text)};
}

std::string join_host_port(std::string_view host, std::optional<std::uint16_t> port) {
    std::string out;
    if (host.find(':') != std::string_view::npos) {
        out = "[" + std::string(host) + "]";
    } else {
        out = std::string(host);
    }
    if (port) out += ":" + std::to_string(*port);
    return out;
}

bool is_ip_literal(std::string_view host) {
    return !host.empty() && (is_ipv4_literal(host) || is_ipv6_literal(host));
}

bool is_unspecified_ip(std::string_view host) {
    if (is_ipv4_literal(host)) {
        in_addr addr{};
        inet_pton(AF_INET, std::string(host).c_str(), &addr);
        return addr.s_addr == 0;
    }
    if (is_ipv6_literal(host)) {
        in6_addr addr{};
        inet_pton(AF_INET6, std::string(host).c_str(), &addr);
        return IN6_IS_ADDR_UNSPECIFIED(&addr);
    }
    return false;
}

Resolver system_resolver() {
    return [](const std::string& host) {
        Resolution out;
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* list = nullptr;
        const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
        if (rc != 0) {
            out.error = gai_strerror(rc);
            return out;
        }
        std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(list, &freeaddrinfo);
        for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
            char text[INET6_ADDRSTRLEN] = {};
            const void* src = nullptr;
            if (ai->ai_family == AF_INET) {
                src = &reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr;
            } else if (ai->ai_family == AF_INET6) {
                src = &reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr;
            } else {
                continue;
            }
            if (inet_ntop(ai->ai_family, src, text, sizeof text) == nullptr) continue;
            std::string ip(text);
            if (std::find(out.ips.begin(), out.ips.end(), ip) == out.ips.end()) {
                out.ips.push_back(std::move(ip));
            }
        }
        return out;
    };
}

RaftAddress normalize_raft_address(std::string_view configured, int default_port,
                                   const Resolver& resolver, std::vector<std::string>& warnings) {
    RaftAddress out;
    out.configured = std::string(configured);
    out.address = split_host_port(configured);
    if (out.address.port && *out.address.port == 0) {
        throw AddressError("port 0 in \"" + out.configured + "\" cannot be a raft port");
    }
    if (!out.address.port && default_port > 0 && default_port <= 65535) {
        out.address.port = static_cast<std::uint16_t>(default_port);
    }

    std::string ip = out.address.host;
    if (!ip.empty() && !is_ip_literal(ip)) {
        const Resolution r = resolver(ip);
        if (!r.error.empty()) {
            // Kept as written: the transport resolves the name again when it connects.
            out.resolved = false;
            warnings.push_back("Cannot resolve raft address " + out.configured + ": " + r.error +
                               "; using the name as given");
        } else if (r.ips.empty()) {
            throw AddressError(ip + " resolved but no IP found");
        } else {
            ip = r.ips.front();
        }
    }
    out.id = join_host_port(ip, out.address.port);
    return out;
}

HostPort parse_listen_address(std::string_view text) {
    HostPort out = split_host_port(text);
    if (!out.port) {
        throw AddressError("no port in \"" + std::string(text) +
                           "\"; expected host:port, :port or [v6]:port");
    }
    return out;
}

void check_http_advertise(std::string_view url) {
    const std::string whole(url);
    const auto sep = url.find("://");
    if (sep == std::string_view::npos || sep == 0) {
        throw AddressError("If specified, HTTPAdvertise must include scheme (http:// or https://)");
    }
    const auto scheme = url.substr(0, sep);
    if (scheme != "http" && scheme != "https") {
        throw AddressError("If specified, HTTPAdvertise must include scheme (http:// or https://)");
    }
    auto rest = url.substr(sep + 3);
    const auto path_start = rest.find_first_of("/?#");
    const auto authority = rest.substr(0, path_start);
    if (authority.find('@') != std::string_view::npos) {
        throw AddressError("Failed parsing HTTPAdvertise " + whole +
                           ": user information is not supported");
    }
    if (authority.empty() || authority.front() == ':') {
        throw AddressError("If specified, HTTPAdvertise must include host name");
    }
    HostPort hp;
    try {
        hp = split_host_port(authority);
    } catch (const AddressError& e) {
        throw AddressError("Failed parsing HTTPAdvertise " + whole + ": " + e.what());
    }
    if (hp.host.empty()) throw AddressError("If specified, HTTPAdvertise must include host name");
    if (!hp.port) throw AddressError("If specified, HTTPAdvertise must include port number");
    if (path_start != std::string_view::npos) {
        throw AddressError("If specified, HTTPAdvertise must not specify a path");
    }
}

std::string leader_http_url(std::string_view http_advertise, bool use_ssl,
                            std::string_view raw_raft_advertise, std::string_view listen_address) {
    if (!http_advertise.empty()) return std::string(http_advertise);
    const HostPort listen = parse_listen_address(listen_address);
    const HostPort advertise =
        raw_raft_advertise.empty() ? HostPort{} : split_host_port(raw_raft_advertise);
    return std::string(use_ssl ? "https://" : "http://") +
           join_host_port(advertise.host, listen.port);
}

}  // namespace orcraft::backend
