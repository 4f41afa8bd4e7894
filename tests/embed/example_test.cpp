// The programs in examples/ build and do what they print.

#include <stdio.h>
#include <sys/wait.h>
#include <catch2/catch.hpp>

#include <string>

namespace {

struct Run {
    int status = -1;
    std::string output;
};

Run run(const std::string& command) {
    Run r;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    std::size_t n;
    while ((n = ::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
        r.output.append(buffer, n);
    const int raw = ::pclose(pipe);
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return r;
}

bool has(const std::string& text, const std::string& line) {
    return text.find(line) != std::string::npos;
}

}  // namespace

TEST_CASE("embed: the inventory example reserves, refuses and reports on one node", "[example]") {
    const auto r = run(INVENTORY_BINARY);
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(has(r.output, "reserved 4 widget for order A-1: reservation 1, 6 left"));
    CHECK(has(r.output, "reserved 3 gadget for order A-2: reservation 2, 0 left"));
    CHECK(has(r.output, "order A-3 refused: only 6 widget left, 7 requested"));
    CHECK(has(r.output, "order A-4 refused: unknown item sprocket"));
    CHECK(has(r.output, "reserved 6 widget for order A-5: reservation 3, 0 left"));
    CHECK(has(r.output, "stock: gadget 0, widget 0\n"));
    CHECK(has(r.output, "reservations: 3\n"));
}
