#include "config/runtime_config.hpp"

namespace cim::core {

std::string SourcePosition::to_string() const {
    if (line == 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ConfigError::ConfigError(SourcePosition where, std::string key_path, const std::string& problem)
    : std::runtime_error(where.to_string() + ": " + (key_path.empty() ? "" : key_path + ": ") + problem),
      where_(std::move(where)),
      key_path_(std::move(key_path)),
      problem_(problem) {}

}  // namespace cim::core
