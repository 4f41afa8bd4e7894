#pragma once
// Turns what the services and the raft runtime answer into the library's Outcomes and Errors
// (orcraft.hpp): the Failure kinds of backend::Service, a propose() outcome of a typed command,
// and the leader to name in a kNotLeader error.

#include <string>
#include <vector>

#include "backend/service.hpp"
#include "raft/node/node.hpp"
#include "server/embed/orcraft.hpp"

namespace orcraft::embed {

// kNotLeader naming the leader `service` knows of now.
Error not_leader_error(backend::Service& service, const std::string& why);

Outcome<WriteResult> write_outcome(backend::ExecuteReply reply, backend::Service& service);
Outcome<std::vector<QueryResult>> read_outcome(backend::QueryReply reply,
                                               backend::Service& service);
// The outcome of proposing a typed command (the result bytes decode as a backend::ApplyResult).
Outcome<CommandResult> command_outcome(raft::ProposeOutcome outcome, backend::Service& service);

}  // namespace orcraft::embed
