#pragma once
// One event-loop thread driving a share of the clients.
//
// Each client is one kept-alive TCP connection with exactly one request in flight: it sends a
// request, waits for the whole answer, records it and sends the next one at once. The thread owns
// its connections, its ThreadStats and its log of acknowledged row ids; nothing on this path
// takes a lock. Failures are counted by kind and the client carries on: after a connection
// error it reconnects after a short pause (to the next URL when there are several); after an
// answer other than 200 it pauses briefly (moving to the next URL on 5xx) so that a node without
// a leader is not flooded. A request that gets no answer within the timeout counts as a timeout
// and its connection is replaced.
//
// start() launches the thread; stop() makes the loop close every connection and joins it. Requests
// still in flight then are neither counted nor acknowledged.

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "bench/orcraft_bench/options.hpp"
#include "bench/orcraft_bench/requests.hpp"
#include "bench/orcraft_bench/stats.hpp"

namespace orcraft::bench {

struct ResolvedTarget {
    TargetUrl url;
    sockaddr_storage address{};
};

class LoadThread {
  public:
    // `clients` are the client numbers this thread drives; `targets` and `factory` must outlive it.
    LoadThread(const Options& options, const RequestFactory& factory,
               const std::vector<ResolvedTarget>& targets, std::vector<std::uint32_t> clients);
    ~LoadThread();
    LoadThread(const LoadThread&) = delete;
    LoadThread& operator=(const LoadThread&) = delete;

    void start();
    void stop();

    const ThreadStats& stats() const { return stats_; }
    // The ids of the rows whose write was acknowledged; only after stop().
    const std::vector<std::uint64_t>& acknowledged() const { return acknowledged_; }

  private:
    struct Loop;
    struct Connection;
    friend struct Connection;

    void run();

    const Options& options_;
    const RequestFactory& factory_;
    const std::vector<ResolvedTarget>& targets_;
    std::vector<std::uint32_t> clients_;
    ThreadStats stats_;
    std::vector<std::uint64_t> acknowledged_;
    std::unique_ptr<Loop> loop_;
    std::thread thread_;
};

// Resolves every URL (names through getaddrinfo); throws std::runtime_error naming the URL.
std::vector<ResolvedTarget> resolve(const std::vector<TargetUrl>& urls);

}  // namespace orcraft::bench
