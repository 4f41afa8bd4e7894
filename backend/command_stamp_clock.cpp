#include "backend/command_stamp_clock.hpp"

#include <chrono>
#include <memory>
#include <random>

namespace orcraft::backend {

StampClock::StampClock(NowMicros now, Random random)
    : now_(std::move(now)), random_(std::move(random)) {}

StampClock StampClock::system() {
    auto rng = std::make_shared<std::mt19937_64>(
        (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}());
    auto rng_mu = std::make_shared<std::mutex>();
    return StampClock(
        [] {
            return std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        },
        [rng, rng_mu] {
            std::lock_guard lock(*rng_mu);
            return (*rng)();
        });
}

Stamp StampClock::next() {
    const std::int64_t now = now_();
    std::lock_guard lock(mu_);
    floor_ = now > floor_ ? now : floor_ + 1;
    return Stamp{floor_, random_()};
}

void StampClock::observe(const Stamp& stamp) {
    std::lock_guard lock(mu_);
    if (stamp.unix_micros > floor_) {
        floor_ = stamp.unix_micros;
    }
}

std::int64_t StampClock::floor() const {
    std::lock_guard lock(mu_);
    return floor_;
}

}  // namespace orcraft::backend
