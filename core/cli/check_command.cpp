// `cimrt check [CONFIG]`: parse, load every enabled plugin, validate the wiring, print warnings.
// Exit 0 when usable, 2 for a configuration error, 3 when a plugin cannot be loaded or wired.
#include <iostream>

#include "cim/runtime/runtime.hpp"
#include "command.hpp"

namespace cim::cli {

void add_check_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand("check", "Validate CONFIG: parse it, load every enabled plugin, check the wiring");
    auto config = std::make_shared<std::string>(default_config().string());
    cmd->add_option("config", *config, "runtime.toml to check")->capture_default_str();
    cmd->callback([config, &exit] {
        exit = run_guarded([&] {
            cim::runtime::RuntimeOptions options;
            options.own_store = false;  // read-only: works while `cimrt run` owns the store
            // Only warnings and errors: what a plugin says while loading its config (a demo password hash, an unsafe
            // setting) is part of the check's verdict; its chatter is not.
            options.log_to_stderr = true;
            options.log_level = "warn";
            auto runtime = cim::runtime::Runtime::from_file(*config, options);
            const auto warnings = runtime->check();
            for (const auto& warning : warnings) std::cout << "warning: " << warning << '\n';
            std::cout << *config << ": OK (" << runtime->plugins().size() << " plugin(s) loaded, " << warnings.size()
                      << " warning(s))\n";
            return exit_ok;
        });
    });
}

}  // namespace cim::cli
