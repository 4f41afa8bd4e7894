// The embedding library on a standalone node (RaftEnabled false with SQLite).

#include <catch2/catch.hpp>

#include <future>

#include "../polling.hpp"
#include "commands.hpp"
#include "embed_fixture.hpp"
#include "server/http/client.hpp"

using namespace orcraft::tests::embed;
using orcraft::embed::CommandResult;
using orcraft::embed::Error;
using orcraft::embed::ErrorCode;
using orcraft::embed::Leadership;
using orcraft::embed::Node;
using orcraft::embed::Outcome;
using orcraft::embed::QueryResult;
using orcraft::embed::ReadLevel;
using orcraft::embed::WriteResult;
using orcraft::tests::eventually;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<Node> started_counter_node(const fs::path& config) {
    auto node = std::make_unique<Node>(config);
    register_counter_commands(*node);
    node->start();
    return node;
}

}  // namespace

TEST_CASE("embed: a standalone node runs SQL and typed commands, blocking and async", "[embed]") {
    TempDir dir;
    auto node = started_counter_node(standalone_config(dir.path()));
    CHECK(node->status().mode == "standalone");
    CHECK(node->status().is_leader);

    const auto schema = node->execute(counter_schema());
    CHECK(schema.results.size() == 2);
    const auto insert =
        node->execute({{"INSERT INTO counters (name, value) VALUES (?, ?)", {"a", 5}}});
    REQUIRE(insert.results.size() == 1);
    CHECK(insert.results[0].rows_affected == 1);
    CHECK(insert.index == schema.index + 1);

    const CommandResult added = node->run("add", "a:3");
    CHECK(added.result == "8");
    CHECK(added.index == insert.index + 1);
    CHECK(read_int(*node, "SELECT value FROM counters WHERE name = 'a'") == 8);
    CHECK(read_int(*node, "SELECT COUNT(*) FROM events") == 1);

    // The async forms call back once with the outcome.
    std::promise<Outcome<CommandResult>> ran;
    node->run_async("add", "a:-8", [&](Outcome<CommandResult> o) { ran.set_value(std::move(o)); });
    auto ran_outcome = ran.get_future().get();
    REQUIRE(ran_outcome.ok());
    CHECK(ran_outcome.value().result == "0");

    std::promise<Outcome<WriteResult>> wrote;
    node->execute_async({{"INSERT INTO counters (name, value) VALUES ('b', 1)", {}}},
                        [&](Outcome<WriteResult> o) { wrote.set_value(std::move(o)); });
    CHECK(wrote.get_future().get().ok());

    std::promise<Outcome<std::vector<QueryResult>>> read;
    node->query_async({{"SELECT name, value FROM counters ORDER BY name", {}}},
                      ReadLevel::Linearizable,
                      [&](Outcome<std::vector<QueryResult>> o) { read.set_value(std::move(o)); });
    auto rows = read.get_future().get().value().at(0).rows;
    REQUIRE(rows.size() == 2);
    CHECK(std::get<std::string>(rows[1][0]) == "b");

    // Time and randomness come from the command's stamp, increasing from one command to the next.
    const auto first = node->run("stamp", "").result;
    const auto second = node->run("stamp", "").result;
    CHECK(std::stoll(second.substr(second.find(' ') + 1)) >
          std::stoll(first.substr(first.find(' ') + 1)));
    CHECK(node->status().applied_index == std::stoull(second.substr(0, second.find(' '))));
    node->stop();
}

TEST_CASE("embed: rejected commands and failing statements apply nothing and say why", "[embed]") {
    TempDir dir;
    auto node = started_counter_node(standalone_config(dir.path()));
    node->execute(counter_schema());
    node->execute({{"INSERT INTO counters (name, value) VALUES ('a', 1)", {}}});
    const auto before = node->status().applied_index;

    std::string message;
    CHECK(error_code([&] { node->run("add", "a:-2"); }, &message) == ErrorCode::kRejected);
    CHECK(message == "counter a would go below zero");
    CHECK(error_code([&] { node->run("add", "zzz:1"); }, &message) == ErrorCode::kRejected);
    CHECK(message == "no counter zzz");
    // A rejected command still takes its place in the log, without effect.
    CHECK(node->status().applied_index == before + 2);
    CHECK(read_int(*node, "SELECT value FROM counters WHERE name = 'a'") == 1);
    CHECK(read_int(*node, "SELECT COUNT(*) FROM events") == 0);

    // A statement that fails in write() rolls the whole write back and names the statement.
    CHECK(error_code([&] { node->run("pair", "p"); }, &message) == ErrorCode::kRejected);
    CHECK(message == "statement 1 of the write failed");
    CHECK(read_int(*node, "SELECT COUNT(*) FROM counters WHERE name = 'p'") == 0);
    // ... unless the handler catches it and answers for itself.
    CHECK(node->run("pair-or-note", "p").result == "exists 1");

    // A name no handler knows never enters the log.
    const auto logged = node->status().applied_index;
    CHECK(error_code([&] { node->run("no-such-command", ""); }) == ErrorCode::kBadRequest);
    CHECK(error_code([&] { node->run("sql", ""); }) == ErrorCode::kBadRequest);
    CHECK(node->status().applied_index == logged);

    try {
        node->execute({{"INSERT INTO counters (name, value) VALUES ('c', 1)", {}},
                       {"INSERT INTO nowhere VALUES (1)", {}}});
        FAIL("a failing batch succeeded");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::kBadRequest);
        CHECK(e.statement() == 1u);
    }
    CHECK(error_code([&] { node->execute({{"SELEC 1", {}}}); }) == ErrorCode::kBadRequest);
    CHECK(error_code([&] {
              node->query({{"DELETE FROM counters", {}}});
          }) == ErrorCode::kBadRequest);
    CHECK(read_int(*node, "SELECT COUNT(*) FROM counters") == 1);
}

TEST_CASE("embed: the life cycle rules are enforced", "[embed]") {
    TempDir dir;
    Node node(standalone_config(dir.path()));
    CHECK_FALSE(node.status().running);
    CHECK_THROWS_AS(node.register_command("sql", [](auto&, auto&) { return std::string(); }),
                    std::invalid_argument);
    CHECK_THROWS_AS(node.register_command("", [](auto&, auto&) { return std::string(); }),
                    std::invalid_argument);
    node.register_command("x", [](auto&, auto&) { return std::string(); });
    CHECK_THROWS_AS(node.register_command("x", [](auto&, auto&) { return std::string(); }),
                    std::invalid_argument);
    CHECK_THROWS_AS(node.execute({{"DELETE FROM t", {}}}), std::logic_error);

    node.start();
    CHECK(node.status().running);
    CHECK_THROWS_AS(node.start(), std::logic_error);
    CHECK_THROWS_AS(node.register_command("y", [](auto&, auto&) { return std::string(); }),
                    std::logic_error);
    CHECK(node.run("x", "").result.empty());

    node.stop();
    node.stop();  // idempotent
    CHECK_FALSE(node.status().running);
    CHECK(error_code([&] { node.run("x", ""); }) == ErrorCode::kStopped);
    CHECK(error_code([&] { node.query({{"SELECT 1", {}}}); }) == ErrorCode::kStopped);
}

TEST_CASE("embed: a node that cannot start says why", "[embed]") {
    TempDir dir;
    auto config = orcraft::embed::load_config_file(standalone_config(dir.path()));
    config.sqlite3_data_file = (dir.path() / "missing" / "dir" / "data.db").string();
    Node node(config);
    CHECK(error_code([&] { node.start(); }) == ErrorCode::kStopped);
    CHECK_THROWS_AS(node.start(), std::logic_error);
    CHECK_THROWS_AS(Node(dir.path() / "no-such-file.json"), orcraft::backend::ConfigError);
}

TEST_CASE("embed: leadership observers of a standalone node", "[embed]") {
    TempDir dir;
    Node node(standalone_config(dir.path()));
    EventLog before, after;
    node.on_leadership_change(before.observer());
    node.start();
    REQUIRE(eventually(5s, [&] { return before.events().size() == 1; }));
    const auto first = before.events()[0];
    CHECK(first.is_leader);
    CHECK(first.term == 1);
    CHECK(first.leader == node.status().self);

    node.on_leadership_change(after.observer());  // gets the current view first
    REQUIRE(eventually(5s, [&] { return after.events().size() == 1; }));
    CHECK(after.events()[0].is_leader);

    node.stop();  // delivers the last event before it returns
    for (auto* log : {&before, &after}) {
        const auto events = log->events();
        REQUIRE(events.size() == 2);
        CHECK_FALSE(events[1].is_leader);
        CHECK(events[1].leader.empty());
    }
}

TEST_CASE("embed: a restarted standalone node continues its log and its data", "[embed]") {
    TempDir dir;
    const auto config = standalone_config(dir.path());
    std::uint64_t last_index = 0;
    {
        auto node = started_counter_node(config);
        node->execute(counter_schema());
        node->execute({{"INSERT INTO counters (name, value) VALUES ('a', 0)", {}}});
        for (int i = 0; i < 5; ++i)
            last_index = node->run("add", "a:1").index;
    }
    auto node = started_counter_node(config);
    CHECK(node->status().applied_index == last_index);
    CHECK(read_int(*node, "SELECT value FROM counters WHERE name = 'a'") == 5);
    const auto next = node->run("add", "a:1");
    CHECK(next.index == last_index + 1);
    CHECK(next.result == "6");
}

TEST_CASE("embed: a standalone node serves the HTTP API when asked", "[embed]") {
    TempDir dir;
    orcraft::embed::NodeOptions options;
    options.serve_http = true;
    Node node(standalone_config(dir.path()), options);
    register_counter_commands(node);
    node.start();
    const std::string url = node.http_url();
    REQUIRE(url.rfind("http://127.0.0.1:", 0) == 0);
    const auto port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));

    node.execute(counter_schema());
    node.execute({{"INSERT INTO counters (name, value) VALUES ('a', 41)", {}}});
    node.run("add", "a:1");
    orcraft::server::http::HttpClient client("127.0.0.1", port);
    const auto status = client.get("/api/status");
    CHECK(status.status == 200);
    const auto query =
        client.post("/api/db/query", R"({"statements": ["SELECT value FROM counters"]})");
    CHECK(query.status == 200);
    CHECK(query.body.find("42") != std::string::npos);
    node.stop();
}

TEST_CASE("embed: a handler that throws stops the standalone node", "[embed]") {
    TempDir dir;
    Node node(standalone_config(dir.path()));
    node.register_command("boom",
                          [](orcraft::embed::CommandContext&, const std::string&) -> std::string {
                              throw std::runtime_error("handler bug");
                          });
    node.register_command("noop", [](auto&, auto&) { return std::string("ok"); });
    node.start();
    CHECK(node.run("noop", "").result == "ok");
    std::string message;
    CHECK(error_code([&] { node.run("boom", ""); }, &message) == ErrorCode::kStopped);
    CHECK(message.find("handler bug") != std::string::npos);
    const auto status = node.status();
    CHECK_FALSE(status.running);
    CHECK_FALSE(status.healthy);
    CHECK(status.error.find("handler bug") != std::string::npos);
    CHECK(error_code([&] { node.run("noop", ""); }) == ErrorCode::kStopped);
}
