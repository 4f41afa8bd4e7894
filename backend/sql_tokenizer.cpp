#include "backend/sql_tokenizer.hpp"

#include <array>
#include <cctype>

namespace orcraft::backend::dialect {
namespace {

bool is_word_start(unsigned char c) {
    return std::isalpha(c) != 0 || c == '_' || c == '$' || c >= 0x80;
}

bool is_word_char(unsigned char c) {
    return is_word_start(c) || std::isdigit(c) != 0;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

// MySQL's backslash escapes inside string literals (NO_BACKSLASH_ESCAPES off, the default).
void append_escape(std::string& out, char c) {
    switch (c) {
        case '0':
            out += '\0';
            break;
        case 'b':
            out += '\b';
            break;
        case 'n':
            out += '\n';
            break;
        case 'r':
            out += '\r';
            break;
        case 't':
            out += '\t';
            break;
        case 'Z':
            out += '\x1a';
            break;
        // MySQL keeps the backslash for \% and \_ so that LIKE patterns stay escaped.
        case '%':
            out += "\\%";
            break;
        case '_':
            out += "\\_";
            break;
        default:
            out += c;
            break;
    }
}

constexpr std::array<std::string_view, 13> kMultiCharOps = {
    "<=>", "->>", "<=", ">=", "<>", "!=", "||", "&&", ":=", "<<", ">>", "->", "==",
};

}  // namespace

std::vector<Token> tokenize(std::string_view sql) {
    std::vector<Token> tokens;
    tokens.reserve(sql.size() / 8 + 8);  // one allocation for most statements
    std::size_t i = 0;
    const std::size_t n = sql.size();
    auto at = [&](std::size_t k) -> unsigned char {
        return k < n ? static_cast<unsigned char>(sql[k]) : 0;
    };

    while (i < n) {
        const unsigned char c = at(i);
        if (std::isspace(c) != 0) {
            ++i;
            continue;
        }
        // Comments. MySQL only treats "--" as a comment when whitespace (or the end) follows.
        if (c == '#' ||
            (c == '-' && at(i + 1) == '-' && (i + 2 >= n || std::isspace(at(i + 2)) != 0))) {
            while (i < n && sql[i] != '\n') {
                ++i;
            }
            continue;
        }
        if (c == '/' && at(i + 1) == '*') {
            if (at(i + 2) == '!') {
                throw DialectError("unsupported in portable SQL: executable comment /*! ... */");
            }
            const auto close = sql.find("*/", i + 2);
            if (close == std::string_view::npos) {
                throw DialectError("unterminated comment");
            }
            i = close + 2;
            continue;
        }

        Token tok;
        tok.begin = i;
        if (c == '\'' || c == '"') {
            tok.kind = TokenKind::String;
            const char quote = static_cast<char>(c);
            ++i;
            bool closed = false;
            while (i < n) {
                const char d = sql[i];
                if (d == '\\' && i + 1 < n) {
                    append_escape(tok.value, sql[i + 1]);
                    i += 2;
                } else if (d == quote && at(i + 1) == static_cast<unsigned char>(quote)) {
                    tok.value += quote;
                    i += 2;
                } else if (d == quote) {
                    ++i;
                    closed = true;
                    break;
                } else {
                    tok.value += d;
                    ++i;
                }
            }
            if (!closed) {
                throw DialectError("unterminated string literal");
            }
        } else if (c == '`') {
            tok.kind = TokenKind::QuotedIdent;
            ++i;
            bool closed = false;
            while (i < n) {
                if (sql[i] == '`' && at(i + 1) == '`') {
                    tok.value += '`';
                    i += 2;
                } else if (sql[i] == '`') {
                    ++i;
                    closed = true;
                    break;
                } else {
                    tok.value += sql[i++];
                }
            }
            if (!closed) {
                throw DialectError("unterminated quoted identifier");
            }
            if (tok.value.empty()) {
                throw DialectError("empty quoted identifier");
            }
        } else if ((c == 'x' || c == 'X' || c == 'b' || c == 'B') && at(i + 1) == '\'') {
            // X'0A1B' (both engines read it as a blob) or b'0101' (refused by the validator).
            tok.kind = TokenKind::Number;
            const auto close = sql.find('\'', i + 2);
            if (close == std::string_view::npos) {
                throw DialectError("unterminated string literal");
            }
            i = close + 1;
        } else if (std::isdigit(c) != 0 || (c == '.' && std::isdigit(at(i + 1)) != 0)) {
            tok.kind = TokenKind::Number;
            if (c == '0' && (at(i + 1) == 'x' || at(i + 1) == 'X')) {
                i += 2;
                while (std::isxdigit(at(i)) != 0) {
                    ++i;
                }
            } else {
                while (std::isdigit(at(i)) != 0) {
                    ++i;
                }
                if (at(i) == '.') {
                    ++i;
                    while (std::isdigit(at(i)) != 0) {
                        ++i;
                    }
                }
                if ((at(i) == 'e' || at(i) == 'E') &&
                    (std::isdigit(at(i + 1)) != 0 ||
                     ((at(i + 1) == '+' || at(i + 1) == '-') && std::isdigit(at(i + 2)) != 0))) {
                    i += 2;
                    while (std::isdigit(at(i)) != 0) {
                        ++i;
                    }
                }
            }
            if (is_word_char(at(i))) {
                // "1abc" is an identifier in MySQL; we do not accept such names.
                throw DialectError("unsupported in portable SQL: identifier starting with a digit");
            }
        } else if (is_word_start(c) || c == '@') {
            tok.kind = TokenKind::Word;
            ++i;
            while (i < n && (is_word_char(at(i)) || sql[i] == '@')) {
                ++i;
            }
        } else if (c == '?') {
            tok.kind = TokenKind::Placeholder;
            ++i;
        } else {
            tok.kind = TokenKind::Operator;
            bool matched = false;
            for (auto op : kMultiCharOps) {
                if (sql.substr(i, op.size()) == op) {
                    i += op.size();
                    matched = true;
                    break;
                }
            }
            if (!matched) {
                static constexpr std::string_view kSingle = "(),;.+-*/%=<>!~&|^:{}[]";
                if (kSingle.find(static_cast<char>(c)) == std::string_view::npos) {
                    throw DialectError(std::string("unexpected character in SQL: '") +
                                       static_cast<char>(c) + "'");
                }
                ++i;
            }
        }
        tok.end = i;
        tok.text = std::string(sql.substr(tok.begin, tok.end - tok.begin));
        if (tok.kind == TokenKind::Word) {
            tok.value = upper(tok.text);
        }
        tokens.push_back(std::move(tok));
    }
    return tokens;
}

std::string quote_string(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '\'';
    for (char c : text) {
        if (c == '\0') {
            throw DialectError(
                "unsupported in portable SQL: NUL byte in a string literal (bind it as a "
                "parameter)");
        }
        if (c == '\'') {
            out += '\'';
        }
        out += c;
    }
    out += '\'';
    return out;
}

std::string quote_ident_sqlite(std::string_view name) {
    std::string out;
    out.reserve(name.size() + 2);
    out += '"';
    for (char c : name) {
        if (c == '"') {
            out += '"';
        }
        out += c;
    }
    out += '"';
    return out;
}

}  // namespace orcraft::backend::dialect
