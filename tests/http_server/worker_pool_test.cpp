#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <vector>

#include "server/http/worker_pool.hpp"

using orcraft::server::http::WorkerPool;

TEST_CASE("a single-thread pool runs tasks in order", "[http][pool]") {
    std::vector<int> order;
    {
        WorkerPool pool(1);
        for (int i = 0; i < 100; ++i)
            REQUIRE(pool.submit([&order, i] { order.push_back(i); }));
    }
    REQUIRE(order.size() == 100);
    for (int i = 0; i < 100; ++i)
        REQUIRE(order[i] == i);
}

TEST_CASE("shutdown runs queued tasks, then refuses new ones", "[http][pool]") {
    std::atomic<int> ran{0};
    WorkerPool pool(3);
    for (int i = 0; i < 1000; ++i)
        pool.submit([&] { ran.fetch_add(1); });
    pool.shutdown();
    REQUIRE(ran.load() == 1000);
    REQUIRE_FALSE(pool.submit([&] { ran.fetch_add(1); }));
    pool.shutdown();
    REQUIRE(ran.load() == 1000);
}

TEST_CASE("a bounded pool refuses work beyond its queue", "[http][pool]") {
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    std::promise<void> started;
    WorkerPool pool(1, 2);
    REQUIRE(pool.submit([&] {
        started.set_value();
        gate.wait();
    }));
    started.get_future().wait();  // the thread is busy, the queue is empty
    REQUIRE(pool.submit([] {}));
    REQUIRE(pool.submit([] {}));
    REQUIRE(pool.queued() == 2);
    REQUIRE_FALSE(pool.submit([] {}));
    release.set_value();
}

TEST_CASE("a throwing task does not stop the pool", "[http][pool]") {
    std::atomic<int> ran{0};
    {
        WorkerPool pool(1);
        pool.submit([] { throw std::runtime_error("boom"); });
        pool.submit([&] { ran.fetch_add(1); });
    }
    REQUIRE(ran.load() == 1);
}
