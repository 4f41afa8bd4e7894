#include "backend/raft_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "backend/command.hpp"
#include "backend/statement_checks.hpp"

namespace orcraft::backend {
namespace {

std::string identity_of(const raft::NodeState& s, raft::NodeId id) {
    for (const auto* list : {&s.voters, &s.learners})
        for (const auto& p : *list)
            if (p.id == id) return p.identity;
    return "";
}

const raft::PeerAddress* member_by_id(const raft::NodeState& s, raft::NodeId id) {
    for (const auto* list : {&s.voters, &s.learners})
        for (const auto& p : *list)
            if (p.id == id) return &p;
    return nullptr;
}

bool is_voter(const raft::NodeState& s, raft::NodeId id) {
    return std::any_of(s.voters.begin(), s.voters.end(),
                       [&](const raft::PeerAddress& p) { return p.id == id; });
}

ExecuteReply not_leader(std::string why) {
    return ExecuteReply{Failure::NotLeader, std::move(why), std::nullopt, {}, 0};
}

QueryReply query_failure(Failure failure, std::string why) {
    return QueryReply{failure, std::move(why), std::nullopt, {}};
}

}  // namespace

const char* raft_state_name(raft::Role role) {
    switch (role) {
        case raft::Role::kLeader:
            return "Leader";
        case raft::Role::kFollower:
            return "Follower";
        case raft::Role::kPreCandidate:
        case raft::Role::kCandidate:
            return "Candidate";
    }
    return "Candidate";
}

ExecuteReply execute_reply_of(const raft::ProposeOutcome& outcome) {
    using raft::ProposeError;
    switch (outcome.error) {
        case ProposeError::kNone:
            break;
        case ProposeError::kNotLeader:
            return not_leader(outcome.message.empty() ? "this node is not the leader"
                                                      : outcome.message);
        case ProposeError::kLeadershipLost:
            return not_leader("leadership changed before the write committed: it was not applied");
        case ProposeError::kRejected:
            return not_leader("the leader refused the write for now (" + outcome.message +
                              "): it was not applied");
        case ProposeError::kTimeout:
            return ExecuteReply{Failure::Timeout,
                                "the write was not confirmed in time: it may still be applied",
                                std::nullopt,
                                {},
                                0};
        case ProposeError::kStopped:
            return ExecuteReply{
                Failure::Timeout,
                "the node stopped before the write was confirmed: it may still be applied",
                std::nullopt,
                {},
                0};
    }
    ExecuteReply reply;
    reply.index = outcome.index;
    ApplyResult result;
    try {
        result = decode_result(outcome.result);
    } catch (const CommandFormatError& e) {
        spdlog::error("raft: the result of entry {} does not decode: {}", outcome.index, e.what());
        reply.failure = Failure::BackendFailure;
        reply.error = std::string("the result of the write does not decode: ") + e.what();
        return reply;
    }
    switch (result.kind) {
        case ApplyResult::Kind::kBatch:
            reply.results = std::move(result.results);
            break;
        case ApplyResult::Kind::kStatementFailed:
            reply.failure = Failure::BadRequest;
            if (result.error) {
                reply.error = result.error->message;
                reply.statement = result.error->statement;
            } else {
                reply.error = "a statement failed";
            }
            break;
        case ApplyResult::Kind::kCommandFailed:
            reply.failure = Failure::BadRequest;
            reply.error = result.message;
            break;
        case ApplyResult::Kind::kHandler:
        case ApplyResult::Kind::kAlreadyApplied:
            reply.failure = Failure::BackendFailure;
            reply.error = "unexpected result for an sql entry";
            break;
    }
    return reply;
}

RaftService::RaftService(std::shared_ptr<SqlStateMachine> state_machine,
                         std::unique_ptr<raft::Node> node, RaftServiceOptions options)
    : state_machine_(std::move(state_machine)),
      node_(std::move(node)),
      options_(std::move(options)),
      clock_(options_.clock_micros, options_.random),
      readers_(options_.reader_threads) {
    node_->on_state_change([this](const raft::NodeState& s) {
        spdlog::info("raft: node {:016x} is {} in term {}, leader {} ({})", s.id,
                     raft_state_name(s.role), s.term,
                     s.leader_identity.empty() ? "unknown" : s.leader_identity,
                     s.leader_http_url.empty() ? "no URL" : s.leader_http_url);
        std::lock_guard lock(observers_mutex_);
        for (const auto& observer : observers_)
            observer(s);
    });
    const auto s = node_->state();
    spdlog::info("raft node {:016x} ready, applied index {}, {} voters", s.id, s.applied,
                 s.voters.size());
}

RaftService::~RaftService() {
    stop();
}

void RaftService::execute(std::vector<Statement> batch, std::function<void(ExecuteReply)> done) {
    if (auto refusal = refuse_writes(batch)) {
        done(std::move(*refusal));
        return;
    }
    auto shared = std::make_shared<const std::vector<Statement>>(std::move(batch));
    submit([shared](const Stamp& stamp) { return encode_sql_command(*shared, stamp); },
           [done](raft::ProposeOutcome outcome) { done(execute_reply_of(outcome)); });
}

void RaftService::propose_command(std::string name, std::string payload,
                                  std::function<void(raft::ProposeOutcome)> done) {
    auto command = std::make_shared<Command>();
    command->name = std::move(name);
    command->payload = std::move(payload);
    submit(
        [command](const Stamp& stamp) {
            command->stamp = stamp;
            return encode_command(*command);
        },
        std::move(done));
}

void RaftService::submit(Encoder encode, std::function<void(raft::ProposeOutcome)> done) {
    auto refuse = [&done](std::string why) {
        raft::ProposeOutcome o;
        o.error = raft::ProposeError::kNotLeader;
        o.message = std::move(why);
        done(std::move(o));
    };
    if (stopped_) {
        refuse("node is shutting down");
        return;
    }
    const auto s = node_->state();
    if (s.role != raft::Role::kLeader) {
        refuse("this node is not the leader");
        return;
    }
    if (stamped_term_.load() == s.term) {
        propose_now(encode, std::move(done));
        return;
    }
    // First write of this term: make sure every entry of earlier terms is applied, so the
    // stamp floor covers their stamps (see the header).
    const raft::Term term = s.term;
    node_->read_index([this, encode = std::move(encode), done = std::move(done), term](
                          bool ok, raft::Index, std::string error) mutable {
        if (!ok) {
            raft::ProposeOutcome o;
            o.error = raft::ProposeError::kNotLeader;
            o.message = "leadership could not be confirmed: " + error;
            done(std::move(o));
            return;
        }
        clock_.observe(state_machine_->last_applied_stamp());
        raft::Term expected = stamped_term_.load();
        while (expected < term && !stamped_term_.compare_exchange_weak(expected, term)) {
        }
        propose_now(encode, std::move(done));
    });
}

void RaftService::propose_now(const Encoder& encode,
                              std::function<void(raft::ProposeOutcome)> done) {
    std::lock_guard lock(propose_mutex_);
    clock_.observe(state_machine_->last_applied_stamp());
    node_->propose(encode(clock_.next()), std::move(done));
}

void RaftService::add_state_observer(std::function<void(const raft::NodeState&)> observer) {
    std::lock_guard lock(observers_mutex_);
    observers_.push_back(std::move(observer));
}

void RaftService::read_locally(std::vector<Statement> statements,
                               std::function<void(QueryReply)> done) {
    auto task = [this, statements = std::move(statements), done]() mutable {
        done(run_reads(state_machine_->driver(), statements));
    };
    if (!readers_.post(std::move(task))) {
        done(query_failure(Failure::NotLeader, "node is shutting down"));
    }
}

void RaftService::query(std::vector<Statement> statements, ReadConsistency consistency,
                        std::function<void(QueryReply)> done) {
    if (auto refusal = refuse_reads(statements)) {
        done(std::move(*refusal));
        return;
    }
    if (stopped_) {
        done(query_failure(Failure::NotLeader, "node is shutting down"));
        return;
    }
    switch (consistency.level) {
        case ReadLevel::None:
            if (consistency.freshness) {
                if (auto stale = refuse_stale(*consistency.freshness)) {
                    done(std::move(*stale));
                    return;
                }
            }
            read_locally(std::move(statements), std::move(done));
            return;
        case ReadLevel::Weak:
            if (node_->state().role != raft::Role::kLeader) {
                done(query_failure(Failure::NotLeader,
                                   "this node is not the leader (level none reads any node)"));
                return;
            }
            read_locally(std::move(statements), std::move(done));
            return;
        case ReadLevel::Linearizable: {
            auto shared = std::make_shared<std::vector<Statement>>(std::move(statements));
            node_->read_index([this, shared, done](bool ok, raft::Index, std::string error) {
                if (!ok) {
                    done(query_failure(Failure::NotLeader,
                                       "leadership could not be confirmed: " + error));
                    return;
                }
                read_locally(std::move(*shared), done);
            });
            return;
        }
    }
}

std::optional<QueryReply> RaftService::refuse_stale(std::chrono::milliseconds freshness) {
    const raft::NodeState s = node_->state();
    if (s.role == raft::Role::kLeader) return std::nullopt;
    if (s.since_leader_contact && *s.since_leader_contact <= freshness) return std::nullopt;
    const std::string since =
        s.since_leader_contact
            ? fmt::format("last heard from the leader {:.3f} s ago",
                          std::chrono::duration<double>(*s.since_leader_contact).count())
            : std::string("has had no leader since it started");
    return query_failure(Failure::NotLeader,
                         fmt::format("stale read refused: this node {}, longer than freshness {} "
                                     "ms allows (read from the leader with level weak, or retry)",
                                     since, freshness.count()));
}

RaftView RaftService::view() {
    const auto s = node_->state();
    RaftView v;
    v.state = stopped_ ? "Shutdown" : raft_state_name(s.role);
    v.term = s.term;
    v.self = identity_of(s, s.id);
    v.bind = options_.bind;
    v.leader = s.leader_identity;
    v.leader_url = s.leader_http_url;
    v.is_leader = !stopped_ && s.role == raft::Role::kLeader;
    // A runtime that stopped itself after a disk or backend failure is never healthy, whatever
    // role it last had.
    v.healthy = !stopped_ && s.error.empty() &&
                (v.is_leader || (s.role == raft::Role::kFollower && s.leader != raft::kNoNode));
    v.is_voter = is_voter(s, s.id);
    for (const auto* list : {&s.voters, &s.learners})
        for (const auto& p : *list)
            v.peers.push_back(p.identity);
    if (v.is_leader) {
        // orchestrator lists the members its leader recently heard from.
        for (const auto& p : s.voters)
            if (std::find(s.reachable.begin(), s.reachable.end(), p.id) != s.reachable.end())
                v.healthy_members.push_back(p.identity);
    }
    v.commit = s.commit;
    v.applied = s.applied;
    v.last_index = s.last_index;
    v.snapshot_index = s.snapshot_index;
    return v;
}

NodeStatus RaftService::status() {
    const auto v = view();
    NodeStatus st;
    st.healthy = v.healthy;
    if (!st.healthy) {
        const auto failure = node_->state().error;
        st.error = stopped_           ? "node is shutting down"
                   : !failure.empty() ? "raft node stopped: " + failure
                                      : "no raft leader known";
    }
    st.is_leader = v.is_leader;
    st.hostname = options_.hostname;
    st.token = options_.token;
    st.leader = v.leader;
    st.leader_token = v.is_leader ? options_.token : "";
    st.leader_url = v.leader_url;
    st.available_nodes = v.peers;
    st.mode = "raft";
    return st;
}

void RaftService::transfer(raft::NodeId to, std::function<void(RaftReply)> done) {
    if (node_->state().role != raft::Role::kLeader) {
        done(RaftReply{false, "this node is not the leader"});
        return;
    }
    node_->transfer_leadership(to, [done](bool ok, std::string message) {
        done(RaftReply{ok, std::move(message)});
    });
}

void RaftService::reelect(std::function<void(ElectionReply)> done) {
    const auto s = node_->state();
    if (s.role == raft::Role::kLeader && s.voters.size() <= 1) {
        done(ElectionReply{true, "Set re-elections"});
        return;
    }
    transfer(0, [done](RaftReply r) {
        done(r.ok ? ElectionReply{true, "Set re-elections"}
                  : ElectionReply{false, "Cannot re-elect: " + r.message});
    });
}

void RaftService::grab_election(std::function<void(ElectionReply)> done) {
    // Forwarded to the leader by the HTTP layer, so the node answering is the leader already.
    if (node_->state().role == raft::Role::kLeader) {
        done(ElectionReply{true, "Node elected as leader"});
        return;
    }
    done(ElectionReply{false, "Unable to grab election: this node is not the raft leader"});
}

void RaftService::yield_to(const std::string& address, std::function<void(RaftReply)> done) {
    raft::PeerAddress target;
    try {
        target = options_.normalize(address);
    } catch (const std::exception& e) {
        done(RaftReply{false, e.what()});
        return;
    }
    const auto s = node_->state();
    if (!is_voter(s, target.id)) {
        done(RaftReply{false, target.identity + " is not a voter of the cluster"});
        return;
    }
    if (target.id == s.id && s.role == raft::Role::kLeader) {
        done(RaftReply{true, "already the leader"});
        return;
    }
    transfer(target.id, std::move(done));
}

void RaftService::yield_by_hint(const std::string& hint, std::function<void(RaftReply)> done) {
    const auto s = node_->state();
    for (const auto& p : s.voters) {
        if (p.id == s.id) continue;
        if (p.host.find(hint) != std::string::npos || p.identity.find(hint) != std::string::npos) {
            transfer(p.id, std::move(done));
            return;
        }
    }
    done(RaftReply{false, "no other voter matches the hint " + hint});
}

void RaftService::add_peer(const std::string& address, std::function<void(RaftReply)> done) {
    raft::PeerAddress peer;
    try {
        peer = options_.normalize(address);
    } catch (const std::exception& e) {
        done(RaftReply{false, e.what()});
        return;
    }
    if (node_->state().role != raft::Role::kLeader) {
        done(RaftReply{false, "this node is not the leader"});
        return;
    }
    const std::string identity = peer.identity;
    node_->add_voter(peer, [done, identity](bool ok, std::string message) {
        done(ok ? RaftReply{true, identity} : RaftReply{false, std::move(message)});
    });
}

void RaftService::remove_peer(const std::string& address, std::function<void(RaftReply)> done) {
    raft::PeerAddress peer;
    try {
        peer = options_.normalize(address);
    } catch (const std::exception& e) {
        done(RaftReply{false, e.what()});
        return;
    }
    const auto s = node_->state();
    if (s.role != raft::Role::kLeader) {
        done(RaftReply{false, "this node is not the leader"});
        return;
    }
    if (member_by_id(s, peer.id) == nullptr) {
        done(RaftReply{false, peer.identity + " is not a member of the cluster"});
        return;
    }
    const std::string identity = peer.identity;
    node_->remove_member(peer.id, [done, identity](bool ok, std::string message) {
        done(ok ? RaftReply{true, identity} : RaftReply{false, std::move(message)});
    });
}

void RaftService::snapshot(std::function<void(RaftReply)> done) {
    node_->snapshot_now([done](bool ok, std::string message) {
        done(RaftReply{ok, ok ? "snapshot created" : std::move(message)});
    });
}

void RaftService::hand_over(std::chrono::milliseconds timeout) {
    const auto s = node_->state();
    if (s.role != raft::Role::kLeader || s.voters.size() <= 1) return;
    auto promise = std::make_shared<std::promise<RaftReply>>();
    auto future = promise->get_future();
    spdlog::info("raft: handing leadership over before shutting down");
    node_->transfer_leadership(0, [promise](bool ok, std::string message) {
        promise->set_value(RaftReply{ok, std::move(message)});
    });
    if (future.wait_for(timeout) != std::future_status::ready) {
        spdlog::warn("raft: leadership was not handed over within {} ms", timeout.count());
        return;
    }
    auto reply = future.get();
    if (reply.ok) {
        spdlog::info("raft: leadership handed over");
    } else {
        spdlog::warn("raft: leadership could not be handed over: {}", reply.message);
    }
}

std::string RaftService::failure() const {
    return node_->state().error;
}

void RaftService::stop() {
    if (stopped_.exchange(true)) return;
    node_->stop(0);
    readers_.stop();
}

}  // namespace orcraft::backend
