// `cimrt graph [CONFIG] --format dot|mermaid`: the wiring of CONFIG's plugins, for Graphviz or Mermaid.
#include <iostream>

#include "cim/runtime/runtime.hpp"
#include "command.hpp"
#include "wiring_graph.hpp"

namespace cim::cli {

void add_graph_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand("graph", "Print the wiring of CONFIG's plugins as a Graphviz or Mermaid graph");
    auto config = std::make_shared<std::string>(default_config().string());
    auto format = std::make_shared<std::string>("dot");
    cmd->add_option("config", *config, "runtime.toml whose wiring to draw")->capture_default_str();
    cmd->add_option("--format,-f", *format, "dot or mermaid")
        ->check(CLI::IsMember({"dot", "mermaid"}))
        ->capture_default_str();
    cmd->callback([=, &exit] {
        exit = run_guarded([&] {
            cim::runtime::RuntimeOptions options;
            options.own_store = false;  // read-only: works while `cimrt run` owns the store
            options.log_to_stderr = false;
            auto runtime = cim::runtime::Runtime::from_file(*config, options);
            runtime->check();  // an unwireable config is an error here too, not a misleading picture
            const auto plugins = runtime->plugins();
            std::cout << (*format == "dot" ? to_dot(plugins) : to_mermaid(plugins));
            return exit_ok;
        });
    });
}

}  // namespace cim::cli
