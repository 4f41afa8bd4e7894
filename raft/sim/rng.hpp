// The simulator's only source of randomness: a small seeded generator, so that a seed fully
// determines a run.
#pragma once

#include <cstdint>

namespace orcraft::raft::sim {

class Rng {
  public:
    explicit Rng(std::uint64_t seed)
        : state_(seed * 0x2545f4914f6cdd1dULL + 0x9e3779b97f4a7c15ULL) {}

    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [lo, hi] (inclusive).
    std::uint64_t range(std::uint64_t lo, std::uint64_t hi) { return lo + next() % (hi - lo + 1); }
    // True with probability p.
    bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
    double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  private:
    std::uint64_t state_;
};

}  // namespace orcraft::raft::sim
