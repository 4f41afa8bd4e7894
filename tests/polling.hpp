#pragma once
// Waiting in tests without sleeping as synchronisation: poll a condition with a deadline.

#include <chrono>
#include <thread>

namespace orcraft::tests {

// Polls `condition` every `interval` until it holds (true) or `deadline` passes (false).
template <typename Fn>
bool eventually(std::chrono::milliseconds deadline, Fn condition,
                std::chrono::milliseconds interval = std::chrono::milliseconds(20)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(interval);
    }
}

// Polls `invariant` every `interval` for `span`: true when it held at every poll.
template <typename Fn>
bool always_for(std::chrono::milliseconds span, Fn invariant,
                std::chrono::milliseconds interval = std::chrono::milliseconds(50)) {
    const auto until = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < until) {
        if (!invariant()) return false;
        std::this_thread::sleep_for(interval);
    }
    return true;
}

}  // namespace orcraft::tests
