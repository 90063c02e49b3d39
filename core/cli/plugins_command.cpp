// `cimrt plugins [CONFIG] [NAME] [--json]`: what the enabled plugins are and exchange; with NAME, that plugin's
// config schema key by key (type, default, doc), like Falco's --plugin-info.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cim/runtime/runtime.hpp"
#include "command.hpp"
#include "text_table.hpp"

namespace cim::cli {
namespace {

nlohmann::json to_json(const cim::runtime::PluginInfo& p) {
    nlohmann::json schema = p.config_schema_json.empty() ? nlohmann::json() : nlohmann::json::parse(p.config_schema_json);
    return {{"name", p.name},           {"version", p.version},     {"description", p.description},
            {"abi", p.abi_version},     {"path", p.path},           {"publishes", p.publishes},
            {"consumes", p.consumes},   {"configSchema", schema}};
}

std::string type_of(const nlohmann::json& property) {
    if (!property.contains("type")) return "any";
    const auto& type = property["type"];
    if (type.is_array()) {
        std::vector<std::string> types;
        for (const auto& t : type) types.push_back(t.get<std::string>());
        return join(types, "|");
    }
    std::string text = type.get<std::string>();
    if (text == "string" && property.value("format", "") == "duration") text = "duration";
    if (text == "array" && property.contains("items") && property["items"].contains("type") &&
        property["items"]["type"].is_string()) {
        text += " of " + property["items"]["type"].get<std::string>();
    }
    return text;
}

// One row per key, nested objects flattened to dotted paths so an operator sees exactly what to write in the table.
void describe_properties(const nlohmann::json& schema, const std::string& prefix, TextTable& table) {
    if (!schema.contains("properties")) return;
    std::vector<std::string> required;
    if (schema.contains("required")) required = schema["required"].get<std::vector<std::string>>();
    for (const auto& [key, property] : schema["properties"].items()) {
        const bool is_required = std::find(required.begin(), required.end(), key) != required.end();
        std::string default_text = property.contains("default") ? property["default"].dump() : (is_required ? "(required)" : "-");
        std::string doc = property.value("description", "");
        if (property.contains("enum")) doc += (doc.empty() ? "" : " ") + std::string("One of ") + property["enum"].dump() + ".";
        table.add_row({prefix + key, type_of(property), default_text, doc});
        if (property.value("type", "") == "object") describe_properties(property, prefix + key + ".", table);
    }
}

}  // namespace

void add_plugins_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand("plugins", "List the enabled plugins of CONFIG, or show one plugin's config keys");
    auto config = std::make_shared<std::string>(default_config().string());
    auto name = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("config", *config, "runtime.toml whose plugins to list")->capture_default_str();
    cmd->add_option("--plugin,-p", *name, "show this plugin's config schema");
    cmd->add_flag("--json", *json, "machine-readable output");
    cmd->callback([=, &exit] {
        exit = run_guarded([&] {
            cim::runtime::RuntimeOptions options;
            options.own_store = false;  // read-only: works while `cimrt run` owns the store
            options.log_to_stderr = false;
            auto runtime = cim::runtime::Runtime::from_file(*config, options);
            const auto plugins = runtime->plugins();
            if (!name->empty()) {
                auto it = std::find_if(plugins.begin(), plugins.end(), [&](const auto& p) { return p.name == *name; });
                if (it == plugins.end()) {
                    std::cerr << "no enabled plugin named '" << *name << "' in " << *config << '\n';
                    return exit_failure;
                }
                if (*json) {
                    std::cout << to_json(*it).dump(2) << '\n';
                    return exit_ok;
                }
                std::cout << it->name << ' ' << it->version << " (ABI " << it->abi_version << ")\n"
                          << it->description << "\n\n[plugins." << it->name << "]\n";
                if (it->config_schema_json.empty()) {
                    std::cout << "takes no options\n";
                    return exit_ok;
                }
                TextTable table({"key", "type", "default", "doc"});
                describe_properties(nlohmann::json::parse(it->config_schema_json), "", table);
                table.print(std::cout);
                return exit_ok;
            }
            if (*json) {
                nlohmann::json out = nlohmann::json::array();
                for (const auto& p : plugins) out.push_back(to_json(p));
                std::cout << out.dump(2) << '\n';
                return exit_ok;
            }
            TextTable table({"name", "version", "ABI", "publishes", "consumes"});
            for (const auto& p : plugins) {
                table.add_row({p.name, p.version, p.abi_version, join(p.publishes, "\n"), join(p.consumes, "\n")});
            }
            table.print(std::cout);
            return exit_ok;
        });
    });
}

}  // namespace cim::cli
