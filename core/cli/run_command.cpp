// `cimrt run [CONFIG]`: start the configured runtime and serve until SIGINT or SIGTERM, then drain and exit 0.
#include <csignal>
#include <iostream>
#include <pthread.h>

#include "cim/runtime/runtime.hpp"
#include "command.hpp"

namespace cim::cli {

void add_run_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand("run", "Start the runtime on CONFIG and serve until SIGINT/SIGTERM (then drain)");
    auto config = std::make_shared<std::string>(default_config().string());
    cmd->add_option("config", *config, "runtime.toml to run")->capture_default_str();
    auto log_level = std::make_shared<std::string>("info");
    // Checked here: the logger reads an unknown level as "off", so a typo would silently hide even errors.
    cmd->add_option("--log-level", *log_level, "trace, debug, info, warn, error or off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
        ->capture_default_str();
    cmd->callback([config, log_level, &exit] {
        exit = run_guarded([&] {
            // Block the signals before any thread starts, so every worker inherits the mask and sigwait below is the
            // only place they arrive: no async-signal-safety puzzles.
            sigset_t signals;
            sigemptyset(&signals);
            sigaddset(&signals, SIGINT);
            sigaddset(&signals, SIGTERM);
            pthread_sigmask(SIG_BLOCK, &signals, nullptr);

            cim::runtime::RuntimeOptions options;
            options.log_level = *log_level;
            auto runtime = cim::runtime::Runtime::from_file(*config, options);
            runtime->start();
            std::cerr << "cimrt: running " << *config << " with " << runtime->plugins().size()
                      << " plugin(s); Ctrl-C to stop\n";
            int received = 0;
            sigwait(&signals, &received);
            std::cerr << "cimrt: " << (received == SIGINT ? "SIGINT" : "SIGTERM") << ", draining\n";
            runtime->stop();
            return exit_ok;
        });
    });
}

}  // namespace cim::cli
