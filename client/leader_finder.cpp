#include "client/leader_finder.hpp"

namespace orcraft::client {

std::string LeaderSearch::failure_report(const std::vector<ApiUrl>& urls) const {
    std::string out = "no leader found among " + std::to_string(urls.size()) + " API URL" +
                      (urls.size() == 1 ? "" : "s") + ":";
    for (std::size_t i = 0; i < urls.size(); ++i) {
        out += "\n  " + urls[i].api_root() + ":";
        bool first = true;
        for (const auto& attempt : attempts) {
            if (attempt.url_index != i) continue;
            out += (first ? " " : "; ") + attempt.check + ": " + attempt.outcome;
            first = false;
        }
        if (first) out += " not tried";
    }
    return out;
}

LeaderSearch find_leader(const std::vector<ApiUrl>& urls, const Caller& caller,
                         const CallOptions& probe) {
    LeaderSearch search;
    std::vector<bool> reachable(urls.size(), false);
    for (const std::string_view check : {"leader-check", "routed-leader-check"}) {
        const bool second_pass = check != "leader-check";
        for (std::size_t i = 0; i < urls.size(); ++i) {
            if (second_pass && !reachable[i]) continue;
            const CallResult result = caller(urls[i], "GET", check, "", probe);
            search.attempts.push_back({i, std::string(check), result.describe()});
            if (result.answered()) reachable[i] = true;
            if (result.answered() && result.status == 200) {
                search.chosen = i;
                search.chosen_by = check;
                return search;
            }
        }
    }
    return search;
}

}  // namespace orcraft::client
