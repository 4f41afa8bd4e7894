// The raft mode of an embedded node: RaftEnabled true.

#include "server/embed/mode.hpp"

namespace orcraft::embed {

std::unique_ptr<Mode> start_raft_mode(const backend::Config&, ModeSetup) {
    throw Error(ErrorCode::kStopped, "raft mode is not available yet in the embedding library");
}

}  // namespace orcraft::embed
