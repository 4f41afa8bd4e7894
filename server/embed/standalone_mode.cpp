// The standalone mode of an embedded node: RaftEnabled false with SQLite, always the leader.

#include <chrono>

#include "server/app/node.hpp"
#include "server/embed/local_service.hpp"
#include "server/embed/mode.hpp"

namespace orcraft::embed {
namespace {

// A standalone node is the leader of this term from start to stop.
constexpr std::uint64_t kStandaloneTerm = 1;

class StandaloneMode final : public Mode {
  public:
    StandaloneMode(std::shared_ptr<backend::SqlStateMachine> state_machine,
                   LocalServiceOptions options)
        : state_machine_(state_machine), service_(std::move(state_machine), std::move(options)) {}

    backend::Service& service() override { return service_; }
    backend::SqlStateMachine& state_machine() override { return *state_machine_; }

    void propose_command(std::string name, std::string payload,
                         std::function<void(raft::ProposeOutcome)> done) override {
        service_.propose_command(std::move(name), std::move(payload), std::move(done));
    }

    void fill_status(Status& status) override {
        const auto s = service_.status();
        status.self = s.hostname;
        status.healthy = s.healthy;
        status.error = s.error;
        status.is_leader = s.is_leader;
        status.leader = s.leader;
        status.leader_url = s.leader_url;
        status.term = kStandaloneTerm;
        status.members = s.available_nodes;
    }

    void hand_over(std::chrono::milliseconds) override {}

    void stop() override { service_.stop(); }

  private:
    std::shared_ptr<backend::SqlStateMachine> state_machine_;
    LocalService service_;
};

}  // namespace

std::unique_ptr<Mode> start_standalone_mode(const backend::Config& config, ModeSetup setup) {
    if (!config.is_sqlite()) {
        throw Error(ErrorCode::kStopped,
                    "RaftEnabled false with a MySQL backend (shared-backend mode) cannot be "
                    "embedded: set RaftEnabled true, or use BackendDB sqlite for a standalone "
                    "node");
    }
    std::shared_ptr<backend::Driver> driver;
    try {
        driver = server::app::open_driver(config);
    } catch (const std::exception& e) {
        throw Error(ErrorCode::kStopped,
                    std::string("cannot open the sqlite backend: ") + e.what());
    }
    // The result checksum is kept in memory only: a standalone node has no replica to compare.
    auto state_machine = std::make_shared<backend::SqlStateMachine>(driver);
    for (auto& [name, handler] : setup.commands)
        state_machine->register_command(name, std::move(handler));

    LocalServiceOptions options;
    options.hostname = setup.hostname;
    options.token = setup.token;
    options.reader_threads = static_cast<std::size_t>(std::max(1, config.sqlite_read_connections));
    options.clock_micros = [] {
        using namespace std::chrono;
        return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    };
    options.random = setup.random;
    auto mode = std::make_unique<StandaloneMode>(std::move(state_machine), std::move(options));
    setup.on_leadership(Leadership{true, setup.hostname, kStandaloneTerm});
    return mode;
}

}  // namespace orcraft::embed
