#include "raft/node/node_events.hpp"

#include <thread>

namespace orcraft::raft {

void EventRelay::set(NodeEvents* sink) {
    sink_.store(sink, std::memory_order_seq_cst);
    // A thread that loaded the previous sink incremented in_flight_ before that load, so it is
    // counted here until its call returned. Calls last microseconds: yielding is enough.
    while (in_flight_.load(std::memory_order_seq_cst) != 0)
        std::this_thread::yield();
}

}  // namespace orcraft::raft
