#pragma once
// Running one orcraft-client command: find the node, send the request, print the answer, and
// return the exit status (the table is in usage(), client/options.cpp).
//
// Retries (--wait): while the deadline allows, a failed leader search, a request that could not
// be delivered (its connection did not open) and an HTTP 503 answer (the node could not take the
// request; nothing was applied) are tried again from the leader search on, after a short pause.
// A request that may have reached the node without an answer is retried only when it is a read;
// a write then ends with exit status 4, because it may have been applied.

#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "client/leader_finder.hpp"
#include "client/options.hpp"

namespace orcraft::client {

enum ExitStatus {
    kExitOk = 0,
    kExitApiError = 1,
    kExitUsage = 2,
    kExitUnreachable = 3,
    kExitUnknownOutcome = 4,
};

struct Io {
    std::ostream& out;
    std::ostream& err;
    // Standard input, read whole; nullopt when there is none to read (a terminal).
    std::function<std::optional<std::string>()> read_input;
};

int run_command(const Options& options, const Caller& caller, Io& io);

// Percent-encodes one path segment (keeps unreserved characters, ':' and '@').
std::string encode_segment(const std::string& text);

}  // namespace orcraft::client
