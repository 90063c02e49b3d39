#include <iostream>

#include "cim/runtime/error.hpp"
#include "command.hpp"

namespace cim::cli {

int run_guarded(const std::function<int()>& body) {
    try {
        return body();
    } catch (const cim::runtime::Error& e) {
        const bool config = e.kind() == cim::runtime::Error::Kind::config;
        std::cerr << (config ? "configuration error: " : "plugin error: ") << e.what() << '\n';
        return config ? exit_config : exit_plugin;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return exit_failure;
    }
}

}  // namespace cim::cli
