#include "client/render.hpp"

#include <algorithm>
#include <vector>

namespace orcraft::client {

namespace {

using ojson = nlohmann::ordered_json;

std::string escaped(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '\t':
                out += "\\t";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\\':
                out += "\\\\";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// Display width in terminal columns, counting each UTF-8 code point as one.
std::size_t width(const std::string& text) {
    std::size_t n = 0;
    for (unsigned char c : text) {
        if ((c & 0xC0) != 0x80) ++n;
    }
    return n;
}

std::string padded(const std::string& text, std::size_t to, bool right) {
    const std::size_t w = width(text);
    if (w >= to) return text;
    const std::string fill(to - w, ' ');
    return right ? fill + text : text + fill;
}

struct Grid {
    std::vector<std::string> header;
    std::vector<bool> numeric;
    std::vector<std::vector<std::string>> rows;
};

Grid grid_of(const ojson& result) {
    Grid g;
    if (result.contains("columns") && result["columns"].is_array()) {
        for (const auto& c : result["columns"])
            g.header.push_back(escaped(cell_text(c)));
    }
    g.numeric.assign(g.header.size(), false);
    if (result.contains("types") && result["types"].is_array()) {
        const auto& types = result["types"];
        for (std::size_t i = 0; i < g.header.size() && i < types.size(); ++i) {
            g.numeric[i] = types[i] == "integer" || types[i] == "real";
        }
    }
    if (result.contains("values") && result["values"].is_array()) {
        for (const auto& row : result["values"]) {
            std::vector<std::string> cells;
            if (row.is_array()) {
                for (const auto& v : row)
                    cells.push_back(escaped(cell_text(v)));
            }
            cells.resize(std::max(cells.size(), g.header.size()));
            g.rows.push_back(std::move(cells));
        }
    }
    for (const auto& row : g.rows) {
        if (row.size() > g.header.size()) {
            g.header.resize(row.size());
            g.numeric.resize(row.size(), false);
        }
    }
    return g;
}

const ojson& results_of(const ojson& answer) {
    static const ojson empty = ojson::array();
    if (answer.is_object() && answer.contains("results") && answer["results"].is_array())
        return answer["results"];
    return empty;
}

std::string rows_line(std::size_t n) {
    return "(" + std::to_string(n) + (n == 1 ? " row)" : " rows)") + "\n";
}

}  // namespace

std::string cell_text(const ojson& value) {
    if (value.is_null()) return "NULL";
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

std::string render_query_table(const ojson& answer) {
    std::string out;
    bool first = true;
    for (const auto& result : results_of(answer)) {
        if (!first) out += "\n";
        first = false;
        const Grid g = grid_of(result);
        std::vector<std::size_t> widths(g.header.size(), 0);
        for (std::size_t i = 0; i < g.header.size(); ++i)
            widths[i] = width(g.header[i]);
        for (const auto& row : g.rows) {
            for (std::size_t i = 0; i < row.size(); ++i)
                widths[i] = std::max(widths[i], width(row[i]));
        }
        auto line = [&](const std::vector<std::string>& cells, bool header) {
            std::string text;
            for (std::size_t i = 0; i < widths.size(); ++i) {
                if (i > 0) text += " | ";
                const bool last = i + 1 == widths.size();
                const bool right = !header && g.numeric[i];
                std::string cell = padded(i < cells.size() ? cells[i] : "", widths[i], right);
                if (last && !right) {
                    while (!cell.empty() && cell.back() == ' ')
                        cell.pop_back();
                }
                text += cell;
            }
            return text + "\n";
        };
        if (!widths.empty()) {
            out += line(g.header, true);
            std::string rule;
            for (std::size_t i = 0; i < widths.size(); ++i) {
                if (i > 0) rule += "-+-";
                rule += std::string(widths[i], '-');
            }
            out += rule + "\n";
            for (const auto& row : g.rows)
                out += line(row, false);
        }
        out += rows_line(g.rows.size());
    }
    return out;
}

std::string render_query_tsv(const ojson& answer) {
    std::string out;
    bool first = true;
    for (const auto& result : results_of(answer)) {
        if (!first) out += "\n";
        first = false;
        const Grid g = grid_of(result);
        auto line = [](const std::vector<std::string>& cells) {
            std::string text;
            for (std::size_t i = 0; i < cells.size(); ++i) {
                if (i > 0) text += "\t";
                text += cells[i];
            }
            return text + "\n";
        };
        out += line(g.header);
        for (const auto& row : g.rows)
            out += line(row);
    }
    return out;
}

std::string render_execute(const ojson& answer) {
    std::string out;
    const auto& results = results_of(answer);
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& r = results[i];
        if (results.size() > 1) out += "statement " + std::to_string(i + 1) + ": ";
        long long affected = 0;
        if (r.contains("rows_affected") && r["rows_affected"].is_number_integer())
            affected = r["rows_affected"].get<long long>();
        out += std::to_string(affected) + (affected == 1 ? " row affected" : " rows affected");
        if (r.contains("last_insert_id") && !r["last_insert_id"].is_null())
            out += ", last insert id " + cell_text(r["last_insert_id"]);
        out += "\n";
    }
    return out;
}

std::string render_status(const ojson& answer) {
    if (!answer.is_object()) return cell_text(answer) + "\n";
    std::string out;
    if (answer.contains("Message") && answer["Message"].is_string())
        out += answer["Message"].get<std::string>() + "\n";
    if (answer.contains("Details") && answer["Details"].is_object()) {
        for (const auto& [key, value] : answer["Details"].items())
            out += key + ": " + cell_text(value) + "\n";
    }
    return out;
}

}  // namespace orcraft::client
