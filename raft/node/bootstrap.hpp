// The first log of a new cluster (see NodeOptions::bootstrap).
#pragma once

#include <vector>

#include "raft/storage/log_store.hpp"
#include "raft/transport/transport.hpp"

namespace orcraft::raft::detail {

// True for a store that holds nothing yet (no term, no snapshot, no configuration, no entries).
bool is_empty_store(const Restored& r);

// Writes the first log of a new cluster, identical on every initial member (it is derived from
// the sorted identities only): one member record per voter, then the configuration, all at term
// 1 and committed. Written before the core starts, so that a restart finds the configuration.
// Returns what the store now holds.
Restored bootstrap_log(LogStore& store, const std::vector<PeerAddress>& voters);

}  // namespace orcraft::raft::detail
