#include "server/http/reverse_proxy.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "backend/address.hpp"
#include "server/http/body_stream.hpp"

namespace orcraft::server::http {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// The field names listed in every Connection header, lower case.
std::vector<std::string> connection_tokens(const Headers& headers) {
    std::vector<std::string> tokens;
    for (const auto& value : headers.get_all("Connection")) {
        std::string_view rest = value;
        while (!rest.empty()) {
            auto comma = rest.find(',');
            auto token = trim(rest.substr(0, comma));
            if (!token.empty()) tokens.push_back(lower(token));
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return tokens;
}

bool is_idempotent(const std::string& method) {
    return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

}  // namespace

bool is_hop_by_hop(std::string_view name, const std::vector<std::string>& tokens) {
    static const char* const fixed[] = {
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
        "te",         "trailer",    "trailers",         "transfer-encoding",  "upgrade"};
    for (const char* f : fixed)
        if (iequals(name, f)) return true;
    const auto l = lower(name);
    return std::find(tokens.begin(), tokens.end(), l) != tokens.end();
}

std::optional<Upstream> parse_upstream(const std::string& base_url, std::string& why) {
    std::string_view rest = base_url;
    constexpr std::string_view http = "http://";
    if (rest.size() >= 8 && iequals(rest.substr(0, 8), "https://")) {
        why = "the leader's URL " + base_url + " is https, and forwarding speaks plain HTTP only";
        return std::nullopt;
    }
    if (rest.size() < http.size() || !iequals(rest.substr(0, http.size()), http)) {
        why = "the leader's URL " + base_url + " is not an http:// URL";
        return std::nullopt;
    }
    rest.remove_prefix(http.size());
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    try {
        auto hp = backend::split_host_port(rest);
        if (hp.host.empty()) throw backend::AddressError("no host");
        Upstream u;
        u.host = hp.host;
        u.port = hp.port.value_or(80);
        u.label = backend::join_host_port(u.host, u.port);
        return u;
    } catch (const backend::AddressError& e) {
        why = "the leader's URL " + base_url + " cannot be used: " + e.what();
        return std::nullopt;
    }
}

const char* to_string(ProxyFailure failure) {
    switch (failure) {
        case ProxyFailure::Unreachable:
            return "unreachable";
        case ProxyFailure::Lost:
            return "lost";
        case ProxyFailure::Timeout:
            return "timeout";
        case ProxyFailure::Overloaded:
            return "overloaded";
    }
    return "?";
}

std::string proxied_request_text(const Request& request, const Upstream& upstream,
                                 const ProxyOptions& options) {
    const auto tokens = connection_tokens(request.headers);
    std::string out;
    out.reserve(512 + request.body.size());
    out.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
    out.append("Host: ").append(upstream.label).append("\r\n");
    std::string forwarded_for;
    for (const auto& [name, value] : request.headers) {
        if (is_hop_by_hop(name, tokens) || iequals(name, "Host") ||
            iequals(name, "Content-Length") || iequals(name, "Expect") ||
            iequals(name, options.marker_header)) {
            continue;
        }
        if (iequals(name, "X-Forwarded-For")) {
            if (!forwarded_for.empty()) forwarded_for += ", ";
            forwarded_for += value;
            continue;
        }
        out.append(name).append(": ").append(value).append("\r\n");
    }
    if (!request.remote_ip.empty()) {
        if (!forwarded_for.empty()) forwarded_for += ", ";
        forwarded_for += request.remote_ip;
    }
    if (!forwarded_for.empty())
        out.append("X-Forwarded-For: ").append(forwarded_for).append("\r\n");
    out.append(options.marker_header).append(": ").append(options.marker_value).append("\r\n");
    const auto& m = request.method;
    if (!request.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
        out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
    }
    out.append("\r\n").append(request.body);
    return out;
}

ReverseProxy::ReverseProxy(ProxyOptions options)
    : options_(std::move(options)), workers_(options_.threads, options_.max_queued) {}

ReverseProxy::~ReverseProxy() {
    stop();
}

void ReverseProxy::stop() {
    stopping_ = true;
    workers_.stop();
    std::lock_guard lock(idle_mutex_);
    idle_.clear();
}

std::uint64_t ReverseProxy::forwarded() const {
    return forwarded_.load();
}

std::uint64_t ReverseProxy::failed() const {
    return failed_.load();
}

void ReverseProxy::forward(Request request, Responder responder, Upstream upstream,
                           FailureResponder on_failure) {
    auto shared = std::make_shared<Request>(std::move(request));
    auto task = [this, shared, responder, upstream, on_failure] {
        if (stopping_) {
            fail(responder, on_failure, ProxyFailure::Overloaded, upstream,
                 "this node is stopping");
            return;
        }
        exchange(*shared, responder, upstream, on_failure);
    };
    if (!workers_.post(task)) {
        fail(responder, on_failure, ProxyFailure::Overloaded, upstream,
             stopping_ ? "this node is stopping" : "too many requests waiting to be forwarded");
    }
}

void ReverseProxy::fail(const Responder& responder, const FailureResponder& on_failure,
                        ProxyFailure failure, const Upstream& upstream, const std::string& detail) {
    ++failed_;
    spdlog::warn("proxy: forwarding to {} failed ({}): {}", upstream.label, to_string(failure),
                 detail);
    responder.respond(on_failure(failure, upstream, detail));
}

TcpStream ReverseProxy::take_idle(const Upstream& upstream) {
    std::lock_guard lock(idle_mutex_);
    const auto now = Clock::now();
    // Newest first: the most recently used connection is the least likely to be closed.
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
        if (it->label != upstream.label) continue;
        TcpStream s = std::move(it->stream);
        const bool fresh = now - it->since < options_.max_idle_reuse;
        idle_.erase(std::next(it).base());
        if (fresh && !s.stale()) return s;
        return TcpStream{};  // older ones are older still: connect anew
    }
    return TcpStream{};
}

void ReverseProxy::keep_idle(const Upstream& upstream, TcpStream stream) {
    if (stopping_) return;
    std::lock_guard lock(idle_mutex_);
    const auto now = Clock::now();
    idle_.erase(
        std::remove_if(idle_.begin(), idle_.end(),
                       [&](const Idle& i) { return now - i.since >= options_.max_idle_reuse; }),
        idle_.end());
    if (idle_.size() >= options_.max_idle_connections) idle_.erase(idle_.begin());
    idle_.push_back(Idle{upstream.label, std::move(stream), now});
}

void ReverseProxy::exchange(const Request& request, const Responder& responder,
                            const Upstream& upstream, const FailureResponder& on_failure) {
    ++forwarded_;
    const std::string text = proxied_request_text(request, upstream, options_);
    const bool head_request = request.method == "HEAD";

    for (int attempt = 0;; ++attempt) {
        TcpStream stream = take_idle(upstream);
        const bool reused = stream.is_open();
        if (!reused) {
            try {
                stream = TcpStream::connect(upstream.host, upstream.port, options_.connect_timeout);
            } catch (const ClientError& e) {
                fail(responder, on_failure, ProxyFailure::Unreachable, upstream, e.what());
                return;
            }
        }
        try {
            stream.send_all(text, options_.response_timeout);
        } catch (const ClientError& e) {
            // The whole request never left this host, so it cannot have run upstream. Only an
            // idempotent request is sent again, on a fresh connection, and only once.
            if (reused && attempt == 0 && is_idempotent(request.method)) continue;
            fail(responder, on_failure, ProxyFailure::Unreachable, upstream, e.what());
            return;
        }

        ResponseHead head;
        bool got_head = false;
        std::string buffered;
        std::shared_ptr<BodyStream> body;
        auto relay_head = [&](std::shared_ptr<BodyStream> stream_body) {
            Response r;
            r.status = head.status;
            const auto tokens = connection_tokens(head.headers);
            for (const auto& [name, value] : head.headers) {
                if (is_hop_by_hop(name, tokens) || iequals(name, "Content-Length")) continue;
                r.headers.add(name, value);
            }
            if (stream_body) {
                r.stream = std::move(stream_body);
            } else {
                r.body = std::move(buffered);
            }
            responder.respond(std::move(r));
        };
        std::optional<bool> keep_alive;
        try {
            keep_alive = read_response_streaming(
                stream, options_.response_timeout, head_request,
                [&](const ResponseHead& h) {
                    head = h;
                    got_head = true;
                    return true;
                },
                [&](std::string_view piece) {
                    if (body) return body->write(piece);
                    buffered.append(piece);
                    if (buffered.size() <= options_.buffer_limit) return true;
                    // Too long to hold: stream the rest as it comes.
                    body = std::make_shared<BodyStream>();
                    std::string first = std::move(buffered);
                    buffered.clear();
                    relay_head(body);
                    return body->write(first);
                });
        } catch (const ClientError& e) {
            if (body) {
                spdlog::warn("proxy: the answer from {} broke off: {}", upstream.label, e.what());
                body->abort();
                ++failed_;
                return;
            }
            if (!got_head && reused && attempt == 0 && is_idempotent(request.method) &&
                e.kind() == ClientError::Kind::Closed) {
                continue;  // a kept connection closed under us; safe to ask again
            }
            fail(
                responder, on_failure,
                e.kind() == ClientError::Kind::Timeout ? ProxyFailure::Timeout : ProxyFailure::Lost,
                upstream, e.what());
            return;
        }
        if (!keep_alive.has_value()) {
            // The client went away while the answer was streamed.
            if (body) body->abort();
            return;
        }
        if (body) {
            body->finish();
        } else {
            relay_head(nullptr);
        }
        if (*keep_alive) keep_idle(upstream, std::move(stream));
        return;
    }
}

}  // namespace orcraft::server::http
