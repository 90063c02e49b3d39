// `cimrt events [--config CONFIG] [--json]`: the event catalogue — name, type, description (and custom events of
// CONFIG's plugins when a config is given).
#include <iostream>

#include <nlohmann/json.hpp>

#include "cim/runtime/catalogue.hpp"
#include "cim/runtime/runtime.hpp"
#include "command.hpp"
#include "text_table.hpp"

namespace cim::cli {

void add_events_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand("events", "List the event catalogue: name, type, description");
    auto config = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("--config,-c", *config, "also list the custom events of this runtime.toml's plugins");
    cmd->add_flag("--json", *json, "machine-readable output");
    cmd->callback([=, &exit] {
        exit = run_guarded([&] {
            std::vector<cim::runtime::EventInfo> events;
            if (config->empty()) {
                events = cim::runtime::builtin_events();
            } else {
                cim::runtime::RuntimeOptions options;
                options.log_to_stderr = false;
                events = cim::runtime::Runtime::from_file(*config, options)->events();
            }
            if (*json) {
                nlohmann::json out = nlohmann::json::array();
                for (const auto& e : events) {
                    nlohmann::json entry = {{"name", e.name}, {"type", e.type}, {"description", e.description}};
                    if (!e.aliases.empty()) entry["aliases"] = e.aliases;
                    if (!e.defined_by.empty()) entry["definedBy"] = e.defined_by;
                    out.push_back(std::move(entry));
                }
                std::cout << out.dump(2) << '\n';
                return exit_ok;
            }
            TextTable table({"name", "type", "description"});
            for (const auto& e : events) {
                std::string description = e.description;
                if (!e.aliases.empty()) description += " (alias: " + join(e.aliases) + ")";
                if (!e.defined_by.empty()) description += " [plugin " + e.defined_by + "]";
                table.add_row({e.name, e.type, description});
            }
            table.print(std::cout);
            return exit_ok;
        });
    });
}

}  // namespace cim::cli
