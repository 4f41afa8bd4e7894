#include "client/api_url.hpp"

#include <cctype>
#include <charconv>

#include "server/http/message.hpp"

namespace orcraft::client {

namespace {

bool starts_with_ci(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
    }
    return true;
}

std::string decode_userinfo(std::string_view part, std::string_view url) {
    auto decoded = server::http::percent_decode(part, false);
    if (!decoded) throw UrlError("API URL '" + std::string(url) + "': bad %-escape in credentials");
    return *decoded;
}

}  // namespace

std::string ApiUrl::authority() const {
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return h + ":" + std::to_string(port);
}

std::string ApiUrl::target(std::string_view path) const {
    while (!path.empty() && path.front() == '/')
        path.remove_prefix(1);
    return prefix + "/api/" + std::string(path);
}

std::string ApiUrl::api_root() const {
    return "http://" + authority() + prefix + "/api";
}

ApiUrl parse_api_url(std::string_view text) {
    const std::string quoted = "API URL '" + std::string(text) + "'";
    std::string_view rest = text;
    if (starts_with_ci(rest, "https://")) {
        throw UrlError(quoted +
                       ": https is not supported; reach the node over plain http (for example "
                       "through a local TLS-terminating proxy)");
    }
    if (starts_with_ci(rest, "http://")) {
        rest.remove_prefix(7);
    } else if (rest.find("://") != std::string_view::npos) {
        throw UrlError(quoted + ": only http:// URLs are supported");
    }

    ApiUrl url;
    const auto path_start = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_start);
    std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start);
    if (path.find_first_of("?#") != std::string_view::npos) {
        throw UrlError(quoted + ": a base URL has no query string or fragment");
    }

    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority.remove_prefix(at + 1);
        const auto colon = userinfo.find(':');
        url.user = decode_userinfo(userinfo.substr(0, colon), text);
        url.password = colon == std::string_view::npos
                           ? ""
                           : decode_userinfo(userinfo.substr(colon + 1), text);
    }

    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) throw UrlError(quoted + ": unterminated '[' in host");
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') throw UrlError(quoted + ": unexpected text after ']'");
            port_text = after.substr(1);
            if (port_text.empty()) throw UrlError(quoted + ": empty port");
        }
    } else {
        const auto colon = authority.find(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) throw UrlError(quoted + ": empty port");
        }
    }
    if (url.host.empty()) throw UrlError(quoted + ": no host");
    if (!port_text.empty()) {
        unsigned value = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535) {
            throw UrlError(quoted + ": port must be a number from 1 to 65535");
        }
        url.port = static_cast<std::uint16_t>(value);
    }

    std::string prefix(path);
    while (!prefix.empty() && prefix.back() == '/')
        prefix.pop_back();
    if (prefix.size() >= 4 && prefix.compare(prefix.size() - 4, 4, "/api") == 0) {
        prefix.resize(prefix.size() - 4);
    }
    while (!prefix.empty() && prefix.back() == '/')
        prefix.pop_back();
    url.prefix = std::move(prefix);
    return url;
}

std::vector<ApiUrl> parse_api_list(std::string_view text) {
    std::vector<ApiUrl> urls;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto is_separator = [](char c) {
            return c == ',' || std::isspace(static_cast<unsigned char>(c));
        };
        while (i < text.size() && is_separator(text[i]))
            ++i;
        std::size_t j = i;
        while (j < text.size() && !is_separator(text[j]))
            ++j;
        if (j > i) urls.push_back(parse_api_url(text.substr(i, j - i)));
        i = j;
    }
    return urls;
}

}  // namespace orcraft::client
