#include "bench/orcraft_bench/options.hpp"

#include <cctype>
#include <charconv>
#include <csignal>
#include <cstdlib>

namespace orcraft::bench {
namespace {

template <typename T>
T number(const std::string& name, const std::string& text, T low, T high) {
    T value{};
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || value < low || value > high)
        throw OptionError(name + ": expected a number from " + std::to_string(low) + " to " +
                          std::to_string(high) + ", got '" + text + "'");
    return value;
}

double seconds(const std::string& name, const std::string& text, double low) {
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(value >= low) || value > 86'400)
        throw OptionError(name + ": expected seconds, got '" + text + "'");
    return value;
}

Workload parse_workload(const std::string& text) {
    if (text == "insert") return Workload::Insert;
    if (text == "batch") return Workload::Batch;
    if (text == "select-weak") return Workload::SelectWeak;
    if (text == "select-linearizable") return Workload::SelectLinearizable;
    throw OptionError("--workload: one of insert, batch, select-weak, select-linearizable; got '" +
                      text + "'");
}

// Appends every URL of a comma-separated list.
void append_urls(const std::string& list, std::vector<TargetUrl>& out) {
    std::size_t start = 0;
    while (start <= list.size()) {
        auto comma = list.find(',', start);
        auto item = list.substr(start, comma - start);
        if (!item.empty()) out.push_back(parse_url(item));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
}

}  // namespace

const char* workload_name(Workload workload) {
    switch (workload) {
        case Workload::Insert:
            return "insert";
        case Workload::Batch:
            return "batch";
        case Workload::SelectWeak:
            return "select-weak";
        case Workload::SelectLinearizable:
            return "select-linearizable";
    }
    return "?";
}

bool is_write(Workload workload) {
    return workload == Workload::Insert || workload == Workload::Batch;
}

TargetUrl parse_url(const std::string& text) {
    const std::string scheme = "http://";
    if (text.rfind(scheme, 0) != 0)
        throw OptionError("--url: only http:// URLs, got '" + text + "'");
    auto rest = text.substr(scheme.size());
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    TargetUrl url;
    url.text = text;
    if (slash != std::string::npos) {
        url.prefix = rest.substr(slash);
        while (!url.prefix.empty() && url.prefix.back() == '/')
            url.prefix.pop_back();
    }
    auto colon = authority.rfind(':');
    if (colon == std::string::npos || authority.back() == ']') {
        url.host = authority;
    } else {
        url.host = authority.substr(0, colon);
        url.port = number<std::uint16_t>("--url port", authority.substr(colon + 1), 1, 65535);
    }
    if (url.host.size() > 2 && url.host.front() == '[' && url.host.back() == ']')
        url.host = url.host.substr(1, url.host.size() - 2);
    if (url.host.empty()) throw OptionError("--url: no host in '" + text + "'");
    return url;
}

Options parse_options(int argc, const char* const* argv) {
    Options o;
    bool timeout_given = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool has_inline = false;
        if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_inline = true;
        }
        auto next = [&]() -> std::string {
            if (has_inline) return value;
            if (i + 1 >= argc) throw OptionError(arg + ": missing value");
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            throw OptionError("");
        } else if (arg == "--url") {
            append_urls(next(), o.urls);
        } else if (arg == "--metrics-url") {
            append_urls(next(), o.metrics_urls);
        } else if (arg == "--etcd") {
            o.protocol = Protocol::Etcd;
        } else if (arg == "--workload") {
            o.workload = parse_workload(next());
        } else if (arg == "--clients") {
            o.clients = number<int>(arg, next(), 1, 100'000);
        } else if (arg == "--threads") {
            o.threads = number<int>(arg, next(), 1, 256);
        } else if (arg == "--duration") {
            o.duration_s = seconds(arg, next(), 0.001);
        } else if (arg == "--warmup") {
            o.warmup_s = seconds(arg, next(), 0);
        } else if (arg == "--value-size") {
            o.value_size = number<int>(arg, next(), 0, 16 << 20);
        } else if (arg == "--batch") {
            o.batch = number<int>(arg, next(), 1, 100'000);
        } else if (arg == "--rows") {
            o.rows = number<int>(arg, next(), 1, 100'000'000);
        } else if (arg == "--timeout") {
            o.timeout_s = seconds(arg, next(), 0.001);
            timeout_given = true;
        } else if (arg == "--table") {
            o.table = next();
            for (char c : o.table)
                if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
                    throw OptionError("--table: letters, digits and '_' only");
            if (o.table.empty()) throw OptionError("--table: empty");
        } else if (arg == "--keep-table") {
            o.keep_table = true;
        } else if (arg == "--ack-log") {
            o.ack_log = next();
        } else if (arg == "--json") {
            o.json = true;
        } else if (arg == "--quiet") {
            o.progress = false;
        } else if (arg == "--no-metrics") {
            o.metrics = false;
        } else if (arg == "--fsync-metric") {
            o.fsync_metric = next();
        } else if (arg == "--commit-metric") {
            o.commit_metric = next();
        } else if (arg == "--requests") {
            o.max_requests = number<std::uint64_t>(arg, next(), 1, UINT64_MAX);
        } else if (arg == "--kill-pid") {
            o.kill_pid = number<int>(arg, next(), 2, INT32_MAX);
        } else if (arg == "--signal") {
            auto name = next();
            if (name == "KILL" || name == "SIGKILL" || name == "9")
                o.kill_signal = SIGKILL;
            else if (name == "TERM" || name == "SIGTERM" || name == "15")
                o.kill_signal = SIGTERM;
            else
                throw OptionError("--signal: KILL or TERM, got '" + name + "'");
        } else if (arg == "--seed") {
            o.seed = number<std::uint64_t>(arg, next(), 0, UINT64_MAX);
        } else {
            throw OptionError("unknown option '" + arg + "' (see --help)");
        }
    }
    if (o.urls.empty()) o.urls.push_back(parse_url("http://127.0.0.1:3000"));
    if (o.kill_pid != 0 && !timeout_given) o.timeout_s = 1;
    if (o.max_requests > 0) o.warmup_s = 0;
    if (o.threads > o.clients) o.threads = o.clients;
    return o;
}

std::string usage() {
    return R"(usage: orcraft-bench [options]

Drives an orcraft node or cluster (or etcd, with --etcd) over kept-alive HTTP/1.1 connections
and reports throughput, latency percentiles and errors by kind.

  --url URL             target, repeatable or comma-separated (default http://127.0.0.1:3000);
                        clients are spread over the URLs and move to the next one after a
                        connection error or a 5xx answer
  --workload W          insert (one single-row INSERT per request, default), batch (--batch rows
                        per request), select-weak, select-linearizable (point SELECT by primary
                        key on --rows rows loaded first)
  --clients N           concurrent connections, each with one request in flight (default 1)
  --threads T           event-loop threads sharing the connections (default 1)
  --duration S          measured seconds (default 10)
  --warmup S            seconds run before measuring (default 1)
  --value-size B        bytes of the value column (default 100)
  --batch K             rows per request of the batch workload (default 10)
  --rows N              rows loaded for the select workloads (default 10000)
  --timeout S           seconds before a request counts as timed out (default 10)
  --table NAME          table used (default bench); it is dropped and recreated first
  --keep-table          keep an existing table instead (ids must then not collide: use --seed)
  --ack-log FILE        write the id of every row whose INSERT was acknowledged (200), one a line
  --json                also print the summary as one JSON line at the end
  --quiet               no progress lines
  --seed N              seeds the keys chosen by select workloads, and the high bits of inserted ids
  --no-metrics          do not read the nodes' metrics
  --metrics-url URL     the nodes whose metrics are read, repeatable or comma-separated
                        (default: the --url targets)
  --fsync-metric NAME   the fsync counter read from /api/metrics (default
                        orcraft_raft_fsyncs_total; with --etcd
                        etcd_disk_wal_fsync_duration_seconds_count from /metrics)
  --commit-metric NAME  the commit index read from the metrics (default orcraft_raft_commit_index;
                        with --etcd etcd_server_proposals_committed_total)
  --etcd                speak etcd's v3 HTTP/JSON gateway instead (put, txn, range)
  --requests N          stop once N requests were answered 200 (--duration is then a limit, and
                        there is no warmup)

Failover probe (instead of a load run):
  --kill-pid PID        send --signal to PID, then write through every --url (the surviving
                        nodes) until one write is answered 200, and print the seconds from the
                        signal to that answer; a new attempt starts every 20 ms on each URL, each
                        bounded by --timeout (default 1 s in this mode); gives up after --duration
  --signal KILL|TERM    the signal sent (default KILL)
)";
}

}  // namespace orcraft::bench
