// inventory: a small program that embeds an orcraft node (docs/embedding.md).
//
// It keeps a stock of items and takes reservations through a typed command, "reserve-item":
// the command checks that the item exists and that enough is left, then takes the quantity off
// the stock and records the reservation, both in one transaction. Because the command goes
// through the replicated log, every node of a cluster applies the same reservation once, in the
// same order, and none of them can oversell.
//
//   inventory              one standalone node (SQLite) in a temporary directory
//   inventory --cluster    three raft nodes in this process, on 127.0.0.1, 127.0.0.2 and
//                          127.0.0.3, each with its own SQLite database; reservations go to the
//                          leader and the stock is then read from every node
//
// It prints what it does and exits 0 when everything went as expected.

#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "server/embed/orcraft.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using orcraft::embed::CommandContext;
using orcraft::embed::Error;
using orcraft::embed::ErrorCode;
using orcraft::embed::Node;
using orcraft::embed::Statement;

namespace {

// ---- The application: its schema and its typed command. ----

const std::vector<Statement> kSchema = {
    {"CREATE TABLE items (sku VARCHAR(64) NOT NULL PRIMARY KEY, stock BIGINT NOT NULL)", {}},
    {"CREATE TABLE reservations (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
     "order_id VARCHAR(64) NOT NULL, sku VARCHAR(64) NOT NULL, quantity BIGINT NOT NULL, "
     "reserved_at DATETIME NOT NULL)",
     {}},
};

// reserve-item {"order": "A-1", "sku": "widget", "quantity": 2}
//   -> {"reservation": <id>, "left": <stock after>}
// Rejected when the payload is malformed, the item is unknown or the stock is short.
std::string reserve_item(CommandContext& context, const std::string& payload) {
    const json request = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (!request.is_object() || !request.contains("order") || !request.contains("sku") ||
        !request.contains("quantity") || !request["quantity"].is_number_integer())
        context.reject("malformed reservation: " + payload);
    const std::string order = request["order"].get<std::string>();
    const std::string sku = request["sku"].get<std::string>();
    const std::int64_t quantity = request["quantity"].get<std::int64_t>();
    if (quantity <= 0) context.reject("the quantity must be positive");

    // Validate against the rows every node has at this point of the log.
    auto rows = context.read({{"SELECT stock FROM items WHERE sku = ?", {sku}}})[0].rows;
    if (rows.empty()) context.reject("unknown item " + sku);
    const auto stock = std::get<std::int64_t>(rows[0][0]);
    if (stock < quantity)
        context.reject("only " + std::to_string(stock) + " " + sku + " left, " +
                       std::to_string(quantity) + " requested");

    // Both writes in one transaction; NOW() is the command's stamp, the same on every node.
    auto results = context.write({
        {"UPDATE items SET stock = stock - ? WHERE sku = ?", {quantity, sku}},
        {"INSERT INTO reservations (order_id, sku, quantity, reserved_at) VALUES (?, ?, ?, NOW())",
         {order, sku, quantity}},
    });
    return json{{"reservation", results[1].last_insert_id}, {"left", stock - quantity}}.dump();
}

// ---- Running it. ----

struct TempDir {
    fs::path path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "inventory-XXXXXX").string();
        if (!mkdtemp(pattern.data()))
            throw std::runtime_error("cannot create a temporary directory");
        path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

fs::path write_config(const fs::path& file, const json& config) {
    std::ofstream(file) << config.dump(2) << "\n";
    return file;
}

// A node's configuration file, as an operator would write it for the `orcraft` executable.
fs::path standalone_config(const fs::path& dir) {
    return write_config(dir / "inventory.conf.json",
                        {{"BackendDB", "sqlite"},
                         {"SQLite3DataFile", (dir / "inventory.db").string()},
                         {"RaftEnabled", false}});
}

fs::path cluster_config(const fs::path& dir, int n) {
    const std::string ip = "127.0.0." + std::to_string(n);
    const fs::path node_dir = dir / ("node" + std::to_string(n));
    fs::create_directories(node_dir);
    return write_config(node_dir / "orchestrator.conf.json",
                        {{"BackendDB", "sqlite"},
                         {"SQLite3DataFile", (node_dir / "inventory.db").string()},
                         {"RaftEnabled", true},
                         {"RaftDataDir", (node_dir / "raft").string()},
                         {"DefaultRaftPort", 10108},
                         {"RaftBind", ip},
                         {"RaftNodes", {"127.0.0.1", "127.0.0.2", "127.0.0.3"}},
                         {"ListenAddress", ip + ":13000"}});
}

void reserve(Node& leader, const std::string& order, const std::string& sku, int quantity) {
    const std::string payload = json{{"order", order}, {"sku", sku}, {"quantity", quantity}}.dump();
    try {
        auto done = leader.run("reserve-item", payload);
        const json answer = json::parse(done.result);
        std::printf("reserved %d %s for order %s: reservation %lld, %lld left (log index %llu)\n",
                    quantity, sku.c_str(), order.c_str(),
                    static_cast<long long>(answer["reservation"].get<std::int64_t>()),
                    static_cast<long long>(answer["left"].get<std::int64_t>()),
                    static_cast<unsigned long long>(done.index));
    } catch (const Error& e) {
        if (e.code() != ErrorCode::kRejected) throw;
        std::printf("order %s refused: %s\n", order.c_str(), e.what());
    }
}

std::string stock_line(Node& node, orcraft::embed::ReadLevel level) {
    auto result = node.query({{"SELECT sku, stock FROM items ORDER BY sku", {}}}, level)[0];
    std::string line;
    for (const auto& row : result.rows) {
        if (!line.empty()) line += ", ";
        line +=
            std::get<std::string>(row[0]) + " " + std::to_string(std::get<std::int64_t>(row[1]));
    }
    return line;
}

void register_app(Node& node) {
    node.register_command("reserve-item", reserve_item);
}

// The reservations every run makes, whatever the mode, and the stock they leave.
const std::string kExpectedStock = "gadget 0, widget 0";

void run_orders(Node& leader) {
    leader.execute(kSchema);
    leader.execute(
        {{"INSERT INTO items (sku, stock) VALUES (?, ?), (?, ?)", {"widget", 10, "gadget", 3}}});
    reserve(leader, "A-1", "widget", 4);
    reserve(leader, "A-2", "gadget", 3);
    reserve(leader, "A-3", "widget", 7);    // only 6 left: refused
    reserve(leader, "A-4", "sprocket", 1);  // unknown: refused
    reserve(leader, "A-5", "widget", 6);
}

int run_standalone() {
    TempDir dir;
    Node node(standalone_config(dir.path));
    register_app(node);
    node.on_leadership_change([](const orcraft::embed::Leadership& l) {
        if (l.is_leader)
            std::printf("this node leads (term %llu)\n", static_cast<unsigned long long>(l.term));
    });
    node.start();
    run_orders(node);
    const auto stock = stock_line(node, orcraft::embed::ReadLevel::Linearizable);
    std::printf("stock: %s\n", stock.c_str());
    auto count = node.query({{"SELECT COUNT(*) FROM reservations", {}}})[0].rows[0][0];
    std::printf("reservations: %lld\n", static_cast<long long>(std::get<std::int64_t>(count)));
    node.stop();
    return stock == kExpectedStock ? 0 : 1;
}

int run_cluster() {
    TempDir dir;
    std::vector<std::unique_ptr<Node>> nodes;
    for (int n = 1; n <= 3; ++n) {
        nodes.push_back(std::make_unique<Node>(cluster_config(dir.path, n)));
        register_app(*nodes.back());
    }
    for (auto& node : nodes)
        node->start();

    // Wait for the election; the leader's index tells which node to send the orders to.
    Node* leader = nullptr;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!leader) {
        for (auto& node : nodes)
            if (node->status().is_leader) leader = node.get();
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("no leader elected");
        if (!leader) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::printf("leader: %s\n", leader->status().self.c_str());
    run_orders(*leader);

    // Every node has applied the same reservations: read each one's own copy once it caught up.
    const auto target = leader->status().applied_index;
    int status = 0;
    for (auto& node : nodes) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (node->status().applied_index < target) {
            if (std::chrono::steady_clock::now() > until) throw std::runtime_error("a node lags");
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        const auto stock = stock_line(*node, orcraft::embed::ReadLevel::None);
        std::printf("stock on %s: %s\n", node->status().self.c_str(), stock.c_str());
        if (stock != kExpectedStock) status = 1;
    }
    for (auto& node : nodes)
        node->stop();
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::warn);
    const bool cluster = argc > 1 && std::string(argv[1]) == "--cluster";
    if (argc > 2 || (argc == 2 && !cluster)) {
        std::fprintf(stderr, "usage: inventory [--cluster]\n");
        return 2;
    }
    try {
        return cluster ? run_cluster() : run_standalone();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "inventory: %s\n", e.what());
        return 1;
    }
}
