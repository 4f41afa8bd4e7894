// orcraft-raft-bench: measures the Raft node runtime with three raft_testnode processes on
// 127.0.0.1-3 (real processes, real fsync, real TCP).
//
//   orcraft-raft-bench failover [--rounds N]
//       per round, on a fresh cluster: start of 3 processes -> leader elected; kill -9 of the
//       leader -> first write accepted by the new leader; SIGTERM of the leader -> first write
//       accepted. Prints every round and the medians.
//   orcraft-raft-bench load [--clients N] [--seconds S] [--no-sync]
//       N clients, each proposing unique values back to back to the leader over its own control
//       connection; prints throughput, latency percentiles and fsyncs per committed entry.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "process_cluster.hpp"

using namespace orcraft::raft::testing;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

namespace {

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(k, v.size() - 1)];
}

// Polls (every 1 ms) until the cluster agrees on a leader; returns the time it took, or -1.
double wait_leader_ms(ProcessCluster& c, Clock::time_point since, int& leader, Millis deadline) {
    while (Clock::now() - since < deadline) {
        leader = c.agreed_leader();
        if (leader != -1) {
            return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
        }
        std::this_thread::sleep_for(Millis(1));
    }
    return -1;
}

double kill_and_measure(ProcessCluster& c, int sig, const std::string& probe) {
    int leader = -1;
    if (wait_leader_ms(c, Clock::now(), leader, Millis(10000)) < 0) return -1;
    c.signal(leader, sig);
    // The clock starts at the signal: for SIGTERM the transfer happens while the process exits.
    const auto started = Clock::now();
    if (sig == SIGKILL) c.wait_exit(leader, Millis(5000));
    auto took = time_to_first_write(c, probe, Millis(10000));
    const double ms =
        took ? std::chrono::duration<double, std::milli>(Clock::now() - started).count() : -1;
    c.wait_exit(leader, Millis(10000));
    c.start(leader);
    return ms;
}

int failover(int rounds) {
    std::vector<double> elect, kill9, term;
    std::printf("round  start->leader_ms  kill9->write_ms  sigterm->write_ms\n");
    for (int r = 0; r < rounds; ++r) {
        ProcessCluster c({});
        const auto started = Clock::now();
        c.start_all();
        int leader = -1;
        const double e = wait_leader_ms(c, started, leader, Millis(10000));
        // Some writes so that the logs are not empty.
        for (int i = 0; i < 20 && leader != -1; ++i)
            c.request(leader, "propose warm-" + std::to_string(i));
        const double k = kill_and_measure(c, SIGKILL, "k" + std::to_string(r));
        const double t = kill_and_measure(c, SIGTERM, "t" + std::to_string(r));
        std::printf("%5d  %15.1f  %15.1f  %17.1f\n", r + 1, e, k, t);
        std::fflush(stdout);
        if (e >= 0) elect.push_back(e);
        if (k >= 0) kill9.push_back(k);
        if (t >= 0) term.push_back(t);
    }
    std::printf("median %15.1f  %15.1f  %17.1f   (of %zu/%zu/%zu rounds)\n", percentile(elect, 0.5),
                percentile(kill9, 0.5), percentile(term, 0.5), elect.size(), kill9.size(),
                term.size());
    return 0;
}

std::uint64_t field(std::map<std::string, std::string> s, const std::string& k) {
    auto it = s.find(k);
    return it == s.end() ? 0 : std::stoull(it->second);
}

int load(int clients, int seconds, bool sync) {
    ProcessClusterOptions o;
    if (!sync) o.extra_args = {"--no-sync"};
    ProcessCluster c(o);
    c.start_all();
    int leader = -1;
    if (wait_leader_ms(c, Clock::now(), leader, Millis(10000)) < 0) {
        std::cerr << "no leader\n";
        return 1;
    }
    std::vector<std::map<std::string, std::string>> before;
    for (int i = 0; i < c.size(); ++i)
        before.push_back(c.state(i));
    std::atomic<bool> stop{false};
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
    std::atomic<std::uint64_t> errors{0};
    std::vector<std::thread> threads;
    const auto started = Clock::now();
    for (int w = 0; w < clients; ++w) {
        threads.emplace_back([&, w] {
            int target = leader;
            auto client = std::make_unique<ControlClient>(c.dir(target) + "/control.sock");
            auto& lat = latencies[static_cast<std::size_t>(w)];
            for (std::uint64_t n = 0; !stop; ++n) {
                const auto t0 = Clock::now();
                auto answer = client->request(
                    "propose c" + std::to_string(w) + "-" + std::to_string(n), Millis(10000));
                if (answer && answer->rfind("ok ", 0) == 0) {
                    lat.push_back(
                        std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
                    continue;
                }
                if (errors++ < 3) {
                    std::fprintf(stderr, "client %d: %s\n", w,
                                 answer ? answer->c_str() : "no answer");
                }
                // Follow the leader the answer names, or try the next node.
                int next = -1;
                if (answer) {
                    auto at = answer->find("the leader is ");
                    if (at != std::string::npos) next = c.index_of(answer->substr(at + 14));
                }
                target = next >= 0 ? next : (target + 1) % c.size();
                client = std::make_unique<ControlClient>(c.dir(target) + "/control.sock");
                std::this_thread::sleep_for(Millis(1));
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    stop = true;
    for (auto& t : threads)
        t.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    std::vector<double> all;
    for (auto& l : latencies)
        all.insert(all.end(), l.begin(), l.end());
    std::printf(
        "clients=%d seconds=%.1f sync=%s writes=%zu errors=%llu terms=%s..%s throughput=%.0f/s "
        "p50=%.3fms p90=%.3fms p99=%.3fms\n",
        clients, elapsed, sync ? "on" : "off", all.size(),
        static_cast<unsigned long long>(errors.load()),
        before[static_cast<std::size_t>(leader)]["term"].c_str(), c.state(leader)["term"].c_str(),
        static_cast<double>(all.size()) / elapsed, percentile(all, 0.5), percentile(all, 0.9),
        percentile(all, 0.99));
    if (errors > 0) {
        // Leadership changed during the run: show the nodes' leadership log lines.
        for (int i = 0; i < c.size(); ++i) {
            std::istringstream lines(c.log_tail(i, 400));
            std::string line;
            while (std::getline(lines, line)) {
                if (line.find("leader") != std::string::npos ||
                    line.find("stepping") != std::string::npos) {
                    std::printf("  node %d log: %s\n", i, line.c_str());
                }
            }
        }
    }
    for (int i = 0; i < c.size(); ++i) {
        auto s = c.state(i);
        const auto b = before[static_cast<std::size_t>(i)];
        const double syncs = static_cast<double>(field(s, "syncs") - field(b, "syncs"));
        const double entries = static_cast<double>(field(s, "committed") - field(b, "committed"));
        const double batches = static_cast<double>(field(s, "batches") - field(b, "batches"));
        std::printf(
            "  node %d (%s%s): fsyncs=%.0f disk_batches=%.0f committed=%.0f "
            "fsyncs_per_entry=%.3f snapshots_taken=%s snapshots_installed=%s\n",
            i, c.identity(i).c_str(), i == leader ? ", leader" : "", syncs, batches, entries,
            entries > 0 ? syncs / entries : 0.0, s["snapshots_taken"].c_str(),
            s["snapshots_installed"].c_str());
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: orcraft-raft-bench failover [--rounds N] | load [--clients N] "
                     "[--seconds S] [--no-sync]\n";
        return 2;
    }
    const std::string mode = argv[1];
    int rounds = 10, clients = 16, seconds = 10;
    bool sync = true;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--rounds" && i + 1 < argc) {
            rounds = std::stoi(argv[++i]);
        } else if (a == "--clients" && i + 1 < argc) {
            clients = std::stoi(argv[++i]);
        } else if (a == "--seconds" && i + 1 < argc) {
            seconds = std::stoi(argv[++i]);
        } else if (a == "--no-sync") {
            sync = false;
        } else {
            std::cerr << "unknown option " << a << "\n";
            return 2;
        }
    }
    ::signal(SIGPIPE, SIG_IGN);
    if (mode == "failover") return failover(rounds);
    if (mode == "load") return load(clients, seconds, sync);
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
}
