#pragma once
// An ordered list of HTTP header fields.
//
// Field names are compared without regard to ASCII case, as HTTP requires, but every field keeps
// the name exactly as it was received or added and the list keeps its order. A proxy can therefore
// forward headers as they came, and a field that appears several times (Set-Cookie,
// X-Forwarded-For) stays several separate entries.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orcraft::server::http {

// True when a and b are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

class Headers {
  public:
    using Field = std::pair<std::string, std::string>;
    using const_iterator = std::vector<Field>::const_iterator;

    Headers() = default;
    Headers(std::initializer_list<Field> fields) : fields_(fields) {}

    // The value of the first field with this name, or nullopt.
    std::optional<std::string_view> get(std::string_view name) const;
    // Every value of fields with this name, in order.
    std::vector<std::string> get_all(std::string_view name) const;
    bool contains(std::string_view name) const { return get(name).has_value(); }

    // Appends a field, keeping any that already have this name.
    void add(std::string name, std::string value);
    // Replaces every field with this name by one field (appended at the end when absent, else kept
    // at the position of the first one).
    void set(std::string name, std::string value);
    // Removes every field with this name; returns how many were removed.
    std::size_t remove(std::string_view name);

    // True when some field with this name holds `token` in its comma-separated list, ignoring
    // case ("Connection: keep-alive, Upgrade" has the token "upgrade").
    bool has_token(std::string_view name, std::string_view token) const;

    std::size_t size() const { return fields_.size(); }
    bool empty() const { return fields_.empty(); }
    const_iterator begin() const { return fields_.begin(); }
    const_iterator end() const { return fields_.end(); }

  private:
    std::vector<Field> fields_;
};

}  // namespace orcraft::server::http
