#include <catch2/catch.hpp>

#include <thread>

#include "server/http/headers.hpp"
#include "server/http/message.hpp"
#include "server/http/responder.hpp"

using namespace orcraft::server::http;

TEST_CASE("headers are found without regard to case and keep order and spelling",
          "[http][message]") {
    Headers h;
    h.add("X-Forwarded-For", "10.0.0.1");
    h.add("content-type", "application/json");
    h.add("x-forwarded-for", "10.0.0.2");
    REQUIRE(h.get("Content-Type") == "application/json");
    REQUIRE(h.get("X-FORWARDED-FOR") == "10.0.0.1");
    REQUIRE(h.get_all("X-Forwarded-For") == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
    REQUIRE_FALSE(h.get("Accept").has_value());
    std::vector<std::string> names;
    for (const auto& [k, v] : h)
        names.push_back(k);
    REQUIRE(names ==
            std::vector<std::string>{"X-Forwarded-For", "content-type", "x-forwarded-for"});

    h.set("X-Forwarded-For", "1.2.3.4");
    REQUIRE(h.get_all("x-forwarded-for") == std::vector<std::string>{"1.2.3.4"});
    REQUIRE(h.begin()->first == "X-Forwarded-For");
    REQUIRE(h.remove("CONTENT-TYPE") == 1);
    REQUIRE(h.size() == 1);
}

TEST_CASE("header tokens are matched inside comma-separated lists", "[http][message]") {
    Headers h{{"Connection", "keep-alive, Upgrade"}, {"Expect", "100-Continue"}};
    REQUIRE(h.has_token("connection", "upgrade"));
    REQUIRE(h.has_token("Connection", "Keep-Alive"));
    REQUIRE_FALSE(h.has_token("Connection", "close"));
    REQUIRE(h.has_token("expect", "100-continue"));
}

TEST_CASE("percent decoding handles escapes, plus signs and malformed input", "[http][message]") {
    REQUIRE(percent_decode("/a%20b%2Fc", false) == "/a b/c");
    REQUIRE(percent_decode("a+b", false) == "a+b");
    REQUIRE(percent_decode("a+b", true) == "a b");
    REQUIRE(percent_decode("%e2%82%AC", false) == "\xe2\x82\xac");
    REQUIRE_FALSE(percent_decode("%4", false).has_value());
    REQUIRE_FALSE(percent_decode("%", false).has_value());
    REQUIRE_FALSE(percent_decode("%zz", false).has_value());
}

TEST_CASE("query strings keep repeated names in order", "[http][message]") {
    auto q = parse_query("id=1&name=a+b&id=2&flag&&empty=&x=%3D");
    REQUIRE(q.has_value());
    REQUIRE(q->get_all("id") == std::vector<std::string>{"1", "2"});
    REQUIRE(q->get("name") == "a b");
    REQUIRE(q->get("flag") == "");
    REQUIRE(q->get("empty") == "");
    REQUIRE(q->get("x") == "=");
    REQUIRE(q->size() == 6);
    REQUIRE_FALSE(parse_query("a=%G1").has_value());
}

TEST_CASE("Response::json sets the content type and serialises the value", "[http][message]") {
    auto r = Response::json(201, {{"a", 1}});
    REQUIRE(r.status == 201);
    REQUIRE(r.headers.get("content-type") == "application/json");
    REQUIRE(nlohmann::json::parse(r.body) == nlohmann::json{{"a", 1}});
    auto e = Response::error(400, "bad \xff input");
    REQUIRE(nlohmann::json::parse(e.body).contains("error"));
    REQUIRE(reason_phrase(413) == "Payload Too Large");
}

TEST_CASE("a responder answers exactly once, from any thread", "[http][responder]") {
    int calls = 0;
    int status = 0;
    {
        Responder r([&](Response resp) {
            ++calls;
            status = resp.status;
        });
        Responder copy = r;
        bool first = false;
        std::thread t([&] { first = copy.respond(Response::json(200, "OK")); });
        t.join();
        REQUIRE(first);
        REQUIRE(r.responded());
        REQUIRE_FALSE(r.respond(Response::json(500, "again")));
    }
    REQUIRE(calls == 1);
    REQUIRE(status == 200);
}

TEST_CASE("a responder dropped without an answer answers 500", "[http][responder]") {
    std::optional<Response> got;
    {
        Responder r([&](Response resp) { got = std::move(resp); });
    }
    REQUIRE(got.has_value());
    REQUIRE(got->status == 500);
    REQUIRE(nlohmann::json::parse(got->body)["error"] == "handler did not answer");
}
