#pragma once
// What an embedded Node runs once started, in either mode: the service behind execute() and
// query(), the path typed commands take into the log, and the mode's part of status(). The
// standalone mode (standalone_mode.cpp) applies everything locally; the raft mode
// (raft_mode.cpp) builds the same RaftService the `orcraft` executable runs.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backend/config.hpp"
#include "backend/service.hpp"
#include "backend/sql_state_machine.hpp"
#include "raft/node/node.hpp"
#include "server/embed/orcraft.hpp"

namespace orcraft::embed {

struct ModeSetup {
    std::string hostname;
    std::string token;  // random per process
    std::function<std::uint64_t()> random;
    // The typed commands to register on the state machine before anything is applied.
    std::vector<std::pair<std::string, backend::CommandHandler>> commands;
    // Called with this node's view of the leadership whenever it may have changed, from any
    // thread (possibly with an unchanged view; the Node filters). Must not block.
    std::function<void(const Leadership&)> on_leadership;
};

class Mode {
  public:
    virtual ~Mode() = default;

    virtual backend::Service& service() = 0;
    virtual backend::SqlStateMachine& state_machine() = 0;

    // Proposes a typed command (see backend::RaftService::propose_command).
    virtual void propose_command(std::string name, std::string payload,
                                 std::function<void(raft::ProposeOutcome)> done) = 0;

    // Fills the mode's fields of `status`: self, is_leader, leader, leader_url, term,
    // commit_index, members, healthy and error.
    virtual void fill_status(Status& status) = 0;

    // A raft leader hands leadership to another voter, waiting at most `timeout`.
    virtual void hand_over(std::chrono::milliseconds timeout) = 0;

    // Stops the service (idempotent); no on_leadership call comes after it returns.
    virtual void stop() = 0;
};

// Throw Error(kStopped, why) when the node cannot start.
std::unique_ptr<Mode> start_standalone_mode(const backend::Config& config, ModeSetup setup);
std::unique_ptr<Mode> start_raft_mode(const backend::Config& config, ModeSetup setup);

}  // namespace orcraft::embed
