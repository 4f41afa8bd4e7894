#pragma once
// Reading whole configuration files with the system's reason on failure (used by the config
// loader and the credentials file reader).

#include <optional>
#include <string>

namespace orcraft::backend {

// Returns the file's bytes, or nullopt with `reason` set to the system's error text ("No such
// file or directory", "Is a directory", "Permission denied").
std::optional<std::string> read_text_file(const std::string& path, std::string& reason);

}  // namespace orcraft::backend
