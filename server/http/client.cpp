#include "server/http/client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace orcraft::server::http {

namespace {

using Clock = std::chrono::steady_clock;

std::string peer_label(const std::string& host, std::uint16_t port) {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        pollfd p{fd, events, 0};
        int rc = ::poll(&p, 1, remaining_ms(deadline));
        if (rc > 0) return true;
        if (rc == 0) return false;
        if (errno != EINTR) return false;
    }
}

}  // namespace

// ---- TcpStream ------------------------------------------------------------------------------

TcpStream TcpStream::connect(const std::string& host, std::uint16_t port,
                             std::chrono::milliseconds timeout) {
    const std::string label = peer_label(host, port);
    const auto deadline = Clock::now() + timeout;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
        throw ClientError(ClientError::Kind::Other, "connect " + label + ": " + gai_strerror(rc));
    }
    std::string error = "no address";
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          ai->ai_protocol);
        if (fd < 0) {
            error = std::strerror(errno);
            continue;
        }
        int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            if (!wait_for(fd, POLLOUT, deadline)) {
                error = "timed out after " + std::to_string(timeout.count()) + " ms";
                ::close(fd);
                continue;
            }
            int so_error = 0;
            socklen_t len = sizeof so_error;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
            rc = so_error == 0 ? 0 : -1;
            errno = so_error;
        }
        if (rc != 0) {
            error = std::strerror(errno);
            ::close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        freeaddrinfo(res);
        TcpStream s;
        s.fd_ = fd;
        s.peer_ = label;
        return s;
    }
    freeaddrinfo(res);
    throw ClientError(ClientError::Kind::Other, "connect " + label + ": " + error);
}

TcpStream::~TcpStream() {
    close();
}

TcpStream::TcpStream(TcpStream&& other) noexcept
    : fd_(other.fd_), peer_(std::move(other.peer_)), pending_(std::move(other.pending_)) {
    other.fd_ = -1;
}

TcpStream& TcpStream::operator=(TcpStream&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = other.fd_;
        peer_ = std::move(other.peer_);
        pending_ = std::move(other.pending_);
        other.fd_ = -1;
    }
    return *this;
}

std::uint16_t TcpStream::local_port() const {
    if (fd_ < 0) return 0;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

void TcpStream::send_all(std::string_view data, std::chrono::milliseconds timeout) {
    if (fd_ < 0)
        throw ClientError(ClientError::Kind::Closed, peer_ + ": send on a closed connection");
    const auto deadline = Clock::now() + timeout;
    while (!data.empty()) {
        ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_for(fd_, POLLOUT, deadline)) {
                throw ClientError(
                    ClientError::Kind::Timeout,
                    peer_ + ": send timed out after " + std::to_string(timeout.count()) + " ms");
            }
            continue;
        }
        throw ClientError(ClientError::Kind::Closed, peer_ + ": send: " + std::strerror(errno));
    }
}

std::size_t TcpStream::read_some(char* out, std::size_t size, std::chrono::milliseconds timeout) {
    if (!pending_.empty()) {
        std::size_t n = std::min(size, pending_.size());
        std::memcpy(out, pending_.data(), n);
        pending_.erase(0, n);
        return n;
    }
    if (fd_ < 0)
        throw ClientError(ClientError::Kind::Closed, peer_ + ": read on a closed connection");
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        ssize_t n = ::recv(fd_, out, size, 0);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (!wait_for(fd_, POLLIN, deadline)) {
                throw ClientError(
                    ClientError::Kind::Timeout,
                    peer_ + ": no response within " + std::to_string(timeout.count()) + " ms");
            }
            continue;
        }
        throw ClientError(ClientError::Kind::Closed, peer_ + ": read: " + std::strerror(errno));
    }
}

std::string TcpStream::read_to_end(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    std::string all;
    char buf[16384];
    for (;;) {
        std::size_t n =
            read_some(buf, sizeof buf, std::chrono::milliseconds(remaining_ms(deadline)));
        if (n == 0) return all;
        all.append(buf, n);
    }
}

bool TcpStream::stale() {
    if (fd_ < 0) return true;
    if (!pending_.empty()) return true;
    char c;
    ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return true;
    if (n > 0) return true;
    return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
}

void TcpStream::shutdown_write() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void TcpStream::reset() {
    if (fd_ >= 0) {
        linger l{1, 0};
        setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close();
}

void TcpStream::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    pending_.clear();
}

// ---- read_response --------------------------------------------------------------------------

namespace {

struct ParseState {
    ClientResponse response;
    std::string field;
    std::string value;
    bool in_value = false;
    bool head = false;
    bool complete = false;

    void commit() {
        if (!in_value && field.empty()) return;
        response.headers.add(std::move(field), std::move(value));
        field.clear();
        value.clear();
        in_value = false;
    }
};

ParseState& state(http_parser* p) {
    return *static_cast<ParseState*>(p->data);
}

const http_parser_settings kResponseSettings = [] {
    http_parser_settings s{};
    s.on_header_field = [](http_parser* p, const char* at, std::size_t len) {
        auto& st = state(p);
        if (st.in_value) st.commit();
        st.field.append(at, len);
        return 0;
    };
    s.on_header_value = [](http_parser* p, const char* at, std::size_t len) {
        auto& st = state(p);
        st.in_value = true;
        st.value.append(at, len);
        return 0;
    };
    s.on_headers_complete = [](http_parser* p) {
        auto& st = state(p);
        st.commit();
        st.response.status = static_cast<int>(p->status_code);
        st.response.version_minor = p->http_minor;
        // 1 tells http-parser that this response has no body.
        return st.head ? 1 : 0;
    };
    s.on_body = [](http_parser* p, const char* at, std::size_t len) {
        state(p).response.body.append(at, len);
        return 0;
    };
    s.on_message_complete = [](http_parser* p) {
        auto& st = state(p);
        st.complete = true;
        st.response.keep_alive = http_should_keep_alive(p) != 0;
        // Stop right after this message so the bytes that follow stay in the stream.
        http_parser_pause(p, 1);
        return 0;
    };
    return s;
}();

}  // namespace

ClientResponse read_response(TcpStream& stream, std::chrono::milliseconds timeout,
                             bool head_request) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        ParseState st;
        st.head = head_request;
        http_parser parser;
        http_parser_init(&parser, HTTP_RESPONSE);
        parser.data = &st;
        char buf[16384];
        while (!st.complete) {
            std::size_t n = stream.read_some(buf, sizeof buf,
                                             std::chrono::milliseconds(remaining_ms(deadline)));
            if (n == 0) {
                http_parser_execute(&parser, &kResponseSettings, nullptr, 0);
                if (st.complete) break;
                throw ClientError(ClientError::Kind::Closed,
                                  stream.peer() + ": connection closed before a complete response");
            }
            std::size_t used = http_parser_execute(&parser, &kResponseSettings, buf, n);
            if (st.complete) {
                if (used < n) stream.unread(std::string_view(buf + used, n - used));
                break;
            }
            if (HTTP_PARSER_ERRNO(&parser) != HPE_OK) {
                throw ClientError(ClientError::Kind::Other,
                                  stream.peer() + ": malformed response: " +
                                      http_errno_description(HTTP_PARSER_ERRNO(&parser)));
            }
        }
        // Interim answers ("100 Continue") precede the real one.
        if (st.response.status >= 100 && st.response.status < 200) continue;
        return std::move(st.response);
    }
}

// ---- read_response_streaming ----------------------------------------------------------------

namespace {

struct StreamState {
    const std::function<bool(const ResponseHead&)>* on_head = nullptr;
    const std::function<bool(std::string_view)>* on_body = nullptr;
    ResponseHead head;
    std::string field;
    std::string value;
    bool in_value = false;
    bool head_request = false;
    bool interim = false;    // the head being read is a 1xx answer
    bool abandoned = false;  // a callback said stop
    bool complete = false;
    bool keep_alive = false;

    void commit() {
        if (!in_value && field.empty()) return;
        head.headers.add(std::move(field), std::move(value));
        field.clear();
        value.clear();
        in_value = false;
    }
};

StreamState& stream_state(http_parser* p) {
    return *static_cast<StreamState*>(p->data);
}

const http_parser_settings kStreamSettings = [] {
    http_parser_settings s{};
    s.on_header_field = [](http_parser* p, const char* at, std::size_t len) {
        auto& st = stream_state(p);
        if (st.in_value) st.commit();
        st.field.append(at, len);
        return 0;
    };
    s.on_header_value = [](http_parser* p, const char* at, std::size_t len) {
        auto& st = stream_state(p);
        st.in_value = true;
        st.value.append(at, len);
        return 0;
    };
    s.on_headers_complete = [](http_parser* p) {
        auto& st = stream_state(p);
        st.commit();
        st.head.status = static_cast<int>(p->status_code);
        st.head.version_minor = p->http_minor;
        st.interim = st.head.status >= 100 && st.head.status < 200;
        if (!st.interim && !(*st.on_head)(st.head)) {
            st.abandoned = true;
            return -1;
        }
        // 1 tells http-parser that this response has no body.
        return st.head_request && !st.interim ? 1 : 0;
    };
    s.on_body = [](http_parser* p, const char* at, std::size_t len) {
        auto& st = stream_state(p);
        if (!(*st.on_body)(std::string_view(at, len))) {
            st.abandoned = true;
            return -1;
        }
        return 0;
    };
    s.on_message_complete = [](http_parser* p) {
        auto& st = stream_state(p);
        st.complete = true;
        st.keep_alive = http_should_keep_alive(p) != 0;
        http_parser_pause(p, 1);
        return 0;
    };
    return s;
}();

}  // namespace

std::optional<bool> read_response_streaming(TcpStream& stream, std::chrono::milliseconds timeout,
                                            bool head_request,
                                            const std::function<bool(const ResponseHead&)>& on_head,
                                            const std::function<bool(std::string_view)>& on_body) {
    for (;;) {
        StreamState st;
        st.on_head = &on_head;
        st.on_body = &on_body;
        st.head_request = head_request;
        http_parser parser;
        http_parser_init(&parser, HTTP_RESPONSE);
        parser.data = &st;
        char buf[16384];
        while (!st.complete) {
            std::size_t n = stream.read_some(buf, sizeof buf, timeout);
            if (n == 0) {
                http_parser_execute(&parser, &kStreamSettings, nullptr, 0);
                if (st.abandoned) return std::nullopt;
                if (st.complete) break;
                throw ClientError(ClientError::Kind::Closed,
                                  stream.peer() + ": connection closed before a complete response");
            }
            std::size_t used = http_parser_execute(&parser, &kStreamSettings, buf, n);
            if (st.abandoned) return std::nullopt;
            if (st.complete) {
                if (used < n) stream.unread(std::string_view(buf + used, n - used));
                break;
            }
            if (HTTP_PARSER_ERRNO(&parser) != HPE_OK) {
                throw ClientError(ClientError::Kind::Other,
                                  stream.peer() + ": malformed response: " +
                                      http_errno_description(HTTP_PARSER_ERRNO(&parser)));
            }
        }
        if (st.interim) continue;
        return st.keep_alive;
    }
}

// ---- HttpClient -----------------------------------------------------------------------------

HttpClient::HttpClient(std::string host, std::uint16_t port, ClientOptions options)
    : host_(std::move(host)), port_(port), options_(options) {}

ClientResponse HttpClient::post(std::string_view target, std::string_view body,
                                std::string_view content_type) {
    Headers h;
    h.add("Content-Type", std::string(content_type));
    return request("POST", target, h, body);
}

ClientResponse HttpClient::request(std::string_view method, std::string_view target,
                                   const Headers& headers, std::string_view body) {
    std::string out;
    out.reserve(256 + body.size());
    out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
    if (!headers.contains("Host"))
        out.append("Host: ").append(peer_label(host_, port_)).append("\r\n");
    for (const auto& [k, v] : headers)
        out.append(k).append(": ").append(v).append("\r\n");
    const bool needs_length =
        !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
    if (needs_length && !headers.contains("Content-Length") &&
        !headers.contains("Transfer-Encoding")) {
        out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    }
    out.append("\r\n").append(body);
    const bool head = method == "HEAD";
    const bool idempotent = head || method == "GET" || method == "OPTIONS";

    for (int attempt = 0;; ++attempt) {
        if (stream_.is_open() && stream_.stale()) stream_.close();
        const bool reused = stream_.is_open();
        if (!reused) stream_ = TcpStream::connect(host_, port_, options_.connect_timeout);
        try {
            stream_.send_all(out, options_.response_timeout);
            ClientResponse r = read_response(stream_, options_.response_timeout, head);
            if (!r.keep_alive) stream_.close();
            return r;
        } catch (const ClientError& e) {
            stream_.close();
            // A kept connection the server closed just as we sent fails without any answer:
            // an idempotent request is retried once on a fresh one. Nothing else is retried, and
            // timeouts never are: the server may have run the request.
            if (!idempotent || !reused || attempt > 0 || e.kind() != ClientError::Kind::Closed)
                throw;
        }
    }
}

}  // namespace orcraft::server::http
