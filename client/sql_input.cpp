#include "client/sql_input.hpp"

#include <cctype>

#include "backend/sql_tokenizer.hpp"

namespace orcraft::client {

namespace {

bool blank(const std::string& text) {
    for (char c : text) {
        if (!std::isspace(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

std::string trimmed(const std::string& text) {
    std::size_t b = 0;
    std::size_t e = text.size();
    while (b < e && std::isspace(static_cast<unsigned char>(text[b])))
        ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1])))
        --e;
    return text.substr(b, e - b);
}

// True when the text holds tokens (is more than whitespace and comments).
bool has_tokens(const std::string& text) {
    try {
        return !backend::dialect::tokenize(text).empty();
    } catch (const backend::dialect::DialectError&) {
        return true;  // let the node report it
    }
}

nlohmann::json bind(const std::string& sql, const nlohmann::json& params) {
    if (params.empty()) return sql;
    nlohmann::json statement = nlohmann::json::array({sql});
    for (const auto& p : params)
        statement.push_back(p);
    return statement;
}

}  // namespace

std::vector<std::string> split_sql_script(const std::string& script) {
    std::vector<std::string> pieces;
    std::vector<backend::dialect::Token> tokens;
    try {
        tokens = backend::dialect::tokenize(script);
    } catch (const backend::dialect::DialectError&) {
        if (!blank(script)) pieces.push_back(trimmed(script));
        return pieces;
    }
    std::size_t start = 0;
    for (const auto& token : tokens) {
        if (!token.is_op(";")) continue;
        std::string piece = script.substr(start, token.begin - start);
        if (has_tokens(piece)) pieces.push_back(trimmed(piece));
        start = token.end;
    }
    std::string rest = script.substr(start);
    if (has_tokens(rest)) pieces.push_back(trimmed(rest));
    return pieces;
}

std::string request_body(const std::vector<std::string>& statements,
                         const std::optional<std::string>& stdin_text, const nlohmann::json& params,
                         const std::string& level) {
    nlohmann::json body = nlohmann::json::object();
    if (!statements.empty()) {
        if (!params.empty() && statements.size() > 1)
            throw InputError("--param needs exactly one statement");
        body["statements"] = nlohmann::json::array();
        for (const auto& s : statements)
            body["statements"].push_back(bind(s, params));
    } else {
        const std::string text = trimmed(stdin_text.value_or(""));
        if (text.empty())
            throw InputError("no SQL given: pass statements as arguments or on standard input");
        if (text.front() == '{' || text.front() == '[') {
            auto parsed = nlohmann::json::parse(text, nullptr, false);
            if (parsed.is_discarded())
                throw InputError("standard input starts like JSON but is not valid JSON");
            if (!params.empty())
                throw InputError("--param cannot be used with a JSON request on standard input");
            if (text.front() == '{') {
                if (!level.empty() && !parsed.contains("level")) parsed["level"] = level;
                return parsed.dump();
            }
            body["statements"] = std::move(parsed);
        } else {
            const auto pieces = split_sql_script(text);
            if (pieces.empty()) throw InputError("no SQL statement on standard input");
            if (!params.empty() && pieces.size() > 1)
                throw InputError("--param needs exactly one statement; standard input holds " +
                                 std::to_string(pieces.size()));
            body["statements"] = nlohmann::json::array();
            for (const auto& s : pieces)
                body["statements"].push_back(bind(s, params));
        }
    }
    if (!level.empty()) body["level"] = level;
    return body.dump();
}

}  // namespace orcraft::client
