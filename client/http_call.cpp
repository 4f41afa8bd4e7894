#include "client/http_call.hpp"

#include <cctype>

#include "server/api/sql_json.hpp"
#include "server/http/client.hpp"

namespace orcraft::client {

namespace {

using server::http::ClientError;

// "connect 127.0.0.1:3000: Connection refused" -> "connection refused".
std::string connect_failure(const std::string& message, const std::string& label) {
    std::string reason = message;
    const std::string lead = "connect " + label + ": ";
    if (reason.compare(0, lead.size(), lead) == 0) reason.erase(0, lead.size());
    if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
    return reason;
}

std::string build_request(const ApiUrl& url, std::string_view method, std::string_view path,
                          std::string_view body, const CallOptions& options) {
    std::string request;
    request.reserve(256 + body.size());
    request.append(method).append(" ").append(url.target(path)).append(" HTTP/1.1\r\n");
    request.append("Host: ").append(url.authority()).append("\r\n");
    request.append("User-Agent: orcraft-client\r\n");
    request.append("Accept: application/json\r\n");
    request.append("Connection: close\r\n");
    std::optional<Credentials> credentials = options.credentials;
    if (url.user) credentials = Credentials{*url.user, url.password.value_or("")};
    if (credentials) {
        request.append("Authorization: ").append(basic_authorization(*credentials)).append("\r\n");
    }
    if (!body.empty() || method == "POST" || method == "PUT") {
        if (!body.empty()) request.append("Content-Type: application/json\r\n");
        request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    }
    request.append("\r\n");
    request.append(body);
    return request;
}

}  // namespace

std::string CallResult::describe() const {
    if (answered()) return "HTTP " + std::to_string(status);
    return failure;
}

std::string basic_authorization(const Credentials& credentials) {
    return "Basic " + server::api::base64_encode(credentials.user + ":" + credentials.password);
}

CallResult call(const ApiUrl& url, std::string_view method, std::string_view path,
                std::string_view body, const CallOptions& options) {
    CallResult result;
    server::http::TcpStream stream;
    try {
        stream = server::http::TcpStream::connect(url.host, url.port, options.connect_timeout);
    } catch (const ClientError& e) {
        result.outcome = CallResult::Outcome::NotSent;
        result.failure = connect_failure(e.what(), url.authority());
        return result;
    }

    result.outcome = CallResult::Outcome::MaybeSent;
    try {
        stream.send_all(build_request(url, method, path, body, options), options.response_timeout);
        auto response =
            server::http::read_response(stream, options.response_timeout, method == "HEAD");
        result.outcome = CallResult::Outcome::Answered;
        result.status = response.status;
        result.headers = std::move(response.headers);
        result.body = std::move(response.body);
    } catch (const ClientError& e) {
        switch (e.kind()) {
            case ClientError::Kind::Timeout:
                result.failure =
                    "no answer within " + std::to_string(options.response_timeout.count()) + " ms";
                break;
            case ClientError::Kind::Closed:
                result.failure = "connection closed before a complete answer";
                break;
            case ClientError::Kind::Other:
                result.failure = e.what();
                break;
        }
    }
    return result;
}

}  // namespace orcraft::client
