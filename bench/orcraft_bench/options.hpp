#pragma once
// The command line of orcraft-bench.
//
// parse_options() turns argv into Options or throws OptionError with a message for the user;
// usage() is the --help text. Targets are plain http:// URLs with an optional path prefix
// (orcraft's URLPrefix): "http://127.0.0.1:3000", "http://10.0.0.2:3000/orc".

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace orcraft::bench {

class OptionError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct TargetUrl {
    std::string host;
    std::uint16_t port = 80;
    std::string prefix;  // without a trailing '/', empty or starting with '/'
    std::string text;    // as given, for messages
};

enum class Workload { Insert, Batch, SelectWeak, SelectLinearizable };
enum class Protocol { Orcraft, Etcd };

const char* workload_name(Workload workload);
bool is_write(Workload workload);

struct Options {
    std::vector<TargetUrl> urls;
    Protocol protocol = Protocol::Orcraft;
    Workload workload = Workload::Insert;
    int clients = 1;
    int threads = 1;  // event-loop threads sharing the clients
    double duration_s = 10;
    double warmup_s = 1;
    int value_size = 100;
    int batch = 10;
    int rows = 10'000;  // rows loaded before a select workload
    double timeout_s = 10;
    std::string table = "bench";
    bool keep_table = false;  // do not drop and recreate the table before writing
    std::optional<std::string> ack_log;
    bool json = false;
    bool progress = true;
    std::uint64_t seed = 1;
    bool metrics = true;                  // read fsyncs per committed entry from the nodes' metrics
    std::vector<TargetUrl> metrics_urls;  // the nodes whose metrics are read; empty: urls
    std::string fsync_metric;             // empty: the protocol's default
    std::string commit_metric;            // empty: the protocol's default
    // Stop once this many requests were answered 200 (0: run for the duration).
    std::uint64_t max_requests = 0;
    // Failover probe (failover.hpp): send kill_signal to kill_pid, then time the first write
    // acknowledged through --url (the surviving nodes). 0: no probe, the load run instead.
    int kill_pid = 0;
    int kill_signal = 9;  // SIGKILL
};

Options parse_options(int argc, const char* const* argv);
TargetUrl parse_url(const std::string& text);
std::string usage();

}  // namespace orcraft::bench
