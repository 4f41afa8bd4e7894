#pragma once
// A lexer for the portable SQL dialect (MySQL-flavoured SQL, see docs/sql-dialect.md).
//
// The translator and the validator work on these tokens, never on raw text, so that a keyword
// inside a string literal, a quoted identifier or a comment is never mistaken for SQL. Every
// token keeps the exact bytes it was read from (`text`) and its position, so a caller that only
// needs to replace a few tokens can splice the original text and keep everything else intact.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace orcraft::backend::dialect {

// Thrown for any statement outside the portable dialect; the message names the construct.
class DialectError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

enum class TokenKind {
    Word,         // bare keyword or identifier: SELECT, t, NOW
    QuotedIdent,  // `ident` (value holds the unquoted name)
    String,       // 'text' or "text" (value holds the decoded bytes)
    Number,       // 12, 1.5, 1e3, 0x1F
    Placeholder,  // ?
    Operator,     // punctuation and operators: ( ) , ; . + - * / = <> <= >= != || && etc.
};

struct Token {
    TokenKind kind = TokenKind::Word;
    std::string text;       // the bytes as written in the statement
    std::string value;      // decoded content for String and QuotedIdent; upper-cased text for Word
    std::size_t begin = 0;  // byte offset of the token in the statement
    std::size_t end = 0;    // one past the last byte

    bool is_word(std::string_view upper) const { return kind == TokenKind::Word && value == upper; }
    bool is_op(std::string_view op) const { return kind == TokenKind::Operator && text == op; }
    // A bare word or a backquoted identifier, as a name (unquoted, original case).
    bool is_name() const { return kind == TokenKind::Word || kind == TokenKind::QuotedIdent; }
    std::string name() const { return kind == TokenKind::QuotedIdent ? value : text; }
};

// Splits a statement into tokens, dropping whitespace and comments (`-- `, `#`, `/* */`).
// Throws DialectError for an unterminated string, identifier or comment, for MySQL's
// executable comments (`/*! ... */`, which would run differently on each engine) and for
// characters that are not part of SQL.
std::vector<Token> tokenize(std::string_view sql);

// Quotes text as an SQL string literal in the standard form both engines read the same way:
// single quotes, an embedded quote doubled, no backslash escapes. Text containing a NUL byte
// cannot be written as a literal and is refused with DialectError.
std::string quote_string(std::string_view text);

// Quotes a name as a double-quoted identifier (SQLite's standard form).
std::string quote_ident_sqlite(std::string_view name);

}  // namespace orcraft::backend::dialect
