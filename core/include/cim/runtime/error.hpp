// The one exception type the embedding API throws, classified so a CLI can map it to an exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace cim::runtime {

/// Why a runtime could not be built or started.
class Error : public std::runtime_error {
public:
    enum class Kind {
        config,  ///< runtime.toml is wrong: syntax, unknown key, wrong type, a plugin option against its schema
        plugin,  ///< a plugin cannot be loaded, created or started, or its manifest cannot be wired
        store,   ///< the store cannot be opened or read (a damaged file, no permission), or lost events at stop
        stuck,   ///< stop() gave up at [runtime] stop_timeout: a plugin blocks a delivery, or the store cannot write.
                 ///< The runtime is then left running in the background and is never destroyed (its threads are
                 ///< inside plugin code); a process should exit.
    };
    Error(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    /// The class of failure.
    Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

}  // namespace cim::runtime
