#pragma once
// One HTTP exchange with one node, reported without exceptions.
//
// call() opens a connection, sends one request with "Connection: close", and reads one answer,
// all within the deadlines given. Whatever happens, it returns a CallResult that says whether
// an answer came back and, if not, whether the request may have reached the server: a request
// whose connection could not be opened was certainly not delivered (retrying it is safe, even a
// write); one that was sent and then timed out or lost its connection may have been applied.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "client/api_url.hpp"
#include "server/http/headers.hpp"

namespace orcraft::client {

struct Credentials {
    std::string user;
    std::string password;
};

struct CallOptions {
    std::chrono::milliseconds connect_timeout{1'000};
    // From the moment the request is sent until the whole answer is in.
    std::chrono::milliseconds response_timeout{30'000};
    // Sent as HTTP basic authentication unless the URL carries credentials of its own.
    std::optional<Credentials> credentials;
};

struct CallResult {
    enum class Outcome {
        Answered,   // an HTTP answer arrived (any status)
        NotSent,    // the connection could not be opened: the request did not reach the node
        MaybeSent,  // the request was (perhaps partly) sent, and no complete answer came back
    };
    Outcome outcome = Outcome::NotSent;
    // Without an answer: what went wrong, in a few words ("connection refused", "no answer within
    // 1000 ms", "connection closed before a complete answer").
    std::string failure;

    int status = 0;
    server::http::Headers headers;
    std::string body;

    bool answered() const { return outcome == Outcome::Answered; }
    // "HTTP 404" for an answer, else `failure`.
    std::string describe() const;
};

// Sends `method` to `url.target(path)`. A non-empty `body` goes with Content-Type
// application/json.
CallResult call(const ApiUrl& url, std::string_view method, std::string_view path,
                std::string_view body, const CallOptions& options);

// The value of an Authorization header for these credentials ("Basic dXNlcjpwdw==").
std::string basic_authorization(const Credentials& credentials);

}  // namespace orcraft::client
