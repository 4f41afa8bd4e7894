#include "client/commands.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <thread>

#include "client/render.hpp"
#include "client/sql_input.hpp"

namespace orcraft::client {

namespace {

using Clock = std::chrono::steady_clock;
using ojson = nlohmann::ordered_json;

constexpr std::chrono::milliseconds kRetryPause{200};
constexpr std::chrono::milliseconds kMaxRetryAfter{2'000};
constexpr const char* kName = "orcraft-client: ";

// What to send for a command, worked out before anything is contacted.
struct Request {
    std::string method = "GET";
    std::string path;
    std::string body;
    bool is_write = false;
};

Request request_for(const Options& o, Io& io) {
    Request r;
    switch (o.command) {
        case Command::Execute:
        case Command::Query: {
            std::optional<std::string> input;
            if (o.args.empty()) input = io.read_input();
            r.method = "POST";
            r.path = o.command == Command::Execute ? "db/execute" : "db/query";
            r.body = request_body(o.args, input, o.params, o.level);
            r.is_write = o.command == Command::Execute;
            break;
        }
        case Command::Status:
            r.path = "status";
            break;
        case Command::RaftLeader:
            r.path = "raft-leader";
            break;
        case Command::RaftHealth:
            r.path = "raft-health";
            break;
        case Command::Yield:
            r.path = o.hint ? "raft-yield-hint/" + encode_segment(*o.hint)
                            : "raft-yield/" + encode_segment(o.args.front());
            r.is_write = true;
            break;
        case Command::WhichApi:
            break;
        case Command::Api:
            r.path = o.args.front();
            if (o.data) {
                r.method = "POST";
                if (*o.data == "-") {
                    auto input = io.read_input();
                    if (!input) throw InputError("--data -: nothing to read on standard input");
                    r.body = *input;
                } else {
                    r.body = *o.data;
                }
                r.is_write = true;
            }
            break;
    }
    return r;
}

std::optional<ojson> parse_json(const std::string& body) {
    auto value = ojson::parse(body, nullptr, false);
    if (value.is_discarded()) return std::nullopt;
    return value;
}

bool is_error_envelope(const ojson& value) {
    return value.is_object() && value.contains("Code") && value["Code"].is_string() &&
           value["Code"].get<std::string>().find("ERROR") != std::string::npos;
}

// The message of an error answer: {"error": ...} (SQL API), the envelope's Message, or the
// body itself, shortened.
std::string error_text(const CallResult& result, const std::optional<ojson>& json) {
    if (json && json->is_object()) {
        std::string text;
        if (json->contains("error")) {
            text = cell_text((*json)["error"]);
            if (json->contains("statement") && (*json)["statement"].is_number_integer())
                text = "statement " + std::to_string((*json)["statement"].get<long long>() + 1) +
                       ": " + text;
        } else if (json->contains("Message")) {
            text = cell_text((*json)["Message"]);
        }
        if (!text.empty()) return text;
    }
    if (json && json->is_string()) return json->get<std::string>();
    std::string body = result.body.substr(0, 200);
    if (body.empty()) return "(empty answer)";
    return body;
}

std::string with_newline(std::string text) {
    if (!text.empty() && text.back() != '\n') text += '\n';
    return text;
}

// How long a 503 asks us to wait, bounded.
std::chrono::milliseconds retry_after(const CallResult& result) {
    if (auto v = result.headers.get("Retry-After")) {
        try {
            auto ms = std::chrono::milliseconds(std::stoll(std::string(*v)) * 1000);
            return std::clamp(ms, kRetryPause, kMaxRetryAfter);
        } catch (const std::exception&) {
        }
    }
    return kRetryPause;
}

// Interprets an answer and prints it. Returns the exit status.
int present(const Options& o, const ApiUrl& url, const CallResult& result, Io& io) {
    const auto json = parse_json(result.body);
    const bool ok_status = result.status >= 200 && result.status < 300;
    auto fail = [&](int status) {
        io.err << kName << url.api_root() << ": HTTP " << result.status << ": "
               << error_text(result, json) << "\n";
        return status;
    };

    switch (o.command) {
        case Command::Execute:
        case Command::Query: {
            if (result.status == 504) {
                io.err << kName << url.api_root() << ": HTTP 504: " << error_text(result, json)
                       << " (the outcome is unknown: it may still be applied)\n";
                return kExitUnknownOutcome;
            }
            if (!ok_status || !json) return fail(kExitApiError);
            if (o.format == Format::Json) {
                io.out << with_newline(result.body);
            } else if (o.command == Command::Execute) {
                io.out << render_execute(*json);
            } else {
                io.out << (o.format == Format::Tsv ? render_query_tsv(*json)
                                                   : render_query_table(*json));
            }
            return kExitOk;
        }
        case Command::Status: {
            if (!json) return fail(kExitApiError);
            if (o.format == Format::Json) {
                io.out << with_newline(result.body);
            } else {
                io.out << render_status(*json);
            }
            return ok_status && !is_error_envelope(*json) ? kExitOk : kExitApiError;
        }
        case Command::RaftLeader: {
            if (!ok_status || !json || !json->is_string()) return fail(kExitApiError);
            const auto leader = json->get<std::string>();
            if (leader.empty()) {
                io.err << kName << url.api_root() << ": no raft leader known\n";
                return kExitApiError;
            }
            io.out << leader << "\n";
            return kExitOk;
        }
        case Command::RaftHealth: {
            if (!ok_status || !json || is_error_envelope(*json)) return fail(kExitApiError);
            io.out << error_text(result, json) << "\n";
            return kExitOk;
        }
        case Command::Yield: {
            if (!ok_status || !json || is_error_envelope(*json)) return fail(kExitApiError);
            io.out << error_text(result, json) << "\n";
            return kExitOk;
        }
        case Command::Api: {
            io.out << with_newline(result.body);
            if (!ok_status || (json && is_error_envelope(*json))) {
                io.err << kName << url.api_root() << ": HTTP " << result.status << "\n";
                return kExitApiError;
            }
            return kExitOk;
        }
        case Command::WhichApi:
            break;
    }
    return kExitOk;
}

Caller verbose_caller(const Caller& inner, std::ostream& err) {
    return [inner, &err](const ApiUrl& url, std::string_view method, std::string_view path,
                         std::string_view body, const CallOptions& options) {
        const auto start = Clock::now();
        CallResult r = inner(url, method, path, body, options);
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
        err << kName << method << " http://" << url.authority() << url.target(path) << " -> "
            << r.describe() << " (" << ms << " ms)\n";
        return r;
    };
}

}  // namespace

std::string encode_segment(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' ||
            c == '@') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

int run_command(const Options& o, const Caller& plain_caller, Io& io) {
    const Caller caller = o.verbose ? verbose_caller(plain_caller, io.err) : plain_caller;
    Request request;
    try {
        request = request_for(o, io);
    } catch (const InputError& e) {
        io.err << kName << e.what() << "\n";
        return kExitUsage;
    }

    CallOptions probe;
    probe.connect_timeout = o.probe_timeout;
    probe.response_timeout = o.probe_timeout;
    probe.credentials = o.credentials;
    CallOptions main_call;
    main_call.connect_timeout = o.connect_timeout;
    main_call.response_timeout = o.request_timeout;
    main_call.credentials = o.credentials;

    const auto deadline = Clock::now() + o.wait;
    auto may_retry = [&](std::chrono::milliseconds pause) {
        if (Clock::now() + pause >= deadline) return false;
        std::this_thread::sleep_for(pause);
        return true;
    };

    for (;;) {
        std::size_t chosen = 0;
        if (!o.direct) {
            const LeaderSearch search = find_leader(o.urls, caller, probe);
            if (!search.chosen) {
                if (may_retry(kRetryPause)) continue;
                io.err << kName << search.failure_report(o.urls) << "\n";
                return kExitUnreachable;
            }
            chosen = *search.chosen;
        }
        const ApiUrl& url = o.urls[chosen];
        if (o.command == Command::WhichApi) {
            io.out << url.api_root() << "\n";
            return kExitOk;
        }

        const CallResult result =
            caller(url, request.method, request.path, request.body, main_call);
        if (result.outcome == CallResult::Outcome::NotSent) {
            if (may_retry(kRetryPause)) continue;
            io.err << kName << url.api_root() << ": " << result.failure
                   << " (the request was not sent)\n";
            return kExitUnreachable;
        }
        if (result.outcome == CallResult::Outcome::MaybeSent) {
            if (!request.is_write && may_retry(kRetryPause)) continue;
            io.err << kName << url.api_root() << ": " << result.failure
                   << (request.is_write ? " (the outcome is unknown: it may have been applied)"
                                        : "")
                   << "\n";
            return kExitUnknownOutcome;
        }
        if (result.status == 503 && may_retry(retry_after(result))) continue;
        return present(o, url, result, io);
    }
}

}  // namespace orcraft::client
