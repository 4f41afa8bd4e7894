#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <vector>

#include "backend/worker_pool.hpp"

using orcraft::backend::WorkerPool;

TEST_CASE("a single-thread pool runs tasks in order", "[backend][pool]") {
    std::vector<int> order;
    {
        WorkerPool pool(1);
        for (int i = 0; i < 100; ++i)
            REQUIRE(pool.post([&order, i] { order.push_back(i); }));
    }
    REQUIRE(order.size() == 100);
    for (int i = 0; i < 100; ++i)
        REQUIRE(order[i] == i);
}

TEST_CASE("shutdown runs queued tasks, then refuses new ones", "[backend][pool]") {
    std::atomic<int> ran{0};
    WorkerPool pool(3);
    for (int i = 0; i < 1000; ++i)
        pool.post([&] { ran.fetch_add(1); });
    pool.stop();
    REQUIRE(ran.load() == 1000);
    REQUIRE_FALSE(pool.post([&] { ran.fetch_add(1); }));
    pool.stop();
    REQUIRE(ran.load() == 1000);
}

TEST_CASE("a bounded pool refuses work beyond its queue", "[backend][pool]") {
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    std::promise<void> started;
    WorkerPool pool(1, 2);
    REQUIRE(pool.post([&] {
        started.set_value();
        gate.wait();
    }));
    started.get_future().wait();  // the thread is busy, the queue is empty
    REQUIRE(pool.post([] {}));
    REQUIRE(pool.post([] {}));
    REQUIRE(pool.backlog() == 2);
    REQUIRE_FALSE(pool.post([] {}));
    release.set_value();
}

TEST_CASE("a throwing task does not stop the pool", "[backend][pool]") {
    std::atomic<int> ran{0};
    {
        WorkerPool pool(1);
        pool.post([] { throw std::runtime_error("boom"); });
        pool.post([&] { ran.fetch_add(1); });
    }
    REQUIRE(ran.load() == 1);
}
