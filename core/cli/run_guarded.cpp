#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cim/runtime/error.hpp"
#include "command.hpp"

namespace cim::cli {

int run_guarded(const std::function<int()>& body) {
    using Kind = cim::runtime::Error::Kind;
    try {
        return body();
    } catch (const cim::runtime::Error& e) {
        switch (e.kind()) {
            case Kind::config: std::cerr << "configuration error: " << e.what() << '\n'; return exit_config;
            case Kind::plugin: std::cerr << "plugin error: " << e.what() << '\n'; return exit_plugin;
            case Kind::store: std::cerr << "store error: " << e.what() << '\n'; return exit_store;
            case Kind::stuck:
                // Worker threads are still inside plugin code: no destructor may run under them, so leave at once.
                std::cerr << "stop gave up: " << e.what() << '\n' << std::flush;
                std::fflush(nullptr);
                std::_Exit(exit_stuck);
        }
        return exit_failure;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return exit_failure;
    }
}

}  // namespace cim::cli
