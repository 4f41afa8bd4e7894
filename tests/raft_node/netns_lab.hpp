// Network namespaces for partition tests: a "switch" namespace holding a bridge, and one
// namespace per node joined to it by a veth pair, each with its own IP. Nothing is changed in
// the namespace the test runs in. isolate() drops every IP packet of one node with nftables
// (both directions); heal() removes the rules. The destructor deletes the namespaces.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace orcraft::raft::testing {

class NetnsLab {
  public:
    // Builds the lab, or returns null with `why_not` set (not root, no `ip`, no namespaces).
    static std::unique_ptr<NetnsLab> create(int nodes, std::string& why_not);
    ~NetnsLab();
    NetnsLab(const NetnsLab&) = delete;
    NetnsLab& operator=(const NetnsLab&) = delete;

    const std::string& ns(int i) const { return namespaces_.at(static_cast<std::size_t>(i)); }
    const std::string& ip(int i) const { return ips_.at(static_cast<std::size_t>(i)); }
    const std::vector<std::string>& namespaces() const { return namespaces_; }
    const std::vector<std::string>& ips() const { return ips_; }

    // Cuts node i off the network (its own loopback and Unix sockets keep working).
    void isolate(int i);
    void heal(int i);

  private:
    NetnsLab() = default;
    std::string switch_ns_;
    std::vector<std::string> namespaces_;
    std::vector<std::string> ips_;
};

// Runs a shell command; returns its exit status and puts its output (stdout and stderr) in
// `output` if given.
int run_command(const std::string& command, std::string* output = nullptr);

}  // namespace orcraft::raft::testing
