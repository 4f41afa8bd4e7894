#pragma once
// The process's own resource use, in Prometheus' standard names: process_resident_memory_bytes,
// process_virtual_memory_bytes and process_open_fds (gauges), read from /proc/self at every
// scrape (Linux only; on a read failure the gauges keep their previous values).

#include "server/metrics/registry.hpp"

namespace orcraft::server::metrics {

// Registers the three gauges on `registry` and the hook that refreshes them. The hook stays
// registered while the returned handle lives.
[[nodiscard]] ScrapeHook watch_process(Registry& registry);

}  // namespace orcraft::server::metrics
