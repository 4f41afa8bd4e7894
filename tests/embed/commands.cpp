#include "commands.hpp"

namespace orcraft::tests::embed {

using orcraft::embed::CommandContext;
using orcraft::embed::StatementFailed;

const std::vector<orcraft::embed::Statement>& counter_schema() {
    static const std::vector<orcraft::embed::Statement> schema = {
        {"CREATE TABLE counters (name VARCHAR(64) NOT NULL PRIMARY KEY, value BIGINT NOT NULL)",
         {}},
        {"CREATE TABLE events (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) "
         "NOT NULL, at DATETIME NOT NULL)",
         {}},
    };
    return schema;
}

namespace {

std::string add(CommandContext& context, const std::string& payload) {
    const auto colon = payload.find(':');
    if (colon == std::string::npos) context.reject("malformed payload");
    const std::string name = payload.substr(0, colon);
    const std::int64_t amount = std::stoll(payload.substr(colon + 1));
    auto rows = context.read({{"SELECT value FROM counters WHERE name = ?", {name}}})[0].rows;
    if (rows.empty()) context.reject("no counter " + name);
    const std::int64_t value = std::get<std::int64_t>(rows[0][0]) + amount;
    if (value < 0) context.reject("counter " + name + " would go below zero");
    context.write({{"UPDATE counters SET value = ? WHERE name = ?", {value, name}},
                   {"INSERT INTO events (name, at) VALUES (?, NOW())", {name}}});
    return std::to_string(value);
}

std::vector<orcraft::embed::Statement> pair_batch(const std::string& name) {
    return {{"INSERT INTO counters (name, value) VALUES (?, 0)", {name}},
            {"INSERT INTO counters (name, value) VALUES (?, 0)", {name}}};
}

}  // namespace

void register_counter_commands(orcraft::embed::Node& node) {
    node.register_command("add", add);
    node.register_command("pair", [](CommandContext& context, const std::string& payload) {
        context.write(pair_batch(payload));
        return std::string("unreachable");
    });
    node.register_command("pair-or-note", [](CommandContext& context, const std::string& payload) {
        try {
            context.write(pair_batch(payload));
        } catch (const StatementFailed& e) {
            return "exists " + std::to_string(e.statement());
        }
        return std::string("inserted");
    });
    node.register_command("stamp", [](CommandContext& context, const std::string&) {
        return std::to_string(context.index()) + " " + std::to_string(context.stamp().unix_micros) +
               " " + std::to_string(context.stamp().seed);
    });
}

std::int64_t read_int(orcraft::embed::Node& node, const std::string& sql,
                      orcraft::embed::ReadLevel level) {
    auto results = node.query({{sql, {}}}, level);
    return std::get<std::int64_t>(results.at(0).rows.at(0).at(0));
}

}  // namespace orcraft::tests::embed
