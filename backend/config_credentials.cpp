// The MySQL credentials file (MySQLOrchestratorCredentialsConfigFile): a my.cnf-style file whose
// [client] section holds user= and password=.

#include <cctype>
#include <sstream>

#include "backend/config.hpp"
#include "backend/config_io.hpp"

namespace orcraft::backend {

namespace {

std::string lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
}

struct LineError {
    std::string message;
};

// Parses the value after '=': unquoted text (trimmed, ends at a comment), "double-quoted" text
// with escapes, 'single-quoted' literal text, or a concatenation of those.
std::string parse_value(std::string_view s) {
    std::string out;
    std::string pending_space;  // unquoted inner whitespace, kept only if more text follows
    std::size_t i = 0;
    while (i < s.size() && is_space(s[i]))
        ++i;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '#' || c == ';') break;
        if (is_space(c)) {
            pending_space += c;
            ++i;
            continue;
        }
        out += pending_space;
        pending_space.clear();
        if (c == '"') {
            ++i;
            bool closed = false;
            while (i < s.size()) {
                const char q = s[i++];
                if (q == '"') {
                    closed = true;
                    break;
                }
                if (q != '\\') {
                    out += q;
                    continue;
                }
                if (i >= s.size()) break;
                const char e = s[i++];
                switch (e) {
                    case '\\':
                        out += '\\';
                        break;
                    case '"':
                        out += '"';
                        break;
                    case 'n':
                        out += '\n';
                        break;
                    case 't':
                        out += '\t';
                        break;
                    default:
                        throw LineError{std::string("invalid escape \\") + e +
                                        " in a double-quoted value"};
                }
            }
            if (!closed) throw LineError{"unterminated double-quoted value"};
        } else if (c == '\'') {
            const auto close = s.find('\'', i + 1);
            if (close == std::string_view::npos)
                throw LineError{"unterminated single-quoted value"};
            out += s.substr(i + 1, close - i - 1);
            i = close + 1;
        } else {
            out += c;
            ++i;
        }
    }
    return out;
}

}  // namespace

Credentials parse_credentials(const std::string& text, const std::string& origin) {
    Credentials out;
    std::istringstream in(text);
    std::string line;
    std::string section;
    bool in_section = false;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        try {
            std::size_t i = 0;
            while (i < line.size() && is_space(line[i]))
                ++i;
            const std::string_view rest = std::string_view(line).substr(i);
            if (rest.empty() || rest.front() == '#' || rest.front() == ';') continue;
            if (rest.front() == '!') throw LineError{"include directives are not supported"};
            if (rest.front() == '[') {
                const auto close = rest.find(']');
                if (close == std::string_view::npos)
                    throw LineError{"missing ']' in section header"};
                std::string_view after = rest.substr(close + 1);
                while (!after.empty() && is_space(after.front()))
                    after.remove_prefix(1);
                if (!after.empty() && after.front() != '#' && after.front() != ';') {
                    throw LineError{"unexpected text after section header"};
                }
                std::string_view name = rest.substr(1, close - 1);
                while (!name.empty() && is_space(name.front()))
                    name.remove_prefix(1);
                while (!name.empty() && is_space(name.back()))
                    name.remove_suffix(1);
                if (name.empty()) throw LineError{"empty section name"};
                section = lower(std::string(name));
                in_section = true;
                continue;
            }
            std::size_t n = 0;
            while (n < rest.size() && is_name_char(rest[n]))
                ++n;
            if (n == 0) throw LineError{"expected name = value"};
            const std::string name = lower(std::string(rest.substr(0, n)));
            std::size_t j = n;
            while (j < rest.size() && is_space(rest[j]))
                ++j;
            const bool has_value = j < rest.size() && rest[j] == '=';
            if (!has_value && j < rest.size() && rest[j] != '#' && rest[j] != ';') {
                throw LineError{"expected '=' after " + std::string(rest.substr(0, n))};
            }
            if (!in_section) throw LineError{name + " is outside of any [section]"};
            if (section != "client" || (name != "user" && name != "password")) continue;
            if (!has_value) throw LineError{name + " has no value"};
            std::string value = parse_value(rest.substr(j + 1));
            (name == "user" ? out.user : out.password) = std::move(value);
        } catch (const LineError& e) {
            throw ConfigError("Cannot parse MySQLOrchestratorCredentialsConfigFile " + origin +
                              ": line " + std::to_string(number) + ": " + e.message);
        }
    }
    return out;
}

Credentials read_credentials_file(const std::string& path) {
    std::string reason;
    const auto text = read_text_file(path, reason);
    if (!text) {
        throw ConfigError("Cannot read MySQLOrchestratorCredentialsConfigFile " + path + ": " +
                          reason);
    }
    return parse_credentials(*text, path);
}

}  // namespace orcraft::backend
