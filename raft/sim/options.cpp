#include <sstream>

#include "raft/sim/options.hpp"

namespace orcraft::raft::sim {

namespace {
struct Named {
    const char* name;
    Fault fault;
};
constexpr Named kNames[] = {
    {"net", kFaultNet},       {"partition", kFaultPartition}, {"oneway", kFaultOneWay},
    {"crash", kFaultCrash},   {"disk", kFaultDisk},           {"clock", kFaultClock},
    {"member", kFaultMember}, {"transfer", kFaultTransfer},   {"snapshot", kFaultSnapshot}};
}  // namespace

std::optional<std::uint32_t> parse_faults(const std::string& list) {
    if (list == "all") return kAllFaults;
    if (list == "none" || list.empty()) return 0u;
    std::uint32_t out = 0;
    std::stringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) {
        bool found = false;
        for (const auto& n : kNames) {
            if (item == n.name) {
                out |= n.fault;
                found = true;
            }
        }
        if (!found) return std::nullopt;
    }
    return out;
}

std::string faults_to_string(std::uint32_t faults) {
    if (faults == kAllFaults) return "all";
    std::string out;
    for (const auto& n : kNames) {
        if (faults & n.fault) out += (out.empty() ? "" : ",") + std::string(n.name);
    }
    return out.empty() ? "none" : out;
}

}  // namespace orcraft::raft::sim
