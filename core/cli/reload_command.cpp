// `cimrt reload [CONFIG]`: asks the `cimrt run` serving CONFIG to re-read it (docs/reload.md), over its control
// socket. Exit 0 when applied, 2 when the file is wrong (the message names file:line:column), 3 when a plugin could
// not be loaded, created or started (the reload was rolled back), 1 when no runtime answers.
#include <iostream>

#include "cim/runtime/runtime.hpp"
#include "command.hpp"
#include "control_socket.hpp"

namespace cim::cli {

namespace {

void print_list(const nlohmann::json& reply, const char* key, const char* label) {
    if (!reply.contains(key) || reply[key].empty()) return;
    std::cout << label;
    for (const auto& name : reply[key]) std::cout << ' ' << name.get<std::string>();
    std::cout << '\n';
}

}  // namespace

void add_reload_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand("reload", "Make the running `cimrt run` on CONFIG re-read it (like SIGHUP, with an answer)");
    auto config = std::make_shared<std::string>(default_config().string());
    auto socket = std::make_shared<std::string>();
    cmd->add_option("config", *config, "runtime.toml to apply; the running one's control socket is found from it")
        ->capture_default_str();
    cmd->add_option("--socket", *socket, "the control socket (default: [runtime] control_socket of CONFIG)");
    cmd->callback([config, socket, &exit] {
        const std::filesystem::path file = std::filesystem::absolute(*config);
        const std::filesystem::path path = socket->empty() ? cim::runtime::control_socket_for(file) : std::filesystem::path(*socket);
        nlohmann::json reply;
        try {
            // A reload waits for plugins to stop and start: as long as [runtime] stop_timeout allows, and then some.
            reply = control_request(path, {{"command", "reload"}, {"config", file.string()}}, std::chrono::minutes(2));
        } catch (const ControlSocketError& e) {
            std::cerr << "cimrt reload: " << e.what() << '\n';
            exit = exit_failure;
            return;
        }
        if (reply.value("ok", false)) {
            print_list(reply, "started", "started:");
            print_list(reply, "stopped", "stopped:");
            print_list(reply, "restarted", "restarted:");
            for (const auto& warning : reply.value("warnings", nlohmann::json::array())) {
                std::cout << "warning: " << warning.get<std::string>() << '\n';
            }
            std::cout << file.string() << ": reloaded (" << reply.value("summary", std::string()) << ")\n";
            exit = exit_ok;
            return;
        }
        const std::string kind = reply.value("kind", std::string());
        const std::string error = reply.value("error", std::string("unknown error"));
        if (kind == "config") {
            std::cerr << "configuration error: " << error << "\nnothing was reloaded\n";
            exit = exit_config;
        } else if (kind == "plugin") {
            std::cerr << "plugin error: " << error << '\n'
                      << (reply.value("rolledBack", false) ? "rolled back: the previous plugins run again\n"
                                                           : "nothing was reloaded\n");
            exit = exit_plugin;
        } else {
            std::cerr << "cimrt reload: " << error << '\n';
            exit = exit_failure;
        }
    });
}

}  // namespace cim::cli
