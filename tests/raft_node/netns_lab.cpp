#include "netns_lab.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

namespace orcraft::raft::testing {

int run_command(const std::string& command, std::string* output) {
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    if (p == nullptr) return -1;
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof(buf), p) != nullptr)
        out += buf;
    int status = ::pclose(p);
    if (output) *output = out;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

namespace {

void must(const std::string& command) {
    std::string out;
    if (run_command(command, &out) != 0) {
        throw std::runtime_error("`" + command + "` failed: " + out);
    }
}

}  // namespace

std::unique_ptr<NetnsLab> NetnsLab::create(int nodes, std::string& why_not) {
    if (::geteuid() != 0) {
        why_not = "not running as root";
        return nullptr;
    }
    std::string out;
    if (run_command("ip -V", &out) != 0) {
        why_not = "the `ip` command is missing (install iproute2)";
        return nullptr;
    }
    if (run_command("nft --version", &out) != 0) {
        why_not = "the `nft` command is missing (install nftables)";
        return nullptr;
    }
    std::unique_ptr<NetnsLab> lab(new NetnsLab());
    const std::string tag = "rnode" + std::to_string(::getpid());
    lab->switch_ns_ = tag + "-sw";
    if (run_command("ip netns add " + lab->switch_ns_, &out) != 0) {
        why_not = "cannot create a network namespace: " + out;
        lab->switch_ns_.clear();
        return nullptr;
    }
    must("ip -n " + lab->switch_ns_ + " link add br0 type bridge");
    must("ip -n " + lab->switch_ns_ + " link set br0 up");
    for (int i = 0; i < nodes; ++i) {
        const std::string ns = tag + "-n" + std::to_string(i);
        const std::string ip = "10.213.0." + std::to_string(i + 1);
        must("ip netns add " + ns);
        lab->namespaces_.push_back(ns);
        lab->ips_.push_back(ip);
        const std::string port = "port" + std::to_string(i);
        must("ip -n " + lab->switch_ns_ + " link add " + port + " type veth peer name eth0 netns " +
             ns);
        must("ip -n " + lab->switch_ns_ + " link set " + port + " master br0 up");
        must("ip -n " + ns + " addr add " + ip + "/24 dev eth0");
        must("ip -n " + ns + " link set eth0 up");
        must("ip -n " + ns + " link set lo up");
    }
    return lab;
}

NetnsLab::~NetnsLab() {
    for (const auto& ns : namespaces_)
        run_command("ip netns del " + ns);
    if (!switch_ns_.empty()) run_command("ip netns del " + switch_ns_);
}

void NetnsLab::isolate(int i) {
    const std::string in = "ip netns exec " + ns(i) + " nft ";
    must(in + "add table inet orcraft_cut");
    must(
        in +
        "'add chain inet orcraft_cut input { type filter hook input priority 0; policy accept; }'");
    must(in +
         "'add chain inet orcraft_cut output { type filter hook output priority 0; policy accept; "
         "}'");
    must(in + "add rule inet orcraft_cut input iifname eth0 drop");
    must(in + "add rule inet orcraft_cut output oifname eth0 drop");
}

void NetnsLab::heal(int i) {
    must("ip netns exec " + ns(i) + " nft delete table inet orcraft_cut");
}

}  // namespace orcraft::raft::testing
