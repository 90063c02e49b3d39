// Fuzzes runtime.toml loading (cim::core::parse_config from text): the operator's file is trusted, but a typo must
// end in a ConfigError naming file:line:column, never in another exception or a crash that takes the CLI down with a
// stack trace instead of exit code 78. Anything thrown but ConfigError is reported as a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/runtime_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        // A base folder that does not exist: relative paths resolve to the same place on every machine, and no
        // plugin file is ever found, so the check for it runs on every enabled plugin (and never loads anything).
        // It also keeps lookups from reaching a too-long name, which throws today (docs/security.md, finding 3);
        // once that is fixed, an existing folder here would cover it.
        const cim::core::RuntimeConfig config = cim::core::parse_config(text, "fuzz.toml", "/nonexistent/cimrt-fuzz");
        for (const auto& plugin : config.plugins) {
            static_cast<void>(plugin.options.dump());  // the options must be JSON a plugin can be handed
        }
    } catch (const cim::core::ConfigError&) {
    }
    return 0;
}
