#include "server/metrics/process_metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fstream>

namespace orcraft::server::metrics {
namespace {

// Entries of /proc/self/fd, without ".", ".." and the descriptor opendir() itself uses.
int count_open_fds() {
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) return -1;
    int count = 0;
    while (const dirent* entry = readdir(dir))
        if (entry->d_name[0] != '.') ++count;
    closedir(dir);
    return count - 1;
}

}  // namespace

ScrapeHook watch_process(Registry& registry) {
    Gauge& resident =
        registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.").get();
    Gauge& virtual_size =
        registry.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.").get();
    Gauge& open_fds = registry.gauge("process_open_fds", "Number of open file descriptors.").get();
    const long page = sysconf(_SC_PAGESIZE);
    return registry.on_scrape([&resident, &virtual_size, &open_fds, page] {
        // statm: total program size and resident set size, in pages.
        std::ifstream statm("/proc/self/statm");
        long long size_pages = 0;
        long long resident_pages = 0;
        if (statm >> size_pages >> resident_pages) {
            virtual_size.set(static_cast<double>(size_pages * page));
            resident.set(static_cast<double>(resident_pages * page));
        }
        if (int fds = count_open_fds(); fds >= 0) open_fds.set(fds);
    });
}

}  // namespace orcraft::server::metrics
