// orcraft-client: the command-line client of orcraft's HTTP API (see usage() and docs/client.md).

#include <unistd.h>

#include <iostream>
#include <iterator>
#include <sstream>

#include "client/commands.hpp"
#include "client/options.hpp"

#ifndef ORCRAFT_VERSION
#define ORCRAFT_VERSION "unknown"
#endif

namespace {

std::optional<std::string> read_stdin() {
    if (isatty(STDIN_FILENO)) return std::nullopt;
    std::ostringstream text;
    text << std::cin.rdbuf();
    return text.str();
}

}  // namespace

int main(int argc, char** argv) {
    using namespace orcraft::client;
    std::vector<std::string> args(argv + 1, argv + argc);
    Options options;
    try {
        options = parse_options(args, process_env);
    } catch (const UsageError& e) {
        std::cerr << "orcraft-client: " << e.what() << "\n";
        return kExitUsage;
    }
    if (options.help) {
        std::cout << usage();
        return kExitOk;
    }
    if (options.version) {
        std::cout << "orcraft-client " << ORCRAFT_VERSION << "\n";
        return kExitOk;
    }
    Io io{std::cout, std::cerr, read_stdin};
    const int status = run_command(options, call, io);
    std::cout.flush();
    return status;
}
