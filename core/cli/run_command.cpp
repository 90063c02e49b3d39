// `cimrt run [CONFIG]`: start the configured runtime and serve until SIGINT or SIGTERM, then drain and exit 0.
// SIGHUP, or `cimrt reload` over the control socket, re-reads CONFIG (docs/reload.md).
#include <csignal>
#include <iostream>
#include <pthread.h>

#include "cim/runtime/runtime.hpp"
#include "command.hpp"
#include "control_socket.hpp"
#include "service_notify.hpp"

namespace cim::cli {
namespace {

const char* kind_name(cim::runtime::Error::Kind kind) {
    switch (kind) {
        case cim::runtime::Error::Kind::config: return "config";
        case cim::runtime::Error::Kind::plugin: return "plugin";
        case cim::runtime::Error::Kind::store: return "store";
        case cim::runtime::Error::Kind::stuck: return "stuck";
    }
    return "unknown";
}

// What `systemctl status` shows while the runtime serves.
std::string serving_status(const cim::runtime::Runtime& runtime) {
    return "serving with " + std::to_string(runtime.plugins().size()) + " plugin(s)";
}

// A reload, told to the service manager (Type=notify): RELOADING=1 before, READY=1 after, whatever its outcome —
// a failed reload rolls back or keeps the old wiring, so the runtime serves either way.
cim::runtime::ReloadReport notified_reload(cim::runtime::Runtime& runtime, const std::string* config) {
    service_notify::reloading();
    auto report = config ? runtime.reload(*config) : runtime.reload();
    service_notify::ready(serving_status(runtime));
    return report;
}

// The control socket's answer to "reload": the report, as `cimrt reload` prints it.
nlohmann::json to_json(const cim::runtime::ReloadReport& report) {
    nlohmann::json reply = {{"ok", report.ok},
                            {"summary", report.summary()},
                            {"started", report.started},
                            {"stopped", report.stopped},
                            {"restarted", report.restarted},
                            {"unchanged", report.unchanged},
                            {"warnings", report.warnings}};
    if (!report.ok) {
        reply["kind"] = kind_name(report.error_kind);
        reply["error"] = report.error;
        reply["rolledBack"] = report.rolled_back;
    }
    return reply;
}

}  // namespace

void add_run_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand("run", "Start the runtime on CONFIG and serve until SIGINT/SIGTERM (then drain); "
                                          "SIGHUP re-reads CONFIG");
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
            sigaddset(&signals, SIGHUP);
            pthread_sigmask(SIG_BLOCK, &signals, nullptr);

            cim::runtime::RuntimeOptions options;
            options.log_level = *log_level;
            auto runtime = cim::runtime::Runtime::from_file(*config, options);
            // Bound before the plugins start: a second runtime on the same socket is refused before it serves.
            std::unique_ptr<ControlServer> control;
            try {
                control = std::make_unique<ControlServer>(runtime->control_socket());
            } catch (const ControlSocketError& e) {
                throw cim::runtime::Error(cim::runtime::Error::Kind::config, e.what());
            }
            control->on("reload", [&runtime](const nlohmann::json& request) {
                if (request.contains("config") && request["config"].is_string()) {
                    const auto requested = request["config"].get<std::string>();
                    return to_json(notified_reload(*runtime, &requested));
                }
                return to_json(notified_reload(*runtime, nullptr));
            });
            runtime->start();
            control->start();
            std::cerr << "cimrt: running " << *config << " with " << runtime->plugins().size()
                      << " plugin(s); Ctrl-C to stop, SIGHUP or `cimrt reload` to re-read it\n";
            service_notify::ready(serving_status(*runtime));
            int received = 0;
            for (;;) {
                sigwait(&signals, &received);
                if (received != SIGHUP) break;
                const auto report = notified_reload(*runtime, nullptr);  // logs its outcome, file:line:column included
                std::cerr << "cimrt: SIGHUP, reload " << (report.ok ? "done: " : "failed: ") << report.summary()
                          << '\n';
            }
            std::cerr << "cimrt: " << (received == SIGINT ? "SIGINT" : "SIGTERM") << ", draining\n";
            service_notify::stopping();
            control.reset();  // no reload may race the stop
            runtime->stop();
            return exit_ok;
        });
    });
}

}  // namespace cim::cli
