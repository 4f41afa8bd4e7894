// The orcraft executable: `orcraft --config FILE [http]`.

#include <spdlog/spdlog.h>

#include <malloc.h>
#include <cstdio>

#include <cstring>
#include <optional>
#include <string>

#include "backend/config.hpp"
#include "server/app/heap_trimmer.hpp"
#include "server/app/node.hpp"

namespace {

constexpr const char* kUsage =
    "usage: orcraft [--config FILE] [http]\n"
    "\n"
    "Runs an orcraft node: the HTTP API on ListenAddress, backed by SQLite or MySQL.\n"
    "\n"
    "  --config FILE  read exactly this configuration file; without it, the first existing of\n"
    "                 /etc/orchestrator.conf.json, conf/orchestrator.conf.json and\n"
    "                 orchestrator.conf.json are read in that order, later ones overriding\n"
    "  http           accepted for compatibility with orchestrator's command line\n"
    "  --help         print this help\n"
    "  --version      print the version\n"
    "\n"
    "Documentation: README.md and docs/ in the source tree.\n";

}  // namespace

int main(int argc, char** argv) {
    // glibc gives every thread that allocates its own arena (up to 8 per core), and memory freed
    // in one stays there: with a dozen threads handing buffers to each other that is most of a
    // node's growth. Two arenas cost no measurable throughput here.
    mallopt(M_ARENA_MAX, 2);
    // Large buffers (snapshots, big batches) are mapped and unmapped on their own: glibc would
    // otherwise raise this threshold after the first such free and keep them in the heap.
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    std::optional<std::string> config_file;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (arg == "--version") {
            std::printf("orcraft %s\n", ORCRAFT_VERSION);
            return 0;
        }
        if ((arg == "--config" || arg == "-config") && i + 1 < argc) {
            config_file = argv[++i];
        } else if (arg.rfind("--config=", 0) == 0) {
            config_file = arg.substr(std::strlen("--config="));
        } else if (arg == "http") {
            // orchestrator's habit: `orchestrator --config FILE http` runs the HTTP service.
        } else {
            std::fprintf(stderr, "orcraft: unknown argument '%s'\n\n%s", arg.c_str(), kUsage);
            return 2;
        }
    }

    orcraft::server::app::block_stop_signals();
    orcraft::backend::LoadOptions options;
    options.config_file = config_file;
    orcraft::backend::LoadResult loaded;
    try {
        loaded = orcraft::backend::load_config(options);
    } catch (const orcraft::backend::ConfigError& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    // load_config() has checked that LogLevel names a level.
    spdlog::set_level(spdlog::level::from_str(loaded.config.log_level));
    for (const auto& file : loaded.files)
        spdlog::info("read configuration from {}", file);
    for (const auto& warning : loaded.warnings)
        spdlog::warn("{}", warning);
    // After block_stop_signals(): its thread inherits the mask.
    const orcraft::server::app::HeapTrimmer trimmer(std::chrono::seconds(10));
    return orcraft::server::app::run_node(loaded.config);
}
