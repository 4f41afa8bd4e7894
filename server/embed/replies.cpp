#include "server/embed/replies.hpp"

#include "backend/command.hpp"

namespace orcraft::embed {

const char* to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::kNotLeader:
            return "not leader";
        case ErrorCode::kBadRequest:
            return "bad request";
        case ErrorCode::kRejected:
            return "rejected";
        case ErrorCode::kTimeout:
            return "timeout";
        case ErrorCode::kStopped:
            return "stopped";
        case ErrorCode::kBackend:
            return "backend failure";
    }
    return "unknown";
}

Error::Error(ErrorCode code, const std::string& message, std::string leader, std::string leader_url,
             std::optional<std::size_t> statement)
    : std::runtime_error(message),
      code_(code),
      leader_(std::move(leader)),
      leader_url_(std::move(leader_url)),
      statement_(statement) {}

Error not_leader_error(backend::Service& service, const std::string& why) {
    const auto status = service.status();
    std::string message = why;
    if (!status.leader.empty()) message += " (the leader is " + status.leader + ")";
    return Error(ErrorCode::kNotLeader, message, status.leader, status.leader_url);
}

namespace {

// The Error for a failed request of the Service interface.
Error service_error(backend::Failure failure, const std::string& why,
                    std::optional<std::size_t> statement, backend::Service& service) {
    switch (failure) {
        case backend::Failure::NotLeader:
            return not_leader_error(service, why);
        case backend::Failure::BadRequest:
            return Error(ErrorCode::kBadRequest, why, {}, {}, statement);
        case backend::Failure::Timeout:
            return Error(ErrorCode::kTimeout, why);
        case backend::Failure::BackendFailure:
        case backend::Failure::None:
            break;
    }
    return Error(ErrorCode::kBackend, why);
}

}  // namespace

Outcome<WriteResult> write_outcome(backend::ExecuteReply reply, backend::Service& service) {
    if (reply.failure != backend::Failure::None)
        return service_error(reply.failure, reply.error, reply.statement, service);
    return WriteResult{std::move(reply.results), reply.index};
}

Outcome<std::vector<QueryResult>> read_outcome(backend::QueryReply reply,
                                               backend::Service& service) {
    if (reply.failure != backend::Failure::None)
        return service_error(reply.failure, reply.error, reply.statement, service);
    return std::move(reply.results);
}

Outcome<CommandResult> command_outcome(raft::ProposeOutcome outcome, backend::Service& service) {
    using raft::ProposeError;
    switch (outcome.error) {
        case ProposeError::kNone:
            break;
        case ProposeError::kNotLeader:
            return not_leader_error(service, "this node is not the leader");
        case ProposeError::kLeadershipLost:
            return not_leader_error(service,
                                    "leadership changed before the command committed: it was "
                                    "not applied");
        case ProposeError::kRejected:
            return not_leader_error(service, "the leader refused the command for now (" +
                                                 outcome.message + "): it was not applied");
        case ProposeError::kTimeout:
            return Error(ErrorCode::kTimeout,
                         "the command was not confirmed in time: it may still be applied");
        case ProposeError::kStopped:
            return Error(ErrorCode::kStopped,
                         outcome.message.empty() ? "the node stopped" : outcome.message);
    }
    backend::ApplyResult result;
    try {
        result = backend::decode_result(outcome.result);
    } catch (const backend::CommandFormatError& e) {
        return Error(ErrorCode::kBackend,
                     std::string("the command's result does not decode: ") + e.what());
    }
    using Kind = backend::ApplyResult::Kind;
    switch (result.kind) {
        case Kind::kHandler:
            return CommandResult{std::move(result.handler_result), outcome.index};
        case Kind::kCommandFailed:
            return Error(result.failure == backend::CommandFailure::kRejected
                             ? ErrorCode::kRejected
                             : ErrorCode::kBadRequest,
                         result.message);
        case Kind::kBatch:
        case Kind::kStatementFailed:
        case Kind::kAlreadyApplied:
            break;
    }
    return Error(ErrorCode::kBackend, "unexpected result for a typed command");
}

}  // namespace orcraft::embed
