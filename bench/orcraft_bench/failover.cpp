#include "bench/orcraft_bench/failover.hpp"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "server/http/client.hpp"

namespace orcraft::bench {
namespace {

using Clock = std::chrono::steady_clock;

// What the attempts share; the first success wins.
struct Race {
    Clock::time_point start;
    std::atomic<bool> done{false};
    std::mutex mutex;
    FailoverResult result;
};

// Client numbers of the probe's writes, far above any load run's, so that row ids never collide
// with rows written before (RequestFactory::row_id puts the client number in the middle bits).
constexpr std::uint32_t kFirstProbeClient = 500'000;

void attempt(Race& race, const RequestFactory& factory, const TargetUrl& url, std::uint32_t client,
             std::chrono::milliseconds timeout, std::atomic<int>& outstanding) {
    std::string error;
    try {
        auto cursor = factory.cursor(client);
        std::string request;
        std::vector<std::uint64_t> ids;
        factory.next(cursor, url, request, ids);
        auto stream = server::http::TcpStream::connect(url.host, url.port, timeout);
        stream.send_all(request, timeout);
        auto response = server::http::read_response(stream, timeout);
        if (response.status == 200) {
            const auto now = Clock::now();
            std::lock_guard lock(race.mutex);
            if (!race.done.exchange(true)) {
                race.result.ok = true;
                race.result.seconds = std::chrono::duration<double>(now - race.start).count();
                race.result.via = url.text;
            }
        } else {
            error = url.text + ": " + std::to_string(response.status) + " " +
                    response.body.substr(0, 200);
        }
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) {
        std::lock_guard lock(race.mutex);
        race.result.last_error = error;
    }
    outstanding.fetch_sub(1);
}

}  // namespace

FailoverResult measure_failover(const Options& options, const RequestFactory& factory,
                                const FailoverSettings& settings) {
    Race race;
    std::vector<std::atomic<int>> outstanding(options.urls.size());
    std::vector<std::thread> threads;
    std::uint32_t next_client = kFirstProbeClient;
    int started = 0;

    race.start = Clock::now();
    if (::kill(settings.pid, settings.signal) != 0)
        throw std::runtime_error("kill " + std::to_string(settings.pid) + ": " +
                                 std::strerror(errno));
    const auto deadline = race.start + settings.deadline;
    while (!race.done.load() && Clock::now() < deadline) {
        for (std::size_t u = 0; u < options.urls.size(); ++u) {
            if (outstanding[u].load() >= settings.max_outstanding) continue;
            outstanding[u].fetch_add(1);
            ++started;
            const auto remaining =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            const auto timeout = std::max(std::chrono::milliseconds(1),
                                          std::min(settings.request_timeout, remaining));
            threads.emplace_back(attempt, std::ref(race), std::cref(factory),
                                 std::cref(options.urls[u]), next_client++, timeout,
                                 std::ref(outstanding[u]));
        }
        std::this_thread::sleep_for(settings.interval);  // the pacing of new attempts
    }
    for (auto& t : threads)
        t.join();
    std::lock_guard lock(race.mutex);
    race.result.attempts = started;
    if (!race.result.ok)
        race.result.seconds = std::chrono::duration<double>(settings.deadline).count();
    return race.result;
}

nlohmann::json failover_json(const FailoverResult& r, int signal) {
    nlohmann::json out = {{"failover", true},
                          {"signal", signal == SIGTERM ? "TERM" : "KILL"},
                          {"ok", r.ok},
                          {"seconds", r.seconds},
                          {"attempts", r.attempts},
                          {"via", r.via}};
    if (!r.last_error.empty()) out["last_error"] = r.last_error;
    return out;
}

}  // namespace orcraft::bench
