// orcraft::embed::Node: the life cycle, the blocking wrappers, and the delivery of leadership
// events; the modes (mode.hpp) do the rest.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "backend/command.hpp"
#include "backend/worker_pool.hpp"
#include "server/app/http_frontend.hpp"
#include "server/embed/command_context.hpp"
#include "server/embed/mode.hpp"
#include "server/embed/orcraft.hpp"
#include "server/embed/replies.hpp"

namespace orcraft::embed {
namespace {

// Set while a leadership observer runs on this thread, so that stop() can refuse to join the
// observers' own thread.
thread_local bool in_observer = false;

std::string local_hostname() {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) != 0) return "localhost";
    return name;
}

std::string random_token(std::mt19937_64& rng) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string token;
    for (int i = 0; i < 32; ++i)
        token += hex[rng() % 16];
    return token;
}

bool same(const Leadership& a, const Leadership& b) {
    return a.is_leader == b.is_leader && a.leader == b.leader && a.term == b.term;
}

// Runs an async method and waits for its outcome. The promise is shared with the callback, which
// may still be returning from set_value() when the waiter wakes up.
template <typename T, typename Start>
T wait_for(Start start) {
    auto promise = std::make_shared<std::promise<Outcome<T>>>();
    auto future = promise->get_future();
    start([promise](Outcome<T> outcome) { promise->set_value(std::move(outcome)); });
    return future.get().value();
}

enum class Phase { kNew, kRunning, kStopped };

}  // namespace

struct Node::Impl {
    Config config;
    NodeOptions options;

    std::atomic<Phase> phase{Phase::kNew};
    std::map<std::string, CommandHandler> handlers;  // until start()
    std::set<std::string> command_names;             // from start() on

    std::mutex events_mutex;  // guards observers, last, and the order of posted events
    std::vector<std::shared_ptr<LeadershipObserver>> observers;
    Leadership last;
    backend::WorkerPool events{1};

    std::unique_ptr<Mode> mode;  // set by start(), kept until destruction
    std::unique_ptr<server::app::HttpFrontend> http;
    std::string http_url;

    // Delivers `view` to every observer if it differs from the last one delivered. Events with
    // an older term than the last are stale (a view read while a newer one was delivered).
    void leadership(const Leadership& view) {
        std::lock_guard lock(events_mutex);
        if (view.term < last.term || same(view, last)) return;
        last = view;
        spdlog::info("embed: leadership: {} in term {}, leader {}",
                     view.is_leader ? "leader" : "not leader", view.term,
                     view.leader.empty() ? "unknown" : view.leader);
        auto targets = observers;
        events.post([targets = std::move(targets), view] {
            for (const auto& observer : targets)
                deliver(*observer, view);
        });
    }

    static void deliver(const LeadershipObserver& observer, const Leadership& view) {
        in_observer = true;
        try {
            observer(view);
        } catch (const std::exception& e) {
            spdlog::error("embed: a leadership observer threw: {}", e.what());
        } catch (...) {
            spdlog::error("embed: a leadership observer threw");
        }
        in_observer = false;
    }

    std::uint64_t last_term() {
        std::lock_guard lock(events_mutex);
        return last.term;
    }

    // The running mode, or nullptr before start().
    Mode* running() const { return phase.load() == Phase::kNew ? nullptr : mode.get(); }

    // The mode that serves a request, or nullptr once the node stopped (or failed to start).
    // Throws std::logic_error before start(): that is a bug in the program.
    Mode* serving(const char* what) const {
        const Phase now = phase.load();
        if (now == Phase::kNew) throw std::logic_error(std::string(what) + " before start()");
        return now == Phase::kRunning ? mode.get() : nullptr;
    }
};

Config load_config_file(const std::filesystem::path& file) {
    backend::LoadOptions options;
    options.config_file = file.string();
    auto loaded = backend::load_config(options);
    for (const auto& warning : loaded.warnings)
        spdlog::warn("{}", warning);
    return std::move(loaded.config);
}

Node::Node(Config config, NodeOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->config = std::move(config);
    impl_->options = options;
}

Node::Node(const std::filesystem::path& config_file, NodeOptions options)
    : Node(load_config_file(config_file), options) {}

Node::~Node() {
    stop();
}

void Node::register_command(const std::string& name, CommandHandler handler) {
    if (impl_->phase.load() != Phase::kNew)
        throw std::logic_error("register_command() must be called before start()");
    if (name == backend::kSqlCommand)
        throw std::invalid_argument("the command name \"sql\" is built in");
    if (name.empty() || name.size() > backend::kMaxCommandName)
        throw std::invalid_argument("a command name must have 1 to 255 bytes");
    if (!handler) throw std::invalid_argument("command " + name + " registered without a handler");
    if (!impl_->handlers.emplace(name, std::move(handler)).second)
        throw std::invalid_argument("command " + name + " is registered already");
}

void Node::on_leadership_change(LeadershipObserver observer) {
    if (!observer) throw std::invalid_argument("on_leadership_change() needs an observer");
    auto shared = std::make_shared<LeadershipObserver>(std::move(observer));
    std::lock_guard lock(impl_->events_mutex);
    impl_->observers.push_back(shared);
    if (impl_->phase.load() != Phase::kNew) {
        // The current view first; later events are posted after this one.
        impl_->events.post([shared, view = impl_->last] { Impl::deliver(*shared, view); });
    }
}

void Node::start() {
    auto& impl = *impl_;
    if (impl.phase.load() != Phase::kNew || impl.mode)
        throw std::logic_error("start() may be called once");

    std::mt19937_64 rng{std::random_device{}()};
    ModeSetup setup;
    setup.hostname = local_hostname();
    setup.token = random_token(rng);
    setup.random = [rng]() mutable { return rng(); };
    for (auto& [name, handler] : impl.handlers) {
        impl.command_names.insert(name);
        setup.commands.emplace_back(name, adapt_handler(std::move(handler)));
    }
    impl.handlers.clear();
    setup.on_leadership = [&impl](const Leadership& view) { impl.leadership(view); };

    try {
        impl.mode = impl.config.raft_enabled ? start_raft_mode(impl.config, std::move(setup))
                                             : start_standalone_mode(impl.config, std::move(setup));
    } catch (...) {
        impl.events.stop();
        impl.phase = Phase::kStopped;
        throw;
    }
    if (impl.options.serve_http) {
        try {
            impl.http =
                std::make_unique<server::app::HttpFrontend>(impl.config, impl.mode->service());
            impl.http_url = "http://" + impl.http->listen().to_string();
        } catch (const std::exception& e) {
            impl.http.reset();
            impl.mode->stop();
            impl.events.stop();
            impl.phase = Phase::kStopped;
            throw Error(ErrorCode::kStopped, std::string("cannot serve the HTTP API: ") + e.what());
        }
    }
    impl.phase = Phase::kRunning;
}

void Node::execute_async(std::vector<Statement> batch,
                         std::function<void(Outcome<WriteResult>)> done) {
    Mode* mode = impl_->serving("execute()");
    if (!mode) {
        done(Error(ErrorCode::kStopped, "the node is stopped"));
        return;
    }
    auto& service = mode->service();
    service.execute(std::move(batch), [done = std::move(done), &service](backend::ExecuteReply r) {
        done(write_outcome(std::move(r), service));
    });
}

WriteResult Node::execute(std::vector<Statement> batch) {
    return wait_for<WriteResult>([&](auto done) { execute_async(std::move(batch), done); });
}

void Node::query_async(std::vector<Statement> statements, ReadLevel level,
                       std::function<void(Outcome<std::vector<QueryResult>>)> done) {
    Mode* mode = impl_->serving("query()");
    if (!mode) {
        done(Error(ErrorCode::kStopped, "the node is stopped"));
        return;
    }
    auto& service = mode->service();
    service.query(std::move(statements), level,
                  [done = std::move(done), &service](backend::QueryReply r) {
                      done(read_outcome(std::move(r), service));
                  });
}

std::vector<QueryResult> Node::query(std::vector<Statement> statements, ReadLevel level) {
    return wait_for<std::vector<QueryResult>>(
        [&](auto done) { query_async(std::move(statements), level, done); });
}

void Node::run_async(const std::string& name, std::string payload,
                     std::function<void(Outcome<CommandResult>)> done) {
    Mode* mode = impl_->serving("run()");
    if (!mode) {
        done(Error(ErrorCode::kStopped, "the node is stopped"));
        return;
    }
    if (name == backend::kSqlCommand) {
        done(Error(ErrorCode::kBadRequest, "\"sql\" is not a typed command: use execute()"));
        return;
    }
    // A name no handler knows would only enter the log as a failure on every node.
    if (impl_->command_names.count(name) == 0) {
        done(Error(ErrorCode::kBadRequest, "no command named \"" + name + "\" is registered"));
        return;
    }
    auto& service = mode->service();
    mode->propose_command(name, std::move(payload),
                          [done = std::move(done), &service](raft::ProposeOutcome outcome) {
                              done(command_outcome(std::move(outcome), service));
                          });
}

CommandResult Node::run(const std::string& name, std::string payload) {
    return wait_for<CommandResult>([&](auto done) { run_async(name, std::move(payload), done); });
}

Status Node::status() const {
    Status status;
    status.mode = impl_->config.raft_enabled ? "raft" : "standalone";
    Mode* mode = impl_->running();
    if (!mode) {
        status.error = "not started";
        return status;
    }
    mode->fill_status(status);
    status.running = impl_->phase.load() == Phase::kRunning && status.error.empty();
    if (impl_->phase.load() == Phase::kStopped) {
        status.error = "stopped";
        status.healthy = false;
        status.is_leader = false;
    }
    const auto checksum = mode->state_machine().checksum();
    status.applied_index = checksum.index;
    status.result_checksum = checksum.value;
    status.checksum_known = checksum.known;
    return status;
}

std::string Node::http_url() const {
    return impl_->phase.load() == Phase::kNew ? std::string() : impl_->http_url;
}

void Node::stop() {
    if (in_observer) throw std::logic_error("stop() cannot be called from a leadership observer");
    auto& impl = *impl_;
    Phase expected = Phase::kRunning;
    if (!impl.phase.compare_exchange_strong(expected, Phase::kStopped)) {
        if (expected == Phase::kNew) impl.phase = Phase::kStopped;
        return;
    }
    spdlog::info("embed: stopping");
    // A leader hands over first, while the HTTP API still forwards requests to the new leader.
    impl.mode->hand_over(impl.options.hand_over_timeout);
    if (impl.http) impl.http->stop();
    impl.mode->stop();
    impl.leadership(Leadership{false, "", impl.last_term()});
    impl.events.stop();
    spdlog::info("embed: stopped");
}

}  // namespace orcraft::embed
