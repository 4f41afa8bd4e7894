// The heap trimmer's schedule, with a counting trim function.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>

#include "server/app/heap_trimmer.hpp"
#include "tests/polling.hpp"

using namespace std::chrono_literals;
using orcraft::server::app::HeapTrimmer;

TEST_CASE("the heap trimmer trims every period and stops at once when destroyed") {
    std::atomic<int> trims{0};
    const auto created = std::chrono::steady_clock::now();
    {
        HeapTrimmer trimmer(20ms, [&] { ++trims; });
        REQUIRE(orcraft::tests::eventually(5s, [&] { return trims.load() >= 3; }));
    }
    const int at_destruction = trims.load();
    // Three periods cannot have passed before 60 ms.
    CHECK(std::chrono::steady_clock::now() - created >= 60ms);

    // A long period does not hold up destruction, and nothing runs after it.
    const auto before = std::chrono::steady_clock::now();
    {
        HeapTrimmer idle(1h, [&] { ++trims; });
    }
    CHECK(std::chrono::steady_clock::now() - before < 5s);
    CHECK(trims.load() == at_destruction);
}
