// How a config key is written in the two places that name it: a dotted key path for the operator
// ("plugins.bot.agents[0].id") and a JSON pointer for option_positions ("/agents/0/id"). TOML allows quoted keys
// holding '.', '/' or '~'; both spellings must keep such a key one segment, or a message would point at the wrong key.
#pragma once

#include <string>
#include <string_view>

namespace cim::core {

/// `key` as one segment of a dotted key path: bare when TOML would accept it bare, else quoted like TOML does.
inline std::string key_path_segment(std::string_view key) {
    const bool bare = !key.empty() && key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                            "0123456789_-") == std::string_view::npos;
    if (bare) return std::string(key);
    std::string quoted = "\"";
    for (char c : key) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return quoted + "\"";
}

/// `key` as one reference token of a JSON pointer (RFC 6901: '~' is "~0", '/' is "~1").
inline std::string json_pointer_token(std::string_view key) {
    std::string token;
    for (char c : key) {
        if (c == '~') token += "~0";
        else if (c == '/') token += "~1";
        else token += c;
    }
    return token;
}

}  // namespace cim::core
