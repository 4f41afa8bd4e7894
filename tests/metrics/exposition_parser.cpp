#include "tests/metrics/exposition_parser.hpp"

#include <cmath>
#include <cstdlib>
#include <set>

namespace orcraft::tests {
namespace {

bool name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool name_char(char c) {
    return name_start(c) || (c >= '0' && c <= '9');
}

class LineReader {
  public:
    LineReader(std::string_view line, int number) : line_(line), number_(number) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw ExpositionError("line " + std::to_string(number_) + ": " + what + ": '" +
                              std::string(line_) + "'");
    }
    bool at_end() const { return pos_ >= line_.size(); }
    char peek() const { return at_end() ? '\0' : line_[pos_]; }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    void skip_blanks() {
        while (!at_end() && (line_[pos_] == ' ' || line_[pos_] == '\t'))
            ++pos_;
    }
    std::string name(bool allow_colon) {
        const auto start = pos_;
        if (at_end() || !name_start(line_[pos_]) || (!allow_colon && line_[pos_] == ':'))
            fail("expected a name");
        while (!at_end() && name_char(line_[pos_]) && (allow_colon || line_[pos_] != ':'))
            ++pos_;
        return std::string(line_.substr(start, pos_ - start));
    }
    // A double-quoted label value with \\, \" and \n escapes.
    std::string quoted() {
        expect('"');
        std::string out;
        for (;;) {
            if (at_end()) fail("unterminated label value");
            char c = line_[pos_++];
            if (c == '"') return out;
            if (c == '\n') fail("raw line feed in a label value");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (at_end()) fail("dangling backslash");
            char e = line_[pos_++];
            if (e == '\\')
                out += '\\';
            else if (e == '"')
                out += '"';
            else if (e == 'n')
                out += '\n';
            else
                fail(std::string("unknown escape \\") + e);
        }
    }
    std::string_view rest() const { return line_.substr(std::min(pos_, line_.size())); }
    void advance(std::size_t n) { pos_ += n; }

  private:
    std::string_view line_;
    int number_;
    std::size_t pos_ = 0;
};

double parse_number(LineReader& r, std::string_view text) {
    if (text == "+Inf" || text == "Inf") return INFINITY;
    if (text == "-Inf") return -INFINITY;
    if (text == "NaN") return NAN;
    std::string copy(text);
    char* end = nullptr;
    const double v = std::strtod(copy.c_str(), &end);
    if (copy.empty() || *end != '\0' || !std::isfinite(v)) r.fail("bad number '" + copy + "'");
    return v;
}

std::string unescape_help(LineReader& r, std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        if (i + 1 >= text.size()) r.fail("dangling backslash in HELP");
        const char e = text[++i];
        if (e == '\\')
            out += '\\';
        else if (e == 'n')
            out += '\n';
        else
            r.fail(std::string("unknown HELP escape \\") + e);
    }
    return out;
}

// The family a sample name belongs to, given the declared types.
std::string family_of(const std::string& sample, const std::map<std::string, ParsedFamily>& fams) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string s(suffix);
        if (sample.size() > s.size() &&
            sample.compare(sample.size() - s.size(), s.size(), s) == 0) {
            auto base = sample.substr(0, sample.size() - s.size());
            auto it = fams.find(base);
            if (it != fams.end() &&
                (it->second.type == "histogram" || it->second.type == "summary"))
                return base;
        }
    }
    return sample;
}

void check_histogram(const std::string& name, const ParsedFamily& family) {
    // Group by the labels other than le.
    struct Series {
        std::vector<std::pair<double, double>> buckets;  // (le, count) in order of appearance
        bool has_sum = false;
        bool has_count = false;
        double count = 0;
    };
    std::map<std::map<std::string, std::string>, Series> series;
    for (const auto& s : family.samples) {
        auto labels = s.labels;
        if (s.name == name + "_bucket") {
            auto le = labels.find("le");
            if (le == labels.end()) throw ExpositionError(name + ": bucket without le");
            double bound =
                le->second == "+Inf" ? INFINITY : std::strtod(le->second.c_str(), nullptr);
            labels.erase(le);
            series[labels].buckets.emplace_back(bound, s.value);
        } else if (s.name == name + "_sum") {
            series[labels].has_sum = true;
        } else if (s.name == name + "_count") {
            series[labels].has_count = true;
            series[labels].count = s.value;
        } else {
            throw ExpositionError(name + ": unexpected sample " + s.name + " in a histogram");
        }
    }
    for (const auto& [labels, s] : series) {
        if (!s.has_sum || !s.has_count) throw ExpositionError(name + ": missing _sum or _count");
        if (s.buckets.empty() || !std::isinf(s.buckets.back().first))
            throw ExpositionError(name + ": the last bucket must be le=\"+Inf\"");
        for (std::size_t i = 1; i < s.buckets.size(); ++i) {
            if (!(s.buckets[i - 1].first < s.buckets[i].first))
                throw ExpositionError(name + ": bucket bounds must increase");
            if (s.buckets[i - 1].second > s.buckets[i].second)
                throw ExpositionError(name + ": bucket counts must be cumulative");
        }
        if (s.buckets.back().second != s.count)
            throw ExpositionError(name + ": +Inf bucket differs from _count");
    }
}

}  // namespace

ParsedExposition parse_exposition(std::string_view text) {
    ParsedExposition out;
    auto& families = out.families;
    std::set<std::string> helped;
    std::set<std::string> finished;  // families whose samples ended (a later one must not resume)
    std::set<std::string> series_seen;
    std::string current;  // family of the previous sample
    if (!text.empty() && text.back() != '\n')
        throw ExpositionError("the exposition must end with a line feed");
    int number = 0;
    std::size_t at = 0;
    while (at < text.size()) {
        auto end = text.find('\n', at);
        auto line = text.substr(at, end - at);
        at = end + 1;
        ++number;
        LineReader r(line, number);
        if (line.empty()) continue;
        if (line.front() == '#') {
            r.advance(1);
            r.skip_blanks();
            const auto rest = r.rest();
            const bool is_help = rest.substr(0, 5) == "HELP ";
            const bool is_type = rest.substr(0, 5) == "TYPE ";
            if (!is_help && !is_type) continue;  // a comment
            r.advance(5);
            r.skip_blanks();
            const auto name = r.name(true);
            auto& family = families[name];
            if (is_help) {
                if (!helped.insert(name).second) r.fail("second HELP for " + name);
                if (r.peek() == ' ') r.advance(1);
                family.help = unescape_help(r, r.rest());
            } else {
                if (!family.type.empty()) r.fail("second TYPE for " + name);
                if (!family.samples.empty()) r.fail("TYPE after samples of " + name);
                r.expect(' ');
                r.skip_blanks();
                std::string type(r.rest());
                if (type != "counter" && type != "gauge" && type != "histogram" &&
                    type != "summary" && type != "untyped")
                    r.fail("unknown type");
                family.type = type;
            }
            continue;
        }
        ParsedSample sample;
        sample.name = r.name(true);
        if (r.peek() == '{') {
            r.expect('{');
            while (r.peek() != '}') {
                auto label = r.name(false);
                r.expect('=');
                auto value = r.quoted();
                if (!sample.labels.emplace(label, value).second) r.fail("label repeated");
                if (r.peek() == ',')
                    r.expect(',');
                else if (r.peek() != '}')
                    r.fail("expected ',' or '}'");
            }
            r.expect('}');
        }
        r.expect(' ');
        r.skip_blanks();
        auto rest = r.rest();
        auto space = rest.find(' ');
        sample.value = parse_number(r, rest.substr(0, space));
        if (space != std::string_view::npos) {
            auto timestamp = rest.substr(space + 1);
            if (timestamp.empty() ||
                timestamp.find_first_not_of("-0123456789") != std::string_view::npos)
                r.fail("bad timestamp");
        }
        const auto family_name = family_of(sample.name, families);
        auto it = families.find(family_name);
        if (it == families.end() || it->second.type.empty())
            r.fail("sample before the TYPE of its family");
        if (family_name != current) {
            if (!current.empty()) finished.insert(current);
            if (finished.count(family_name))
                r.fail("samples of " + family_name + " not contiguous");
            current = family_name;
        }
        std::string key = sample.name;
        for (const auto& [k, v] : sample.labels)
            key += "\x1f" + k + "=" + v;
        if (!series_seen.insert(key).second) r.fail("duplicate series");
        it->second.samples.push_back(std::move(sample));
    }
    for (const auto& [name, family] : families)
        if (family.type == "histogram") check_histogram(name, family);
    return out;
}

bool ParsedExposition::has(const std::string& name,
                           const std::map<std::string, std::string>& labels) const {
    for (const auto& [family_name, family] : families)
        for (const auto& s : family.samples)
            if (s.name == name && s.labels == labels) return true;
    return false;
}

double ParsedExposition::value(const std::string& name,
                               const std::map<std::string, std::string>& labels) const {
    for (const auto& [family_name, family] : families)
        for (const auto& s : family.samples)
            if (s.name == name && s.labels == labels) return s.value;
    std::string description = name + "{";
    for (const auto& [k, v] : labels)
        description += k + "=\"" + v + "\",";
    throw ExpositionError("no sample " + description + "}");
}

}  // namespace orcraft::tests
