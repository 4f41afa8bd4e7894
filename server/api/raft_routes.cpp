#include "server/api/raft_routes.hpp"

#include <algorithm>

#include "server/api/api.hpp"

namespace orcraft::server::api {
namespace {

http::Response bare(int status, const nlohmann::json& value) {
    return http::Response::json(status, value);
}

nlohmann::json raft_status_json(const backend::RaftView& v) {
    return {
        {"RaftBind", v.bind},
        {"RaftAdvertise", v.self},
        {"State", v.state},
        {"Healthy", v.healthy},
        {"IsPartOfQuorum", v.is_voter},
        {"Leader", v.leader},
        {"LeaderURI", v.leader_url},
        {"Peers", v.peers},
        // orcraft's additions.
        {"Term", v.term},
        {"CommitIndex", v.commit},
        {"AppliedIndex", v.applied},
        {"LastIndex", v.last_index},
        {"SnapshotIndex", v.snapshot_index},
    };
}

}  // namespace

bool is_raft_endpoint(const std::string& name) {
    static const std::vector<std::string> names = {"raft-state",
                                                   "raft-leader",
                                                   "raft-health",
                                                   "raft-status",
                                                   "raft-peers",
                                                   "raft-snapshot",
                                                   "raft-yield",
                                                   "raft-yield-hint",
                                                   "raft-add-peer",
                                                   "raft-remove-peer",
                                                   "raft-follower-health-report"};
    return std::find(names.begin(), names.end(), name) != names.end();
}

void handle_raft_endpoint(backend::RaftControl* raft, const std::vector<std::string>& seg,
                          const http::Responder& responder) {
    const std::string& name = seg.at(0);
    if (raft == nullptr) {
        responder.respond(envelope_error(name + ": not running with raft setup"));
        return;
    }
    const bool with_argument = name == "raft-yield" || name == "raft-yield-hint" ||
                               name == "raft-add-peer" || name == "raft-remove-peer";
    if (seg.size() != (with_argument ? 2u : 1u)) {
        responder.respond(envelope_error(with_argument
                                             ? name + ": expected /api/" + name + "/<argument>"
                                             : name + ": takes no argument",
                                         nullptr, 404));
        return;
    }
    const std::string arg = with_argument ? seg[1] : "";

    if (name == "raft-state") {
        responder.respond(bare(200, raft->view().state));
    } else if (name == "raft-leader") {
        responder.respond(bare(200, raft->view().leader));
    } else if (name == "raft-health") {
        responder.respond(raft->view().healthy ? bare(200, "healthy")
                                               : envelope_error("unhealthy"));
    } else if (name == "raft-status") {
        responder.respond(bare(200, raft_status_json(raft->view())));
    } else if (name == "raft-peers") {
        responder.respond(bare(200, raft->view().peers));
    } else if (name == "raft-snapshot") {
        raft->snapshot([responder](backend::RaftReply r) {
            responder.respond(r.ok ? bare(200, "snapshot created")
                                   : envelope_error("Cannot create snapshot: " + r.message));
        });
    } else if (name == "raft-yield") {
        raft->yield_to(arg, [responder, arg](backend::RaftReply r) {
            responder.respond(r.ok ? envelope_ok("Asynchronously yielded", arg)
                                   : envelope_error("Cannot yield: " + r.message, arg));
        });
    } else if (name == "raft-yield-hint") {
        raft->yield_by_hint(arg, [responder, arg](backend::RaftReply r) {
            responder.respond(
                r.ok ? envelope_ok("Asynchronously yielded by hint " + arg, arg)
                     : envelope_error("Cannot yield by hint " + arg + ": " + r.message, arg));
        });
    } else if (name == "raft-add-peer") {
        raft->add_peer(arg, [responder](backend::RaftReply r) {
            responder.respond(r.ok ? bare(200, r.message)
                                   : envelope_error("Cannot add raft peer: " + r.message));
        });
    } else if (name == "raft-remove-peer") {
        raft->remove_peer(arg, [responder](backend::RaftReply r) {
            responder.respond(r.ok ? bare(200, r.message)
                                   : envelope_error("Cannot remove raft peer: " + r.message));
        });
    } else {
        // raft-follower-health-report: orchestrator's followers report to their leader; orcraft's
        // leader knows its followers' state from raft itself.
        responder.respond(envelope_ok("Follower health report ignored"));
    }
}

}  // namespace orcraft::server::api
