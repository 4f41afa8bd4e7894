#include "backend/dialect.hpp"

#include "backend/sql_rand.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <unordered_set>

namespace orcraft::backend::dialect {
namespace {

using Tokens = std::vector<Token>;

[[noreturn]] void unsupported(const std::string& what) {
    throw DialectError("unsupported in portable SQL: " + what);
}

[[noreturn]] void nondeterministic(const std::string& what) {
    throw DialectError("non-deterministic in replicated SQL: " + what);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Words that may be followed by '(' without being a function call.
const std::unordered_set<std::string> kNotFunctions = {
    "VALUES",   "VALUE",  "IN",    "EXISTS",  "AND",    "OR",    "NOT", "ON",    "USING",
    "AS",       "FROM",   "WHERE", "SELECT",  "JOIN",   "UNION", "ALL", "ANY",   "SOME",
    "THEN",     "ELSE",   "WHEN",  "CASE",    "BY",     "SET",   "IS",  "LIKE",  "BETWEEN",
    "DISTINCT", "HAVING", "LIMIT", "OFFSET",  "INTO",   "TABLE", "KEY", "INDEX", "PRIMARY",
    "UNIQUE",   "CHECK",  "NULL",  "DEFAULT", "UPDATE",
};

// Functions that can never give the same result on every node.
const std::unordered_set<std::string> kNonDeterministic = {
    "UUID",
    "UUID_SHORT",
    "SYSDATE",
    "CONNECTION_ID",
    "LOAD_FILE",
    "GET_LOCK",
    "RELEASE_LOCK",
    "RELEASE_ALL_LOCKS",
    "IS_FREE_LOCK",
    "IS_USED_LOCK",
    "SLEEP",
    "BENCHMARK",
    "FOUND_ROWS",
    "ROW_COUNT",
    "LAST_INSERT_ID",
    "USER",
    "CURRENT_USER",
    "SESSION_USER",
    "SYSTEM_USER",
    "DATABASE",
    "SCHEMA",
    "VERSION",
    "RANDOM_BYTES",
    "MASTER_POS_WAIT",
    "MASTER_GTID_WAIT",
    "NEXTVAL",
    "LASTVAL",
    "SETVAL",
    "NEXT",
};

// Functions with the same name and meaning on both engines (SQLite's built-ins, or the ones
// the SQLite driver registers with MySQL's semantics: NOW, UTC_TIMESTAMP, UNIX_TIMESTAMP).
const std::unordered_set<std::string> kSameFunctions = {
    "COUNT",     "SUM",      "MIN",    "MAX",           "AVG",
    "ABS",       "COALESCE", "IFNULL", "NULLIF",        "SUBSTR",
    "SUBSTRING", "REPLACE",  "TRIM",   "LTRIM",         "RTRIM",
    "LOWER",     "UPPER",    "NOW",    "UTC_TIMESTAMP", "UNIX_TIMESTAMP",
};

const std::set<std::string> kIntervalUnits = {
    "MICROSECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR",
};

const std::unordered_set<std::string> kTimeWordsUnsupported = {
    "CURRENT_DATE", "CURRENT_TIME", "CURDATE", "CURTIME", "UTC_DATE", "UTC_TIME",
};

// Words refused wherever they appear, with the construct they stand for.
const std::unordered_map<std::string, std::string> kRefusedWords = {
    {"XOR", "XOR operator"},
    {"REGEXP", "REGEXP"},
    {"RLIKE", "RLIKE"},
    {"SOUNDS", "SOUNDS LIKE"},
    {"BINARY", "BINARY operator"},
    {"OVER", "window functions (OVER)"},
    {"WITH", "WITH clause"},
    {"COLLATE", "COLLATE in expressions"},
    {"STRAIGHT_JOIN", "STRAIGHT_JOIN"},
    {"HIGH_PRIORITY", "HIGH_PRIORITY"},
    {"LOW_PRIORITY", "LOW_PRIORITY"},
    {"DELAYED", "DELAYED"},
    {"NATURAL", "NATURAL JOIN"},
    {"PARTITION", "PARTITION"},
    {"MATCH", "MATCH ... AGAINST (full-text search)"},
    {"LOCK", "LOCK IN SHARE MODE"},
    {"FORCE", "index hints (FORCE INDEX)"},
    {"PROCEDURE", "PROCEDURE"},
    {"OUTFILE", "SELECT ... INTO OUTFILE"},
    {"DUMPFILE", "SELECT ... INTO DUMPFILE"},
};

struct Piece {
    std::string text;
    bool operand = false;  // a complete primary expression (name, literal, call, group)
};

std::string join(const std::vector<Piece>& pieces) {
    std::string out;
    for (const auto& p : pieces) {
        if (!out.empty()) {
            out += ' ';
        }
        out += p.text;
    }
    return out;
}

// One statement being translated: its tokens, matching parentheses and the translation.
class Translator {
  public:
    explicit Translator(Tokens tokens) : t_(std::move(tokens)) {
        std::vector<std::size_t> open;
        match_.assign(t_.size(), 0);
        for (std::size_t i = 0; i < t_.size(); ++i) {
            if (t_[i].is_op("(")) {
                open.push_back(i);
            } else if (t_[i].is_op(")")) {
                if (open.empty()) {
                    throw DialectError("unbalanced parentheses");
                }
                match_[open.back()] = i;
                match_[i] = open.back();
                open.pop_back();
            }
        }
        if (!open.empty()) {
            throw DialectError("unbalanced parentheses");
        }
    }

    Translation run();

  private:
    // ---- helpers over the token list ----
    const Token& tok(std::size_t i) const {
        static const Token kEnd{TokenKind::Operator, "", "", 0, 0};
        return i < t_.size() ? t_[i] : kEnd;
    }
    bool word(std::size_t i, std::string_view w) const { return tok(i).is_word(w); }
    bool op(std::size_t i, std::string_view o) const { return tok(i).is_op(o); }
    void expect_word(std::size_t& i, std::string_view w) {
        if (!word(i, w)) {
            throw DialectError("syntax error: expected " + std::string(w) + " near '" +
                               tok(i).text + "'");
        }
        ++i;
    }
    std::string take_name(std::size_t& i, const char* what) {
        if (i >= t_.size() || !t_[i].is_name()) {
            throw DialectError(std::string("syntax error: expected ") + what + " near '" +
                               tok(i).text + "'");
        }
        std::string n = t_[i].name();
        const std::string l = lower(n);
        if (l.rfind("orcraft_", 0) == 0 || l.rfind("sqlite_", 0) == 0) {
            unsupported("reserved name " + n);
        }
        ++i;
        if (op(i, ".")) {
            unsupported("qualified name " + n + ".");
        }
        return n;
    }
    // Splits [b, e) at top-level commas.
    std::vector<std::pair<std::size_t, std::size_t>> split_commas(std::size_t b,
                                                                  std::size_t e) const {
        std::vector<std::pair<std::size_t, std::size_t>> parts;
        std::size_t start = b;
        for (std::size_t i = b; i < e; ++i) {
            if (op(i, "(")) {
                i = match_[i];
            } else if (op(i, ",")) {
                parts.emplace_back(start, i);
                start = i + 1;
            }
        }
        parts.emplace_back(start, e);
        return parts;
    }

    // ---- expressions ----
    std::vector<Piece> render(std::size_t b, std::size_t e);
    std::string render_text(std::size_t b, std::size_t e) { return join(render(b, e)); }
    std::string render_call(const std::string& fname, std::size_t open, std::size_t close);
    std::string render_interval(std::size_t& i, std::size_t e, const std::string& operand,
                                bool negate);

    // ---- statements ----
    void select();
    void insert(bool replace);
    void update();
    void delete_();
    void create_table();
    void create_index(bool unique, std::size_t i);
    void alter_table();
    void drop();
    void truncate();

    struct ColumnOut {
        std::string sql;
        std::string name;
        bool autoinc = false;
        bool primary = false;
    };
    ColumnOut column_def(std::size_t b, std::size_t e, const std::string& table, bool for_alter);
    std::string key_columns(std::size_t open, std::size_t close, std::vector<std::string>* names);
    std::string index_name(const std::string& table, const std::string& name) const {
        return quote_ident_sqlite(table + "__" + name);
    }
    void table_options(std::size_t i);

    Tokens t_;
    std::vector<std::size_t> match_;
    Translation out_;
    bool in_upsert_ = false;
    bool in_insert_ = false;  // rendering the VALUES part of an INSERT
};

std::vector<Piece> Translator::render(std::size_t b, std::size_t e) {
    std::vector<Piece> pieces;
    for (std::size_t i = b; i < e; ++i) {
        const Token& k = t_[i];
        switch (k.kind) {
            case TokenKind::String:
                pieces.push_back({quote_string(k.value), true});
                continue;
            case TokenKind::Placeholder:
                ++out_.placeholders;
                pieces.push_back({"?", true});
                continue;
            case TokenKind::Number:
                if (k.text.size() > 1 && (k.text[1] == 'x' || k.text[1] == 'X') &&
                    k.text[0] == '0') {
                    unsupported("hexadecimal number literal " + k.text);
                }
                if (k.text[0] == 'b' || k.text[0] == 'B') {
                    unsupported("bit literal " + k.text);
                }
                if (k.text.find_first_of(".eE") == std::string::npos && k.text[0] != 'x' &&
                    k.text[0] != 'X') {
                    const std::string digits =
                        k.text.substr(k.text.find_first_not_of('0') == std::string::npos
                                          ? k.text.size() - 1
                                          : k.text.find_first_not_of('0'));
                    const bool negative = !pieces.empty() && pieces.back().text == "-";
                    const std::string limit =
                        negative ? "9223372036854775808" : "9223372036854775807";
                    if (digits.size() > limit.size() ||
                        (digits.size() == limit.size() && digits > limit)) {
                        unsupported("integer literal " + k.text +
                                    " outside the signed 64-bit range");
                    }
                }
                pieces.push_back({k.text, true});
                continue;
            case TokenKind::QuotedIdent:
            case TokenKind::Word:
                break;
            case TokenKind::Operator: {
                const std::string& o = k.text;
                if (o == "(") {
                    const std::size_t close = match_[i];
                    // A parenthesized group after a non-function word: IN (...), VALUES (...).
                    pieces.push_back({"(" + render_text(i + 1, close) + ")", true});
                    i = close;
                } else if ((o == "+" || o == "-") && word(i + 1, "INTERVAL")) {
                    if (pieces.empty() || !pieces.back().operand) {
                        unsupported("INTERVAL without a left operand (write x + INTERVAL n UNIT)");
                    }
                    std::string operand = pieces.back().text;
                    pieces.pop_back();
                    i += 2;
                    pieces.push_back({render_interval(i, e, operand, o == "-"), true});
                    --i;
                } else if (o == "||") {
                    pieces.push_back({"OR", false});  // MySQL's || is logical OR
                } else if (o == "&&") {
                    pieces.push_back({"AND", false});
                } else if (o == "!") {
                    pieces.push_back({"NOT", false});
                } else if (o == "<=>") {
                    pieces.push_back({"IS", false});
                } else if (o == "/") {
                    unsupported(
                        "'/' division (its result type differs between engines; use DIV for "
                        "integer division)");
                } else if (o == "=" || o == "<>" || o == "!=" || o == "<" || o == ">" ||
                           o == "<=" || o == ">=" || o == "+" || o == "-" || o == "*" || o == "%" ||
                           o == "," || o == ".") {
                    pieces.push_back({o, false});
                } else if (o == ")") {
                    throw DialectError("unbalanced parentheses");
                } else {
                    unsupported("operator " + o);
                }
                continue;
            }
        }
        // Names and keywords.
        const std::string name = k.name();
        const std::string lname = lower(name);
        if (lname.rfind("orcraft_", 0) == 0 || lname.rfind("sqlite_", 0) == 0) {
            unsupported("reserved name " + name);
        }
        if (k.kind == TokenKind::QuotedIdent) {
            std::string text = quote_ident_sqlite(k.value);
            // Merge qualified names (t.c, t.*) into one operand.
            while (op(i + 1, ".") && i + 2 < e && (t_[i + 2].is_name() || op(i + 2, "*"))) {
                text += "." + (t_[i + 2].is_name() ? quote_ident_sqlite(t_[i + 2].name())
                                                   : std::string("*"));
                i += 2;
            }
            pieces.push_back({text, true});
            continue;
        }
        const std::string& w = k.value;
        if (w[0] == '@') {
            if (w.rfind("@@", 0) == 0) {
                nondeterministic("system variable " + k.text);
            }
            nondeterministic("user variable " + k.text);
        }
        if (auto r = kRefusedWords.find(w); r != kRefusedWords.end()) {
            unsupported(r->second);
        }
        if (w.rfind("SQL_", 0) == 0) {
            unsupported(w);
        }
        if (kTimeWordsUnsupported.count(w) != 0) {
            unsupported(w + " (use NOW() or UTC_TIMESTAMP())");
        }
        if (w == "INTERVAL") {
            unsupported("INTERVAL outside x + INTERVAL n UNIT");
        }
        if (w == "DIV") {
            pieces.push_back({"/", false});
            continue;
        }
        if (w == "MOD" && !op(i + 1, "(")) {
            pieces.push_back({"%", false});
            continue;
        }
        if ((w == "VALUES" || w == "VALUE") && op(i + 1, "(") && !in_insert_ && !in_upsert_) {
            unsupported("VALUES() outside INSERT");
        }
        const bool call =
            op(i + 1, "(") && (kNotFunctions.count(w) == 0 || (in_upsert_ && w == "VALUES"));
        if (call) {
            const std::size_t close = match_[i + 1];
            pieces.push_back({render_call(w, i + 1, close), true});
            i = close;
            continue;
        }
        if (w == "CURRENT_TIMESTAMP") {
            pieces.push_back({"CURRENT_TIMESTAMP", true});
            continue;
        }
        if (w == "LOCALTIME" || w == "LOCALTIMESTAMP") {
            pieces.push_back({"NOW()", true});
            continue;
        }
        if (w == "UTC_TIMESTAMP") {
            pieces.push_back({"UTC_TIMESTAMP()", true});
            continue;
        }
        if (w == "CURRENT_USER") {
            nondeterministic(w);
        }
        std::string text = k.text;
        while (op(i + 1, ".") && i + 2 < e && (t_[i + 2].is_name() || op(i + 2, "*"))) {
            text += "." + (t_[i + 2].kind == TokenKind::QuotedIdent
                               ? quote_ident_sqlite(t_[i + 2].value)
                               : t_[i + 2].text);
            i += 2;
        }
        // Keywords are not operands; names and literals (NULL, TRUE) are. Close enough for the
        // INTERVAL rule, which only needs to know whether something precedes the '+'.
        static const std::unordered_set<std::string> kOperandWords = {"NULL", "TRUE", "FALSE"};
        const bool is_keyword = kNotFunctions.count(w) != 0 || w == "AND" || w == "OR" ||
                                w == "NOT" || w == "THEN" || w == "ELSE" || w == "WHEN" ||
                                w == "END" || w == "CASE" || w == "ORDER" || w == "GROUP" ||
                                w == "LIMIT" || w == "ASC" || w == "DESC";
        pieces.push_back({text, kOperandWords.count(w) != 0 || !is_keyword});
    }
    return pieces;
}

std::string Translator::render_interval(std::size_t& i, std::size_t e, const std::string& operand,
                                        bool negate) {
    // i points at the value after INTERVAL.
    std::string value;
    bool minus = false;
    if (op(i, "-")) {
        minus = true;
        ++i;
    }
    if (i >= e) {
        throw DialectError("syntax error: INTERVAL without a value");
    }
    if (op(i, "(")) {
        const std::size_t close = match_[i];
        value = "(" + render_text(i + 1, close) + ")";
        i = close + 1;
    } else if (t_[i].kind == TokenKind::Number || t_[i].kind == TokenKind::Placeholder ||
               t_[i].kind == TokenKind::String) {
        value = render_text(i, i + 1);
        ++i;
    } else {
        unsupported("INTERVAL value '" + t_[i].text +
                    "' (use a number, a placeholder or a parenthesized expression)");
    }
    if (i >= e || t_[i].kind != TokenKind::Word) {
        throw DialectError("syntax error: INTERVAL without a unit");
    }
    const std::string unit = t_[i].value;
    if (kIntervalUnits.count(unit) == 0) {
        unsupported("INTERVAL unit " + t_[i].text);
    }
    ++i;
    if (minus != negate) {
        value = "-(" + value + ")";
    }
    return "orcraft_date_add(" + operand + ", " + value + ", '" + unit + "')";
}

std::string Translator::render_call(const std::string& f, std::size_t open, std::size_t close) {
    const auto args = (open + 1 == close) ? std::vector<std::pair<std::size_t, std::size_t>>{}
                                          : split_commas(open + 1, close);
    auto arg = [&](std::size_t n) { return render_text(args[n].first, args[n].second); };
    auto all_args = [&](const char* sep) {
        std::string s;
        for (std::size_t n = 0; n < args.size(); ++n) {
            if (n != 0) {
                s += sep;
            }
            s += "(" + arg(n) + ")";
        }
        return s;
    };
    if (kNonDeterministic.count(f) != 0) {
        nondeterministic(f + "()");
    }
    if (kTimeWordsUnsupported.count(f) != 0) {
        unsupported(f + "() (use NOW() or UTC_TIMESTAMP())");
    }
    if (f == "RAND") {
        if (!args.empty()) {
            unsupported("RAND(N) with a seed argument");
        }
        throw DialectError("RAND() must be replaced from the entry's stamp before translation");
    }
    if (f == "CONCAT") {
        if (args.empty()) {
            throw DialectError("syntax error: CONCAT() needs at least one argument");
        }
        return "(''||" + all_args("||") + ")";
    }
    if (f == "IF") {
        if (args.size() != 3) {
            throw DialectError("syntax error: IF() takes three arguments");
        }
        return "iif(" + all_args(", ") + ")";
    }
    if (f == "LENGTH" || f == "OCTET_LENGTH") {
        if (args.size() != 1) {
            throw DialectError("syntax error: LENGTH() takes one argument");
        }
        return "length(CAST((" + arg(0) + ") AS BLOB))";  // MySQL's LENGTH counts bytes
    }
    if (f == "CHAR_LENGTH" || f == "CHARACTER_LENGTH") {
        return "length(" + all_args(", ") + ")";
    }
    if (f == "GREATEST" || f == "LEAST") {
        if (args.size() < 2) {
            throw DialectError("syntax error: " + f + "() takes at least two arguments");
        }
        return std::string(f == "GREATEST" ? "max(" : "min(") + all_args(", ") + ")";
    }
    if (f == "CURRENT_TIMESTAMP" || f == "LOCALTIME" || f == "LOCALTIMESTAMP") {
        if (!args.empty()) {
            unsupported(f + "(n) with fractional seconds");
        }
        return f == "CURRENT_TIMESTAMP" ? "CURRENT_TIMESTAMP" : "NOW()";
    }
    if (f == "NOW" || f == "UTC_TIMESTAMP") {
        if (!args.empty()) {
            unsupported(f + "(n) with fractional seconds");
        }
        return f + "()";
    }
    if (f == "DATE_ADD" || f == "DATE_SUB" || f == "ADDDATE" || f == "SUBDATE") {
        if (args.size() != 2 || !word(args[1].first, "INTERVAL")) {
            unsupported(f + "() without INTERVAL n UNIT");
        }
        std::size_t i = args[1].first + 1;
        const std::string operand = "(" + arg(0) + ")";
        std::string s =
            render_interval(i, args[1].second, operand, f == "DATE_SUB" || f == "SUBDATE");
        if (i != args[1].second) {
            throw DialectError("syntax error in " + f + "()");
        }
        return s;
    }
    if (f == "VALUES" || f == "VALUE") {
        // Only reached inside ON DUPLICATE KEY UPDATE (kNotFunctions covers the VALUES list).
        if (!in_upsert_ || args.size() != 1 || args[0].second != args[0].first + 1 ||
            !t_[args[0].first].is_name()) {
            unsupported("VALUES() outside ON DUPLICATE KEY UPDATE");
        }
        return "excluded." + quote_ident_sqlite(t_[args[0].first].name());
    }
    if (kSameFunctions.count(f) != 0) {
        return f + "(" + render_text(open + 1, close) + ")";
    }
    unsupported("function " + f + "()");
}

// ---------------------------------------------------------------------------------------------
// Statements

void Translator::select() {
    out_.kind = StatementKind::Read;
    out_.verb = Verb::Select;
    for (std::size_t i = 0; i < t_.size(); ++i) {
        if (op(i, "(")) {
            continue;  // subqueries are checked by the renderer's word rules
        }
        if (word(i, "INTO")) {
            unsupported("SELECT ... INTO");
        }
        if ((word(i, "USE") || word(i, "IGNORE")) && (word(i + 1, "INDEX") || word(i + 1, "KEY"))) {
            unsupported("index hints (" + t_[i].value + " INDEX)");
        }
        if (word(i, "FOR") && (word(i + 1, "UPDATE") || word(i + 1, "SHARE"))) {
            unsupported("SELECT ... FOR " + t_[i + 1].value + " (locking reads)");
        }
    }
    out_.sqlite.push_back(render_text(0, t_.size()));
}

void Translator::insert(bool replace) {
    out_.kind = StatementKind::Write;
    std::size_t i = 1;
    std::string head = replace ? "REPLACE" : "INSERT";
    out_.verb = replace ? Verb::Replace : Verb::Insert;
    if (word(i, "IGNORE")) {
        if (replace) {
            throw DialectError("syntax error: REPLACE IGNORE");
        }
        head = "INSERT OR IGNORE";
        out_.verb = Verb::InsertIgnore;
        ++i;
    }
    if (word(i, "INTO")) {
        ++i;
    }
    out_.table = take_name(i, "table name");
    const std::size_t body = i;
    // Find ON DUPLICATE KEY UPDATE at the top level; refuse INSERT ... SET.
    std::size_t odku = t_.size();
    bool has_select = false;
    for (std::size_t k = body; k < t_.size(); ++k) {
        if (op(k, "(")) {
            k = match_[k];
        } else if (word(k, "ON") && word(k + 1, "DUPLICATE")) {
            odku = k;
            break;
        } else if (word(k, "SET") && k == body) {
            unsupported("INSERT ... SET (use INSERT ... (columns) VALUES (...))");
        } else if (word(k, "SELECT")) {
            has_select = true;
        }
    }
    if (op(body, "(") && !word(body + 1, "SELECT")) {
        for (auto [b, e] : split_commas(body + 1, match_[body])) {
            if (e != b + 1 || !t_[b].is_name()) {
                throw DialectError("syntax error in the column list");
            }
            out_.columns.push_back(t_[b].name());
        }
    }
    if (!op(body, "(") && !word(body, "VALUES") && !word(body, "VALUE") && !word(body, "SELECT")) {
        throw DialectError("syntax error near '" + tok(body).text + "'");
    }
    if (!has_select) {
        std::size_t v = body;
        if (op(v, "(")) {
            v = match_[v] + 1;
        }
        if (word(v, "VALUES") || word(v, "VALUE")) {
            out_.value_rows = split_commas(v + 1, odku).size();
        }
    }
    in_insert_ = true;
    std::string sql =
        head + " INTO " + quote_ident_sqlite(out_.table) + " " + render_text(body, odku);
    in_insert_ = false;
    if (odku != t_.size()) {
        if (replace || out_.verb == Verb::InsertIgnore) {
            unsupported("ON DUPLICATE KEY UPDATE combined with REPLACE or IGNORE");
        }
        if (has_select) {
            unsupported("INSERT ... SELECT ... ON DUPLICATE KEY UPDATE");
        }
        std::size_t k = odku + 2;
        expect_word(k, "KEY");
        expect_word(k, "UPDATE");
        out_.verb = Verb::Upsert;
        in_upsert_ = true;
        sql += " ON CONFLICT DO UPDATE SET " + render_text(k, t_.size());
        in_upsert_ = false;
    }
    out_.sqlite.push_back(sql);
}

void Translator::update() {
    out_.kind = StatementKind::Write;
    out_.verb = Verb::Update;
    std::size_t i = 1;
    if (word(i, "IGNORE")) {
        unsupported("UPDATE IGNORE");
    }
    out_.table = take_name(i, "table name");
    if (!word(i, "SET")) {
        unsupported("multi-table UPDATE or table alias in UPDATE");
    }
    for (std::size_t k = i; k < t_.size(); ++k) {
        if (op(k, "(")) {
            k = match_[k];
        } else if (word(k, "ORDER") || word(k, "LIMIT")) {
            unsupported("UPDATE ... " + t_[k].value);
        }
    }
    out_.sqlite.push_back("UPDATE " + quote_ident_sqlite(out_.table) + " " +
                          render_text(i, t_.size()));
}

void Translator::delete_() {
    out_.kind = StatementKind::Write;
    out_.verb = Verb::Delete;
    std::size_t i = 1;
    if (word(i, "IGNORE") || word(i, "QUICK")) {
        unsupported("DELETE " + t_[i].value);
    }
    if (!word(i, "FROM")) {
        unsupported("multi-table DELETE");
    }
    ++i;
    out_.table = take_name(i, "table name");
    if (i < t_.size() && !word(i, "WHERE")) {
        unsupported("DELETE ... " + t_[i].text);
    }
    for (std::size_t k = i; k < t_.size(); ++k) {
        if (op(k, "(")) {
            k = match_[k];
        } else if (word(k, "ORDER") || word(k, "LIMIT")) {
            unsupported("DELETE ... " + t_[k].value);
        }
    }
    out_.sqlite.push_back("DELETE FROM " + quote_ident_sqlite(out_.table) + " " +
                          render_text(i, t_.size()));
}

// Column list of a key: (a, b DESC). Prefix lengths (a(10)) are refused.
std::string Translator::key_columns(std::size_t open, std::size_t close,
                                    std::vector<std::string>* names) {
    std::string s = "(";
    bool first = true;
    for (auto [b, e] : split_commas(open + 1, close)) {
        if (b == e || !t_[b].is_name()) {
            throw DialectError("syntax error in key column list");
        }
        std::string col = quote_ident_sqlite(t_[b].name());
        if (names != nullptr) {
            names->push_back(t_[b].name());
        }
        std::size_t k = b + 1;
        if (op(k, "(")) {
            unsupported("index prefix length");
        }
        if (word(k, "ASC") || word(k, "DESC")) {
            col += " " + t_[k].value;
            ++k;
        }
        if (k != e) {
            throw DialectError("syntax error in key column list near '" + tok(k).text + "'");
        }
        s += (first ? "" : ", ") + col;
        first = false;
    }
    return s + ")";
}

namespace {

struct IntRange {
    const char* lo;
    const char* hi;
    const char* uhi;
};

const std::unordered_map<std::string, IntRange> kIntTypes = {
    {"TINYINT", {"-128", "127", "255"}},
    {"BOOL", {"-128", "127", "255"}},
    {"BOOLEAN", {"-128", "127", "255"}},
    {"SMALLINT", {"-32768", "32767", "65535"}},
    {"MEDIUMINT", {"-8388608", "8388607", "16777215"}},
    {"INT", {"-2147483648", "2147483647", "4294967295"}},
    {"INTEGER", {"-2147483648", "2147483647", "4294967295"}},
    {"BIGINT", {nullptr, nullptr, nullptr}},
};

const std::unordered_map<std::string, const char*> kTextTypes = {
    {"TINYTEXT", "255"},
    {"TEXT", "65535"},
    {"MEDIUMTEXT", "16777215"},
    {"LONGTEXT", nullptr},
};

const std::unordered_map<std::string, const char*> kBlobTypes = {
    {"TINYBLOB", "255"},
    {"BLOB", "65535"},
    {"MEDIUMBLOB", "16777215"},
    {"LONGBLOB", nullptr},
};

const std::unordered_map<std::string, std::string> kRefusedTypes = {
    {"DECIMAL",
     "DECIMAL type (exact decimals differ between engines; use BIGINT in minor units or DOUBLE)"},
    {"DEC",
     "DECIMAL type (exact decimals differ between engines; use BIGINT in minor units or DOUBLE)"},
    {"NUMERIC",
     "NUMERIC type (exact decimals differ between engines; use BIGINT in minor units or DOUBLE)"},
    {"FIXED", "FIXED type"},
    {"FLOAT", "FLOAT type (single precision on MySQL; use DOUBLE)"},
    {"DATE", "DATE type (use DATETIME)"},
    {"TIME", "TIME type"},
    {"YEAR", "YEAR type"},
    {"BIT", "BIT type"},
    {"SET", "SET type"},
    {"JSON", "JSON type"},
    {"BINARY", "BINARY(n) type (zero-padded on MySQL; use VARBINARY)"},
    {"GEOMETRY", "spatial types"},
    {"POINT", "spatial types"},
};

}  // namespace

Translator::ColumnOut Translator::column_def(std::size_t b, std::size_t e, const std::string& table,
                                             bool for_alter) {
    ColumnOut col;
    std::size_t i = b;
    col.name = take_name(i, "column name");
    const std::string q = quote_ident_sqlite(col.name);
    if (lower(col.name).rfind("orcraft_", 0) == 0) {
        unsupported("reserved name " + col.name);
    }
    if (i >= e || t_[i].kind != TokenKind::Word) {
        throw DialectError("syntax error: column " + col.name + " without a type");
    }
    const std::string type = t_[i].value;
    ++i;
    std::vector<std::string> type_args;  // raw texts of (n[, m]) or ENUM values
    std::size_t args_open = 0;
    if (op(i, "(")) {
        args_open = i;
        for (auto [ab, ae] : split_commas(i + 1, match_[i])) {
            if (ae != ab + 1) {
                throw DialectError("syntax error in the type of column " + col.name);
            }
            type_args.push_back(t_[ab].kind == TokenKind::String ? t_[ab].value : t_[ab].text);
        }
        i = match_[i] + 1;
    }
    if (type == "DOUBLE" && word(i, "PRECISION")) {
        ++i;
    }
    bool is_unsigned = false;
    while (word(i, "UNSIGNED") || word(i, "SIGNED") || word(i, "ZEROFILL")) {
        if (word(i, "ZEROFILL")) {
            unsupported("ZEROFILL");
        }
        is_unsigned = word(i, "UNSIGNED");
        ++i;
    }

    std::string sqlite_type;
    std::vector<std::string> checks;
    bool is_integer = false;
    bool is_datetime = false;
    if (auto r = kRefusedTypes.find(type); r != kRefusedTypes.end()) {
        unsupported(r->second);
    } else if (auto it = kIntTypes.find(type); it != kIntTypes.end()) {
        is_integer = true;
        sqlite_type = "INT";
        const IntRange& r = it->second;
        std::string c = "typeof(" + q + ") = 'integer'";
        if (r.lo != nullptr) {
            c += " AND " + q + " BETWEEN " + (is_unsigned ? "0" : r.lo) + " AND " +
                 (is_unsigned ? r.uhi : r.hi);
        } else if (is_unsigned) {
            c += " AND " + q + " >= 0";
        }
        checks.push_back(c);
    } else if (type == "VARCHAR" || type == "CHAR") {
        if (type_args.size() != 1) {
            throw DialectError("syntax error: " + type + " needs a length");
        }
        sqlite_type = "TEXT";
        checks.push_back("length(" + q + ") <= " + type_args[0]);
    } else if (auto tt = kTextTypes.find(type); tt != kTextTypes.end()) {
        sqlite_type = "TEXT";
        if (tt->second != nullptr) {
            checks.push_back("length(CAST(" + q + " AS BLOB)) <= " + tt->second);
        }
    } else if (type == "VARBINARY") {
        if (type_args.size() != 1) {
            throw DialectError("syntax error: VARBINARY needs a length");
        }
        sqlite_type = "BLOB";
        checks.push_back("length(CAST(" + q + " AS BLOB)) <= " + type_args[0]);
    } else if (auto bt = kBlobTypes.find(type); bt != kBlobTypes.end()) {
        sqlite_type = "BLOB";
        if (bt->second != nullptr) {
            checks.push_back("length(CAST(" + q + " AS BLOB)) <= " + bt->second);
        }
    } else if (type == "DOUBLE" || type == "REAL") {
        if (is_unsigned) {
            unsupported("DOUBLE UNSIGNED");
        }
        if (!type_args.empty()) {
            unsupported("DOUBLE(m,d)");
        }
        sqlite_type = "REAL";
        checks.push_back("typeof(" + q + ") = 'real'");
    } else if (type == "DATETIME" || type == "TIMESTAMP") {
        if (!type_args.empty() && type_args[0] != "0") {
            unsupported(type + "(" + type_args[0] + ") with fractional seconds");
        }
        is_datetime = true;
        // The declared type keeps the MySQL name (drivers report it as "datetime") and contains
        // TEXT so that SQLite gives the column text affinity.
        sqlite_type = type + " TEXT";
        std::string c = q + " IS strftime('%Y-%m-%d %H:%M:%S', " + q + ", '+0 seconds')";
        if (type == "TIMESTAMP") {
            c += " AND " + q + " BETWEEN '1970-01-01 00:00:01' AND '2038-01-19 03:14:07'";
        }
        checks.push_back(c);
    } else if (type == "ENUM") {
        if (type_args.empty() || args_open == 0) {
            throw DialectError("syntax error: ENUM needs values");
        }
        sqlite_type = "TEXT";
        std::string c = q + " IN (";
        for (std::size_t n = 0; n < type_args.size(); ++n) {
            if (t_[split_commas(args_open + 1, match_[args_open])[n].first].kind !=
                TokenKind::String) {
                throw DialectError("syntax error: ENUM values must be strings");
            }
            c += (n == 0 ? "" : ", ") + quote_string(type_args[n]);
        }
        checks.push_back(c + ")");
    } else {
        unsupported("column type " + t_[i - 1].text);
    }
    if ((!is_integer && is_unsigned)) {
        unsupported(type + " UNSIGNED");
    }

    std::string mods;
    bool not_null = false;
    while (i < e) {
        if (word(i, "NOT") && word(i + 1, "NULL")) {
            mods += " NOT NULL";
            not_null = true;
            i += 2;
        } else if (word(i, "NULL")) {
            ++i;
        } else if (word(i, "DEFAULT")) {
            ++i;
            if (word(i, "CURRENT_TIMESTAMP") || word(i, "NOW") || word(i, "LOCALTIMESTAMP") ||
                word(i, "LOCALTIME")) {
                if (!is_datetime) {
                    unsupported(
                        "DEFAULT CURRENT_TIMESTAMP on a column that is not DATETIME or TIMESTAMP");
                }
                if (for_alter) {
                    unsupported("ADD COLUMN with DEFAULT CURRENT_TIMESTAMP");
                }
                ++i;
                if (op(i, "(")) {
                    if (match_[i] != i + 1) {
                        unsupported("CURRENT_TIMESTAMP(n) with fractional seconds");
                    }
                    i += 2;
                }
                mods += " DEFAULT CURRENT_TIMESTAMP";
            } else if (op(i, "(")) {
                unsupported("DEFAULT (expression)");
            } else {
                std::size_t s = i;
                if (op(i, "-") || op(i, "+")) {
                    ++i;
                }
                if (i >= e || (t_[i].kind != TokenKind::Number && t_[i].kind != TokenKind::String &&
                               !word(i, "NULL") && !word(i, "TRUE") && !word(i, "FALSE"))) {
                    unsupported("DEFAULT value '" + tok(i).text + "'");
                }
                ++i;
                std::string v = render_text(s, i);
                mods += " DEFAULT " + (s + 1 == i ? v : "(" + v + ")");
            }
        } else if (word(i, "AUTO_INCREMENT")) {
            if (!is_integer) {
                throw DialectError("syntax error: AUTO_INCREMENT on a non-integer column");
            }
            if (for_alter) {
                unsupported("ADD COLUMN ... AUTO_INCREMENT");
            }
            col.autoinc = true;
            ++i;
        } else if (word(i, "PRIMARY") && word(i + 1, "KEY")) {
            col.primary = true;
            i += 2;
        } else if (word(i, "KEY")) {
            col.primary = true;
            ++i;
        } else if (word(i, "UNIQUE")) {
            if (for_alter) {
                unsupported("ADD COLUMN ... UNIQUE (add the column, then ADD UNIQUE KEY)");
            }
            ++i;
            if (word(i, "KEY")) {
                ++i;
            }
            out_.sqlite.push_back("CREATE UNIQUE INDEX " + index_name(table, col.name) + " ON " +
                                  quote_ident_sqlite(table) + " (" + q + ")");
        } else if (word(i, "COMMENT") && i + 1 < e && t_[i + 1].kind == TokenKind::String) {
            i += 2;
        } else if ((word(i, "CHARACTER") && word(i + 1, "SET")) || word(i, "CHARSET")) {
            i += word(i, "CHARSET") ? 1 : 2;
            take_name(i, "character set");
        } else if (word(i, "COLLATE")) {
            ++i;
            const std::string coll = lower(take_name(i, "collation"));
            if (!ends_with(coll, "_bin")) {
                unsupported("COLLATE " + coll +
                            " (only binary collations compare the same on both engines)");
            }
        } else if (word(i, "CHECK") && op(i + 1, "(")) {
            checks.push_back(render_text(i + 2, match_[i + 1]));
            i = match_[i + 1] + 1;
        } else if (word(i, "ON") && word(i + 1, "UPDATE")) {
            unsupported("ON UPDATE CURRENT_TIMESTAMP");
        } else if (word(i, "REFERENCES")) {
            unsupported("foreign keys");
        } else if (word(i, "GENERATED") || word(i, "AS")) {
            unsupported("generated columns");
        } else {
            unsupported("column attribute " + t_[i].text);
        }
    }
    if (for_alter && not_null && mods.find(" DEFAULT ") == std::string::npos) {
        unsupported("ADD COLUMN ... NOT NULL without DEFAULT");
    }
    (void)is_datetime;
    col.sql = q + " " + (col.autoinc ? "INTEGER" : sqlite_type);
    if (col.autoinc) {
        col.sql += " PRIMARY KEY AUTOINCREMENT";
    }
    col.sql += mods;
    for (const auto& c : checks) {
        col.sql += " CHECK (" + q + " IS NULL OR (" + c + "))";
    }
    return col;
}

void Translator::table_options(std::size_t i) {
    while (i < t_.size()) {
        if (op(i, ",")) {
            ++i;
            continue;
        }
        if (word(i, "DEFAULT")) {
            ++i;
        }
        auto skip_eq = [&] {
            if (op(i, "=")) {
                ++i;
            }
        };
        if (word(i, "ENGINE") || word(i, "ROW_FORMAT")) {
            ++i;
            skip_eq();
            take_name(i, "option value");
        } else if (word(i, "CHARSET") || (word(i, "CHARACTER") && word(i + 1, "SET"))) {
            i += word(i, "CHARSET") ? 1 : 2;
            skip_eq();
            take_name(i, "character set");
        } else if (word(i, "COLLATE")) {
            ++i;
            skip_eq();
            const std::string coll = lower(take_name(i, "collation"));
            if (!ends_with(coll, "_bin")) {
                unsupported("COLLATE " + coll +
                            " (only binary collations compare the same on both engines)");
            }
        } else if (word(i, "COMMENT")) {
            ++i;
            skip_eq();
            if (tok(i).kind != TokenKind::String) {
                throw DialectError("syntax error: COMMENT needs a string");
            }
            ++i;
        } else if (word(i, "AUTO_INCREMENT")) {
            unsupported("table option AUTO_INCREMENT=n");
        } else {
            unsupported("table option " + tok(i).text);
        }
    }
}

void Translator::create_table() {
    out_.kind = StatementKind::Schema;
    out_.verb = Verb::CreateTable;
    std::size_t i = 1;
    if (word(i, "TEMPORARY")) {
        unsupported("CREATE TEMPORARY TABLE");
    }
    expect_word(i, "TABLE");
    bool if_not_exists = false;
    if (word(i, "IF")) {
        ++i;
        expect_word(i, "NOT");
        expect_word(i, "EXISTS");
        if_not_exists = true;
    }
    out_.table = take_name(i, "table name");
    const std::string& table = out_.table;
    if (lower(table).rfind("orcraft_", 0) == 0 || lower(table).rfind("sqlite_", 0) == 0) {
        unsupported("reserved name " + table);
    }
    if (word(i, "LIKE") || word(i, "AS") || word(i, "SELECT")) {
        unsupported("CREATE TABLE ... " + t_[i].value);
    }
    if (!op(i, "(")) {
        throw DialectError("syntax error: expected '(' after the table name");
    }
    const std::size_t close = match_[i];
    const auto defs = split_commas(i + 1, close);

    // First pass: the table-level primary key, so that its columns are made NOT NULL and an
    // AUTO_INCREMENT column can carry it inline.
    std::vector<std::string> pk_cols;
    std::string pk_sql;
    for (auto [b, e] : defs) {
        std::size_t k = b;
        if (word(k, "CONSTRAINT")) {
            ++k;
            if (tok(k).is_name() && !word(k, "PRIMARY") && !word(k, "UNIQUE")) {
                ++k;
            }
        }
        if (word(k, "PRIMARY") && word(k + 1, "KEY")) {
            k += 2;
            if (word(k, "USING")) {
                k += 2;
            }
            if (!op(k, "(")) {
                throw DialectError("syntax error in PRIMARY KEY");
            }
            if (!pk_cols.empty()) {
                throw DialectError("multiple primary keys");
            }
            pk_sql = "PRIMARY KEY " + key_columns(k, match_[k], &pk_cols);
        }
    }

    std::vector<std::string> columns;
    std::vector<std::string> table_constraints;
    std::vector<std::string> index_stmts;
    std::set<std::string> used_index_names;
    bool inline_pk = false;
    std::string autoinc_col;
    for (auto [b, e] : defs) {
        if (b == e) {
            throw DialectError("syntax error: empty definition in CREATE TABLE");
        }
        std::size_t k = b;
        std::string constraint_name;
        if (word(k, "CONSTRAINT")) {
            ++k;
            if (tok(k).is_name() && !word(k, "PRIMARY") && !word(k, "UNIQUE") &&
                !word(k, "CHECK") && !word(k, "FOREIGN")) {
                constraint_name = t_[k].name();
                ++k;
            }
        }
        if (word(k, "PRIMARY") && word(k + 1, "KEY")) {
            continue;  // handled in the first pass
        }
        if (word(k, "FULLTEXT") || word(k, "SPATIAL")) {
            unsupported(t_[k].value + " index");
        }
        if (word(k, "FOREIGN")) {
            unsupported("foreign keys");
        }
        if (word(k, "CHECK") && op(k + 1, "(")) {
            table_constraints.push_back("CHECK (" + render_text(k + 2, match_[k + 1]) + ")");
            continue;
        }
        const bool unique = word(k, "UNIQUE");
        if (unique || word(k, "KEY") || word(k, "INDEX")) {
            ++k;
            if (unique && (word(k, "KEY") || word(k, "INDEX"))) {
                ++k;
            }
            std::string name = constraint_name;
            if (tok(k).is_name() && !word(k, "USING")) {
                name = t_[k].name();
                ++k;
            }
            if (word(k, "USING")) {
                k += 2;
            }
            if (!op(k, "(")) {
                throw DialectError("syntax error in key definition");
            }
            std::vector<std::string> cols;
            const std::string cols_sql = key_columns(k, match_[k], &cols);
            k = match_[k] + 1;
            while (k < e) {
                if (word(k, "USING")) {
                    k += 2;
                } else if (word(k, "COMMENT") && tok(k + 1).kind == TokenKind::String) {
                    k += 2;
                } else {
                    unsupported("key option " + t_[k].text);
                }
            }
            if (name.empty()) {
                // MySQL names an unnamed key after its first column, then col_2, col_3, ...
                name = cols.front();
                for (int n = 2; used_index_names.count(lower(name)) != 0; ++n) {
                    name = cols.front() + "_" + std::to_string(n);
                }
            }
            if (!used_index_names.insert(lower(name)).second) {
                throw DialectError("duplicate key name " + name);
            }
            index_stmts.push_back(std::string("CREATE ") + (unique ? "UNIQUE " : "") + "INDEX " +
                                  (if_not_exists ? "IF NOT EXISTS " : "") +
                                  index_name(table, name) + " ON " + quote_ident_sqlite(table) +
                                  " " + cols_sql);
            continue;
        }
        // A column definition. Column-level UNIQUE adds CREATE INDEX statements to out_.sqlite
        // directly; move them to the list of index statements.
        const std::size_t before = out_.sqlite.size();
        ColumnOut col = column_def(k, e, table, false);
        for (std::size_t n = before; n < out_.sqlite.size(); ++n) {
            if (!used_index_names.insert(lower(col.name)).second) {
                throw DialectError("duplicate key name " + col.name);
            }
            index_stmts.push_back(out_.sqlite[n]);
        }
        out_.sqlite.resize(before);
        const bool in_pk = std::any_of(pk_cols.begin(), pk_cols.end(), [&](const std::string& c) {
            return lower(c) == lower(col.name);
        });
        if (col.autoinc) {
            if (!autoinc_col.empty()) {
                throw DialectError("only one AUTO_INCREMENT column per table");
            }
            autoinc_col = col.name;
            if (!(col.primary || (pk_cols.size() == 1 && in_pk))) {
                unsupported("AUTO_INCREMENT column that is not the whole primary key");
            }
            if (col.primary && !pk_cols.empty()) {
                throw DialectError("multiple primary keys");
            }
        } else if (col.primary) {
            if (!pk_cols.empty() || inline_pk) {
                throw DialectError("multiple primary keys");
            }
            inline_pk = true;
            col.sql += " PRIMARY KEY NOT NULL";
        } else if (in_pk && col.sql.find(" NOT NULL") == std::string::npos) {
            col.sql += " NOT NULL";  // MySQL makes primary key columns NOT NULL
        }
        columns.push_back(col.sql);
    }
    if (!pk_sql.empty() && autoinc_col.empty()) {
        table_constraints.insert(table_constraints.begin(), pk_sql);
    }
    if (columns.empty()) {
        throw DialectError("syntax error: CREATE TABLE without columns");
    }
    table_options(close + 1);

    std::string sql = std::string("CREATE TABLE ") + (if_not_exists ? "IF NOT EXISTS " : "") +
                      quote_ident_sqlite(table) + " (";
    bool first = true;
    for (const auto& c : columns) {
        sql += (first ? "" : ", ") + c;
        first = false;
    }
    for (const auto& c : table_constraints) {
        sql += ", " + c;
    }
    sql += ")";
    out_.sqlite.push_back(sql);
    for (auto& s : index_stmts) {
        out_.sqlite.push_back(std::move(s));
    }
}

void Translator::create_index(bool unique, std::size_t i) {
    out_.kind = StatementKind::Schema;
    out_.verb = Verb::CreateIndex;
    if (word(i, "FULLTEXT") || word(i, "SPATIAL")) {
        unsupported(t_[i].value + " index");
    }
    expect_word(i, "INDEX");
    const std::string name = take_name(i, "index name");
    if (word(i, "USING")) {
        i += 2;
    }
    expect_word(i, "ON");
    out_.table = take_name(i, "table name");
    if (!op(i, "(")) {
        throw DialectError("syntax error: expected '(' in CREATE INDEX");
    }
    const std::string cols = key_columns(i, match_[i], nullptr);
    i = match_[i] + 1;
    while (i < t_.size()) {
        if (word(i, "USING")) {
            i += 2;
        } else if (word(i, "COMMENT") && tok(i + 1).kind == TokenKind::String) {
            i += 2;
        } else {
            unsupported("index option " + t_[i].text);
        }
    }
    out_.sqlite.push_back(std::string("CREATE ") + (unique ? "UNIQUE " : "") + "INDEX " +
                          index_name(out_.table, name) + " ON " + quote_ident_sqlite(out_.table) +
                          " " + cols);
}

void Translator::alter_table() {
    out_.kind = StatementKind::Schema;
    out_.verb = Verb::AlterTable;
    std::size_t i = 1;
    if (word(i, "ONLINE") || word(i, "IGNORE")) {
        unsupported("ALTER " + t_[i].value);
    }
    expect_word(i, "TABLE");
    out_.table = take_name(i, "table name");
    const std::string& table = out_.table;
    const std::string qt = quote_ident_sqlite(table);
    for (auto [b, e] : split_commas(i, t_.size())) {
        std::size_t k = b;
        if (word(k, "ADD")) {
            ++k;
            std::string cname;
            if (word(k, "CONSTRAINT")) {
                ++k;
                if (tok(k).is_name() && !word(k, "UNIQUE")) {
                    cname = t_[k].name();
                    ++k;
                }
            }
            const bool unique = word(k, "UNIQUE");
            if (unique || word(k, "INDEX") || word(k, "KEY")) {
                ++k;
                if (unique && (word(k, "INDEX") || word(k, "KEY"))) {
                    ++k;
                }
                std::string name = cname;
                if (tok(k).is_name()) {
                    name = t_[k].name();
                    ++k;
                }
                if (!op(k, "(")) {
                    throw DialectError("syntax error in ADD INDEX");
                }
                std::vector<std::string> cols;
                const std::string cols_sql = key_columns(k, match_[k], &cols);
                if (match_[k] + 1 != e) {
                    unsupported("index option " + tok(match_[k] + 1).text);
                }
                if (name.empty()) {
                    name = cols.front();
                }
                out_.sqlite.push_back(std::string("CREATE ") + (unique ? "UNIQUE " : "") +
                                      "INDEX " + index_name(table, name) + " ON " + qt + " " +
                                      cols_sql);
                continue;
            }
            if (word(k, "PRIMARY") || word(k, "FOREIGN") || word(k, "FULLTEXT") ||
                word(k, "SPATIAL") || word(k, "CHECK")) {
                unsupported("ALTER TABLE ADD " + t_[k].value);
            }
            if (word(k, "COLUMN")) {
                ++k;
            }
            if (op(k, "(")) {
                unsupported("ADD COLUMN with a parenthesized list");
            }
            for (std::size_t m = k; m < e; ++m) {
                if (word(m, "FIRST") || word(m, "AFTER")) {
                    unsupported("column position " + t_[m].value);
                }
            }
            ColumnOut col = column_def(k, e, table, true);
            if (col.primary) {
                unsupported("ADD COLUMN ... PRIMARY KEY");
            }
            out_.sqlite.push_back("ALTER TABLE " + qt + " ADD COLUMN " + col.sql);
        } else if (word(k, "DROP")) {
            ++k;
            if (word(k, "INDEX") || word(k, "KEY")) {
                ++k;
                const std::string name = take_name(k, "index name");
                out_.sqlite.push_back("DROP INDEX " + index_name(table, name));
            } else if (word(k, "PRIMARY") || word(k, "FOREIGN") || word(k, "CONSTRAINT") ||
                       word(k, "CHECK")) {
                unsupported("ALTER TABLE DROP " + t_[k].value);
            } else {
                if (word(k, "COLUMN")) {
                    ++k;
                }
                const std::string name = take_name(k, "column name");
                out_.sqlite.push_back("ALTER TABLE " + qt + " DROP COLUMN " +
                                      quote_ident_sqlite(name));
            }
            if (k != e) {
                throw DialectError("syntax error near '" + tok(k).text + "'");
            }
        } else {
            unsupported("ALTER TABLE " + (k < e ? t_[k].value : std::string("without an action")));
        }
    }
    if (out_.sqlite.empty()) {
        throw DialectError("syntax error: ALTER TABLE without an action");
    }
}

void Translator::drop() {
    out_.kind = StatementKind::Schema;
    std::size_t i = 1;
    if (word(i, "INDEX")) {
        out_.verb = Verb::DropIndex;
        ++i;
        const std::string name = take_name(i, "index name");
        expect_word(i, "ON");
        out_.table = take_name(i, "table name");
        if (i != t_.size()) {
            throw DialectError("syntax error near '" + tok(i).text + "'");
        }
        out_.sqlite.push_back("DROP INDEX " + index_name(out_.table, name));
        return;
    }
    if (word(i, "TEMPORARY")) {
        unsupported("DROP TEMPORARY TABLE");
    }
    if (!word(i, "TABLE")) {
        unsupported("DROP " + tok(i).text);
    }
    out_.verb = Verb::DropTable;
    ++i;
    bool if_exists = false;
    if (word(i, "IF")) {
        ++i;
        expect_word(i, "EXISTS");
        if_exists = true;
    }
    for (auto [b, e] : split_commas(i, t_.size())) {
        std::size_t k = b;
        std::string name = take_name(k, "table name");
        if (lower(name).rfind("orcraft_", 0) == 0 || lower(name).rfind("sqlite_", 0) == 0) {
            unsupported("reserved name " + name);
        }
        if (k != e) {
            unsupported("DROP TABLE ... " + tok(k).text);
        }
        if (out_.table.empty()) {
            out_.table = name;
        }
        out_.sqlite.push_back(std::string("DROP TABLE ") + (if_exists ? "IF EXISTS " : "") +
                              quote_ident_sqlite(name));
    }
}

void Translator::truncate() {
    out_.kind = StatementKind::Schema;
    out_.verb = Verb::Truncate;
    std::size_t i = 1;
    if (word(i, "TABLE")) {
        ++i;
    }
    out_.table = take_name(i, "table name");
    if (i != t_.size()) {
        throw DialectError("syntax error near '" + tok(i).text + "'");
    }
    // TRUNCATE also resets the AUTO_INCREMENT counter; the driver guarantees sqlite_sequence
    // exists.
    out_.sqlite.push_back("DELETE FROM " + quote_ident_sqlite(out_.table));
    out_.sqlite.push_back("DELETE FROM sqlite_sequence WHERE name = " + quote_string(out_.table));
}

Translation Translator::run() {
    // One statement per string: a trailing ';' is allowed, any other is refused.
    while (!t_.empty() && t_.back().is_op(";")) {
        t_.pop_back();
    }
    for (const auto& k : t_) {
        if (k.is_op(";")) {
            unsupported("multiple statements in one string");
        }
    }
    if (t_.empty()) {
        throw DialectError("empty statement");
    }
    for (const auto& k : t_) {
        if (k.is_name() && k.kind == TokenKind::QuotedIdent) {
            const std::string l = lower(k.value);
            if (l.rfind("orcraft_", 0) == 0 || l.rfind("sqlite_", 0) == 0) {
                unsupported("reserved name " + k.value);
            }
        }
    }
    const Token& first = t_.front();
    if (first.kind != TokenKind::Word && !first.is_op("(")) {
        throw DialectError("syntax error near '" + first.text + "'");
    }
    const std::string& v = first.value;
    if (first.is_op("(") || v == "SELECT") {
        std::size_t k = 0;
        while (op(k, "(")) {
            ++k;
        }
        if (!word(k, "SELECT")) {
            throw DialectError("syntax error near '" + first.text + "'");
        }
        select();
    } else if (v == "INSERT") {
        insert(false);
    } else if (v == "REPLACE") {
        insert(true);
    } else if (v == "UPDATE") {
        update();
    } else if (v == "DELETE") {
        delete_();
    } else if (v == "CREATE") {
        if (word(1, "TABLE") || word(1, "TEMPORARY")) {
            create_table();
        } else if (word(1, "UNIQUE")) {
            create_index(true, 2);
        } else if (word(1, "INDEX") || word(1, "FULLTEXT") || word(1, "SPATIAL")) {
            create_index(false, 1);
        } else {
            unsupported("CREATE " + tok(1).text);
        }
    } else if (v == "ALTER") {
        alter_table();
    } else if (v == "DROP") {
        drop();
    } else if (v == "TRUNCATE") {
        truncate();
    } else if (v == "BEGIN" || v == "COMMIT" || v == "ROLLBACK" || v == "START" ||
               v == "SAVEPOINT" || v == "RELEASE" || v == "XA" ||
               (v == "SET" && (word(1, "AUTOCOMMIT") || word(1, "TRANSACTION")))) {
        unsupported("transaction control " + v + " (a batch is one transaction)");
    } else if (v == "LOCK" || v == "UNLOCK") {
        unsupported(v + " TABLES");
    } else if (v == "SET") {
        unsupported("SET (session state is not replicated)");
    } else if (v == "LOAD") {
        nondeterministic("LOAD DATA");
    } else {
        unsupported("statement " + first.text);
    }
    return std::move(out_);
}

}  // namespace

StatementKind check(std::string_view sql) {
    // RAND() is accepted by the validator; the translator needs it replaced, so check a copy
    // where it is (the seed does not matter for validity).
    return to_sqlite(substitute_rand(sql, 0, 0)).kind;
}

Translation to_sqlite(std::string_view sql) {
    Translator tr(tokenize(sql));
    return tr.run();
}

Translation TranslationCache::translate(const std::string& sql, bool cache) {
    if (cache) {
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(sql); it != entries_.end()) {
            order_.splice(order_.begin(), order_, it->second.second);
            return it->second.first;
        }
    }
    Translation t = to_sqlite(sql);
    if (cache && capacity_ > 0) {
        std::lock_guard lock(mutex_);
        if (entries_.count(sql) == 0) {
            order_.push_front(sql);
            entries_.emplace(sql, std::make_pair(t, order_.begin()));
            if (entries_.size() > capacity_) {
                entries_.erase(order_.back());
                order_.pop_back();
            }
        }
    }
    return t;
}

std::size_t TranslationCache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace orcraft::backend::dialect
