#pragma once
// A strict reader of Prometheus' text exposition format 0.0.4, written from the format's
// description (not from our writer), so that the tests check the writer against the format
// rather than against itself.
//
// parse_exposition() throws ExpositionError naming the line for anything a Prometheus server
// would reject or that the format forbids: a malformed line, an unknown escape, a sample before
// its family's # TYPE, a family whose samples are not contiguous, a HELP or TYPE given twice,
// a duplicate series, a histogram without a +Inf bucket, with decreasing bounds or counts, or
// whose +Inf bucket differs from its _count.

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace orcraft::tests {

class ExpositionError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ParsedSample {
    std::string name;                           // with any _bucket/_sum/_count suffix
    std::map<std::string, std::string> labels;  // unescaped values
    double value = 0;
};

struct ParsedFamily {
    std::string help;  // unescaped
    std::string type;  // counter, gauge, histogram, summary, untyped
    std::vector<ParsedSample> samples;
};

struct ParsedExposition {
    std::map<std::string, ParsedFamily> families;

    // The value of the sample `name` with exactly these labels; throws when absent.
    double value(const std::string& name,
                 const std::map<std::string, std::string>& labels = {}) const;
    // Whether that sample exists.
    bool has(const std::string& name, const std::map<std::string, std::string>& labels = {}) const;
};

ParsedExposition parse_exposition(std::string_view text);

}  // namespace orcraft::tests
