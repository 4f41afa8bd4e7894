// raft_testnode: one Raft node with a FileListStateMachine, driven by tests through a line
// protocol on a Unix socket (so that it works the same on loopback and inside network
// namespaces). SIGTERM stops the node gracefully: a leader hands leadership over first.
//
//   raft_testnode --identity IP:PORT --dir DIR --peers IP:PORT,IP:PORT,... [options]
//
// DIR holds raft/ (the RaftDataDir), list (the state machine), control.sock and nothing else;
// deleting DIR wipes the node. Options: --cluster NAME, --http-url URL, --snapshot-threshold N,
// --trailing N, --disk-stall-ms N, --transfer-ms N (SIGTERM), --election-ticks N, --tick-ms N,
// --no-sync, --join (start with an empty bootstrap and wait to be added).
//
// Requests and answers, one line each ("err <code> <message>" on failure):
//   propose <value>  -> ok <index>                   (after the entry applied here)
//   read             -> ok <applied> <count> <v1,v2,...>   (linearizable: ReadIndex first)
//   list             -> ok <applied> <count> <v1,v2,...>   (local, no ReadIndex)
//   state            -> ok role=.. term=.. leader=.. leader_url=.. commit=.. applied=.. last=..
//                       snapshot=.. syncs=.. batches=.. committed=.. proposals=..
//                       snapshots_taken=.. snapshots_installed=..
//   transfer         -> ok <message>                 (to the most up-to-date other voter)
//   snapshot         -> ok <message>
//   stall | unstall  -> ok                           (hold / release every disk write)
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>

#include "file_list_state_machine.hpp"
#include "raft/node/node.hpp"
#include "stalling_log_store.hpp"

using namespace orcraft::raft;
namespace fs = std::filesystem;

namespace {

struct Args {
    std::string identity;
    std::string dir;
    std::vector<std::string> peers;
    std::string cluster = "raft-test";
    std::string http_url;
    std::uint64_t snapshot_threshold = 8192;
    std::uint64_t trailing = 10240;
    int disk_stall_ms = 2000;
    int transfer_ms = 3000;
    int election_ticks = 30;
    int tick_ms = 10;
    bool sync = true;
    bool join = false;
};

[[noreturn]] void usage(const std::string& why) {
    std::cerr << "raft_testnode: " << why << "\n";
    std::exit(2);
}

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(k + " needs a value");
            return argv[++i];
        };
        if (k == "--identity") {
            a.identity = value();
        } else if (k == "--dir") {
            a.dir = value();
        } else if (k == "--peers") {
            std::stringstream ss(value());
            std::string p;
            while (std::getline(ss, p, ','))
                if (!p.empty()) a.peers.push_back(p);
        } else if (k == "--cluster") {
            a.cluster = value();
        } else if (k == "--http-url") {
            a.http_url = value();
        } else if (k == "--snapshot-threshold") {
            a.snapshot_threshold = std::stoull(value());
        } else if (k == "--trailing") {
            a.trailing = std::stoull(value());
        } else if (k == "--disk-stall-ms") {
            a.disk_stall_ms = std::stoi(value());
        } else if (k == "--transfer-ms") {
            a.transfer_ms = std::stoi(value());
        } else if (k == "--election-ticks") {
            a.election_ticks = std::stoi(value());
        } else if (k == "--tick-ms") {
            a.tick_ms = std::stoi(value());
        } else if (k == "--no-sync") {
            a.sync = false;
        } else if (k == "--join") {
            a.join = true;
        } else {
            usage("unknown option " + k);
        }
    }
    if (a.identity.empty() || a.dir.empty()) usage("--identity and --dir are required");
    return a;
}

PeerAddress peer_of(const std::string& identity) {
    auto colon = identity.rfind(':');
    if (colon == std::string::npos) usage("bad address " + identity);
    PeerAddress p;
    p.identity = identity;
    p.host = identity.substr(0, colon);
    p.port = static_cast<std::uint16_t>(std::stoi(identity.substr(colon + 1)));
    p.id = node_id_for(identity);
    return p;
}

std::string join_values(const std::vector<std::string>& values) {
    std::string out;
    for (const auto& v : values) {
        if (!out.empty()) out += ',';
        out += v;
    }
    return out;
}

std::string no_spaces(std::string s) {
    for (char& c : s)
        if (c == ' ' || c == '\n') c = '_';
    return s;
}

class Control {
  public:
    Control(Node& node, testnode::FileListStateMachine& sm, testing::DiskGate& gate)
        : node_(node), sm_(sm), gate_(gate) {}

    std::string handle(const std::string& line) {
        std::string cmd = line.substr(0, line.find(' '));
        std::string arg = line.size() > cmd.size() ? line.substr(cmd.size() + 1) : "";
        if (cmd == "propose") return propose(arg);
        if (cmd == "read") return read();
        if (cmd == "list") return list();
        if (cmd == "state") return state();
        if (cmd == "transfer")
            return wait_bool([&](auto done) { node_.transfer_leadership(0, done); });
        if (cmd == "snapshot") return wait_bool([&](auto done) { node_.snapshot_now(done); });
        if (cmd == "stall") {
            gate_.stall();
            return "ok";
        }
        if (cmd == "unstall") {
            gate_.release();
            return "ok";
        }
        return "err bad_request unknown command " + cmd;
    }

  private:
    std::string propose(const std::string& value) {
        auto p = std::make_shared<std::promise<ProposeOutcome>>();
        auto f = p->get_future();
        node_.propose(value, [p](ProposeOutcome o) { p->set_value(std::move(o)); });
        ProposeOutcome o = f.get();
        if (o.error == ProposeError::kNone) return "ok " + std::to_string(o.index);
        return std::string("err ") + no_spaces(to_string(o.error)) + " " + o.message;
    }

    std::string read() {
        auto p = std::make_shared<std::promise<std::string>>();
        auto f = p->get_future();
        node_.read_index([p](bool ok, Index, std::string error) {
            p->set_value(ok ? std::string() : "err read_failed " + error);
        });
        std::string error = f.get();
        if (!error.empty()) return error;
        return list();
    }

    std::string list() {
        auto [applied, values] = sm_.contents();
        return "ok " + std::to_string(applied) + " " + std::to_string(values.size()) + " " +
               join_values(values);
    }

    std::string state() {
        NodeState s = node_.state();
        std::ostringstream out;
        out << "ok role=" << no_spaces(to_string(s.role)) << " term=" << s.term
            << " leader=" << (s.leader_identity.empty() ? "-" : s.leader_identity)
            << " leader_url=" << (s.leader_http_url.empty() ? "-" : s.leader_http_url)
            << " commit=" << s.commit << " applied=" << s.applied << " last=" << s.last_index
            << " snapshot=" << s.snapshot_index << " syncs=" << s.syncs
            << " batches=" << s.disk_batches << " committed=" << s.entries_committed
            << " proposals=" << s.proposals << " snapshots_taken=" << s.snapshots_taken
            << " snapshots_installed=" << s.snapshots_installed << " voters=" << s.voters.size()
            << " error=" << (s.error.empty() ? "-" : no_spaces(s.error));
        return out.str();
    }

    template <typename Call>
    std::string wait_bool(Call call) {
        auto p = std::make_shared<std::promise<std::pair<bool, std::string>>>();
        auto f = p->get_future();
        call([p](bool ok, std::string m) { p->set_value({ok, std::move(m)}); });
        auto [ok, message] = f.get();
        return (ok ? "ok " : "err failed ") + message;
    }

    Node& node_;
    testnode::FileListStateMachine& sm_;
    testing::DiskGate& gate_;
};

void serve_connection(int fd, Control& control) {
    std::string buffer;
    char chunk[4096];
    for (;;) {
        ssize_t n = ::read(fd, chunk, sizeof(chunk));
        if (n <= 0) break;
        buffer.append(chunk, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = buffer.find('\n')) != std::string::npos) {
            std::string line = buffer.substr(0, nl);
            buffer.erase(0, nl + 1);
            std::string answer = control.handle(line) + "\n";
            std::size_t done = 0;
            while (done < answer.size()) {
                ssize_t w = ::write(fd, answer.data() + done, answer.size() - done);
                if (w <= 0) {
                    ::close(fd);
                    return;
                }
                done += static_cast<std::size_t>(w);
            }
        }
    }
    ::close(fd);
}

int listen_unix(const std::string& path) {
    ::unlink(path.c_str());
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) usage("socket path too long: " + path);
    std::strcpy(addr.sun_path, path.c_str());
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd, 128) != 0) {
        usage("cannot listen on " + path + ": " + std::strerror(errno));
    }
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    Args args = parse(argc, argv);
    // SIGTERM and SIGINT are taken by sigwait() below; every thread inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    fs::create_directories(args.dir + "/raft");
    auto sm = std::make_shared<testnode::FileListStateMachine>(args.dir + "/list");
    auto gate = std::make_shared<testing::DiskGate>();

    NodeOptions o;
    PeerAddress self = peer_of(args.identity);
    o.data_dir = args.dir + "/raft";
    o.transport.cluster = args.cluster;
    o.transport.self = self.id;
    o.transport.identity = self.identity;
    o.transport.http_url = args.http_url.empty() ? "http://" + self.host + ":3000" : args.http_url;
    o.transport.listen_host = self.host;
    o.transport.listen_port = self.port;
    if (!args.join) {
        for (const auto& p : args.peers)
            o.bootstrap.push_back(peer_of(p));
        if (o.bootstrap.empty()) o.bootstrap.push_back(self);
    }
    o.snapshot_threshold = args.snapshot_threshold;
    o.trailing_entries = args.trailing;
    o.disk_stall_ms = args.disk_stall_ms;
    o.core.election_ticks = args.election_ticks;
    o.tick_ms = args.tick_ms;
    o.sync = args.sync;
    o.open_log_store = [gate](const std::string& dir, const LogStoreOptions& lo) {
        return std::make_unique<testing::StallingLogStore>(LogStore::open(dir, lo), gate);
    };

    std::unique_ptr<Node> node;
    try {
        node = Node::start(o, sm);
    } catch (const std::exception& e) {
        spdlog::critical("raft_testnode: {}", e.what());
        return 1;
    }
    Control control(*node, *sm, *gate);
    const std::string sock = args.dir + "/control.sock";
    int listener = listen_unix(sock);
    std::thread([listener, &control] {
        for (;;) {
            int fd = ::accept(listener, nullptr, nullptr);
            if (fd < 0) {
                if (errno == EINTR) continue;
                return;
            }
            std::thread(serve_connection, fd, std::ref(control)).detach();
        }
    }).detach();
    spdlog::info("raft_testnode: {} ready, control at {}", args.identity, sock);

    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("raft_testnode: {} got signal {}, stopping", args.identity, sig);
    gate->release();
    node->stop(args.transfer_ms);
    spdlog::info("raft_testnode: {} exits", args.identity);
    // Connection threads may still be blocked on their sockets: leave without joining them.
    std::fflush(nullptr);
    std::_Exit(0);
}
