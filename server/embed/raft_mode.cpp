// The raft mode of an embedded node (RaftEnabled true): the RaftService the `orcraft`
// executable runs, built by the same function, with the application's typed commands
// registered on its state machine before the runtime starts.

#include "backend/raft_service.hpp"
#include "server/app/raft_node.hpp"
#include "server/embed/mode.hpp"

namespace orcraft::embed {
namespace {

Leadership leadership_of(const raft::NodeState& s) {
    return Leadership{s.role == raft::Role::kLeader, s.leader_identity, s.term};
}

class RaftMode final : public Mode {
  public:
    explicit RaftMode(std::unique_ptr<backend::RaftService> service)
        : service_(std::move(service)) {}

    backend::Service& service() override { return *service_; }
    backend::SqlStateMachine& state_machine() override { return service_->state_machine(); }

    void propose_command(std::string name, std::string payload,
                         std::function<void(raft::ProposeOutcome)> done) override {
        service_->propose_command(std::move(name), std::move(payload), std::move(done));
    }

    void fill_status(Status& status) override {
        const auto node = service_->status();
        const auto view = service_->view();
        status.self = view.self;
        status.healthy = node.healthy;
        status.error = node.error;
        status.is_leader = view.is_leader;
        status.leader = view.leader;
        status.leader_url = view.leader_url;
        status.term = view.term;
        status.commit_index = view.commit;
        status.members = view.peers;
        // A runtime that stopped itself (its disk or its state machine failed) may still show
        // its last role: it no longer takes part in anything.
        if (auto failure = service_->failure(); !failure.empty()) {
            status.healthy = false;
            status.is_leader = false;
            status.error = "raft node stopped: " + failure;
        }
    }

    void hand_over(std::chrono::milliseconds timeout) override {
        // A runtime that stopped itself cannot hand anything over.
        if (service_->failure().empty()) service_->hand_over(timeout);
    }

    void stop() override { service_->stop(); }

  private:
    std::unique_ptr<backend::RaftService> service_;
};

}  // namespace

std::unique_ptr<Mode> start_raft_mode(const backend::Config& config, ModeSetup setup) {
    auto register_commands = [&setup](backend::SqlStateMachine& state_machine) {
        for (auto& [name, handler] : setup.commands)
            state_machine.register_command(name, std::move(handler));
    };
    std::unique_ptr<backend::RaftService> service;
    try {
        service = server::app::start_raft_service(config, setup.hostname, setup.token, setup.random,
                                                  register_commands);
    } catch (const server::app::RaftStartError& e) {
        throw Error(ErrorCode::kStopped, e.what());
    }
    auto on_leadership = setup.on_leadership;
    service->add_state_observer(
        [on_leadership](const raft::NodeState& s) { on_leadership(leadership_of(s)); });
    // The observer sees changes from now on; a single-node cluster may have elected itself
    // already. (The Node drops a view older than one it has delivered.)
    const auto view = service->view();
    on_leadership(Leadership{view.is_leader, view.leader, view.term});
    return std::make_unique<RaftMode>(std::move(service));
}

}  // namespace orcraft::embed
