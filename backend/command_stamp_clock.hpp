#pragma once
// Chooses the stamp (time and random seed) a leader puts on each command it proposes.
//
// Stamps are strictly increasing across the whole log, also across leaders: next() returns
// max(now, floor + 1) where the floor is the largest stamp this clock issued or observed. A new
// leader calls observe() with SqlStateMachine::last_applied_stamp() once it has applied the
// entries of earlier terms (its first no-op of the term), so a leader whose clock runs behind
// its predecessor's never stamps an earlier time. The seed is a fresh 64-bit random number.
//
// Thread-safe. Time and randomness are injected so tests control both.

#include <cstdint>
#include <functional>
#include <mutex>

#include "backend/driver.hpp"

namespace orcraft::backend {

class StampClock {
  public:
    using NowMicros = std::function<std::int64_t()>;  // UTC microseconds since the epoch
    using Random = std::function<std::uint64_t()>;

    StampClock(NowMicros now, Random random);
    // The system clock and a random generator seeded from std::random_device.
    static StampClock system();

    Stamp next();
    // Raises the floor to `stamp.unix_micros` (a stamp seen in the log).
    void observe(const Stamp& stamp);
    std::int64_t floor() const;

  private:
    NowMicros now_;
    Random random_;
    mutable std::mutex mu_;
    std::int64_t floor_ = 0;
};

}  // namespace orcraft::backend
