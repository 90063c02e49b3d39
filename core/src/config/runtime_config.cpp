#include "config/runtime_config.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "config/did_you_mean.hpp"

namespace cim::core {
namespace {

// Reads one runtime.toml. Every complaint carries the position of the node it is about and its dotted key path.
class ConfigReader {
public:
    ConfigReader(std::string source_name, std::filesystem::path base_dir)
        : source_(std::move(source_name)), base_dir_(std::move(base_dir)) {}

    RuntimeConfig read(const toml::table& root) {
        RuntimeConfig config;
        config.file = source_;
        config.base_dir = base_dir_;
        config.runtime.plugin_dir = base_dir_ / "build" / "plugins";
        config.store.path = base_dir_ / "var" / "cimrt.db";

        for (auto&& [key, node] : root) {
            const std::string name(key.str());
            if (name == "runtime") {
                read_runtime(table_of(node, name), config.runtime);
            } else if (name == "store") {
                read_store(table_of(node, name), config.store);
            } else if (name == "sessions") {
                read_sessions(table_of(node, name), config.sessions);
            } else if (name == "plugins") {
                // Read after [runtime], whose plugin_dir the default plugin paths depend on.
            } else {
                unknown_key(key, name, "", {"runtime", "store", "sessions", "plugins"});
            }
        }
        if (const toml::node* plugins = root.get("plugins")) {
            for (auto&& [key, node] : table_of(*plugins, "plugins")) {
                config.plugins.push_back(read_plugin(std::string(key.str()), node, config.runtime.plugin_dir));
            }
            // toml++ keeps keys sorted; operators expect plugins to load and start in the order they wrote them.
            std::stable_sort(config.plugins.begin(), config.plugins.end(), [](const auto& a, const auto& b) {
                return std::pair(a.where.line, a.where.column) < std::pair(b.where.line, b.where.column);
            });
        }
        return config;
    }

private:
    SourcePosition position(const toml::source_region& region) const {
        return {source_, static_cast<std::uint32_t>(region.begin.line), static_cast<std::uint32_t>(region.begin.column)};
    }

    [[noreturn]] void fail(const toml::source_region& region, const std::string& key_path, const std::string& problem) const {
        throw ConfigError(position(region), key_path, problem);
    }

    const toml::table& table_of(const toml::node& node, const std::string& path) const {
        if (const toml::table* table = node.as_table()) return *table;
        fail(node.source(), path, "expected a table, got " + describe(node));
    }

    static std::string describe(const toml::node& node) {
        switch (node.type()) {
            case toml::node_type::string: return "a string";
            case toml::node_type::integer: return "an integer";
            case toml::node_type::floating_point: return "a float";
            case toml::node_type::boolean: return "a boolean";
            case toml::node_type::array: return "an array";
            case toml::node_type::table: return "a table";
            default: return "a date or time";
        }
    }

    [[noreturn]] void unknown_key(const toml::key& key, const std::string& name, const std::string& prefix,
                                  const std::vector<std::string>& known) const {
        std::string problem = "unknown key '" + name + "'";
        if (auto suggestion = closest_match(name, known)) problem += "; did you mean '" + *suggestion + "'?";
        fail(key.source(), prefix + name, problem);
    }

    std::size_t positive_integer(const toml::node& node, const std::string& path) const {
        const auto value = node.value<std::int64_t>();
        if (!node.is_integer() || !value) fail(node.source(), path, "expected an integer, got " + describe(node));
        if (*value < 1) fail(node.source(), path, "must be at least 1, got " + std::to_string(*value));
        return static_cast<std::size_t>(*value);
    }

    std::string string_value(const toml::node& node, const std::string& path) const {
        if (!node.is_string()) fail(node.source(), path, "expected a string, got " + describe(node));
        return *node.value<std::string>();
    }

    std::string one_of(const toml::node& node, const std::string& path, const std::vector<std::string>& allowed) const {
        const std::string value = string_value(node, path);
        if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return value;
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "\"" : ", \"") + a + "\"";
        std::string problem = "expected one of " + list + ", got \"" + value + "\"";
        if (auto suggestion = closest_match(value, allowed)) problem += "; did you mean \"" + *suggestion + "\"?";
        fail(node.source(), path, problem);
    }

    std::filesystem::path path_value(const toml::node& node, const std::string& path) const {
        const std::filesystem::path value = string_value(node, path);
        return value.is_absolute() ? value : (base_dir_ / value).lexically_normal();
    }

    void read_runtime(const toml::table& table, RuntimeSection& runtime) const {
        for (auto&& [key, node] : table) {
            const std::string name(key.str());
            const std::string path = "runtime." + name;
            if (name == "threads") runtime.threads = positive_integer(node, path);
            else if (name == "plugin_dir") runtime.plugin_dir = path_value(node, path);
            else if (name == "shards") runtime.shards = positive_integer(node, path);
            else if (name == "shard_capacity") runtime.shard_capacity = positive_integer(node, path);
            else unknown_key(key, name, "runtime.", {"threads", "plugin_dir", "shards", "shard_capacity"});
        }
    }

    void read_store(const toml::table& table, StoreSection& store) const {
        for (auto&& [key, node] : table) {
            const std::string name(key.str());
            const std::string path = "store." + name;
            if (name == "kind") store.kind = one_of(node, path, {"memory", "sqlite"});
            else if (name == "path") store.path = path_value(node, path);
            else if (name == "sync") store.sync = one_of(node, path, {"off", "normal", "full"});
            else unknown_key(key, name, "store.", {"kind", "path", "sync"});
        }
    }

    void read_sessions(const toml::table& table, SessionsSection& sessions) const {
        for (auto&& [key, node] : table) {
            const std::string name(key.str());
            const std::string path = "sessions." + name;
            if (name == "customer_inactivity_timeout") {
                const std::string text = string_value(node, path);
                const auto duration = parse_duration(text);
                if (!duration) fail(node.source(), path, "expected a duration like \"90s\" or \"10m\", got \"" + text + "\"");
                sessions.customer_inactivity_timeout = *duration;
            } else {
                unknown_key(key, name, "sessions.", {"customer_inactivity_timeout"});
            }
        }
    }

    PluginSection read_plugin(const std::string& name, const toml::node& node, const std::filesystem::path& plugin_dir) const {
        const std::string prefix = "plugins." + name;
        const toml::table& table = table_of(node, prefix);
        PluginSection plugin;
        plugin.name = name;
        plugin.where = position(table.source());
        for (char c : name) {
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
                fail(table.source(), prefix, "a plugin name may hold only a-z, 0-9, '_' and '-'");
            }
        }
        const toml::node* path_node = nullptr;
        for (auto&& [key, value] : table) {
            const std::string option(key.str());
            if (option == "enabled") {
                if (!value.is_boolean()) fail(value.source(), prefix + ".enabled", "expected a boolean, got " + describe(value));
                plugin.enabled = *value.value<bool>();
            } else if (option == "path") {
                plugin.path = path_value(value, prefix + ".path");
                path_node = &value;
            } else {
                plugin.option_positions["/" + option] = position(key.source());
                plugin.options[option] = to_json(value, "/" + option, plugin);
            }
        }
        if (plugin.path.empty()) plugin.path = plugin_dir / (name + ".so");
        if (plugin.enabled && !std::filesystem::exists(plugin.path)) {
            fail(path_node != nullptr ? path_node->source() : table.source(), prefix + (path_node != nullptr ? ".path" : ""),
                 "plugin file not found: " + plugin.path.string());
        }
        return plugin;
    }

    // TOML to JSON, recording where every nested key stands so a schema violation found later can point at it.
    nlohmann::json to_json(const toml::node& node, const std::string& pointer, PluginSection& plugin) const {
        if (const toml::table* table = node.as_table()) {
            nlohmann::json object = nlohmann::json::object();
            for (auto&& [key, value] : *table) {
                const std::string child = pointer + "/" + std::string(key.str());
                plugin.option_positions[child] = position(key.source());
                object[std::string(key.str())] = to_json(value, child, plugin);
            }
            return object;
        }
        if (const toml::array* array = node.as_array()) {
            nlohmann::json list = nlohmann::json::array();
            for (std::size_t i = 0; i < array->size(); ++i) {
                const std::string child = pointer + "/" + std::to_string(i);
                plugin.option_positions[child] = position((*array)[i].source());
                list.push_back(to_json((*array)[i], child, plugin));
            }
            return list;
        }
        if (node.is_string()) return *node.value<std::string>();
        if (node.is_integer()) return *node.value<std::int64_t>();
        if (node.is_floating_point()) return *node.value<double>();
        if (node.is_boolean()) return *node.value<bool>();
        std::ostringstream text;  // dates and times: kept as their TOML text
        if (const auto* d = node.as_date()) text << *d;
        else if (const auto* t = node.as_time()) text << *t;
        else if (const auto* dt = node.as_date_time()) text << *dt;
        return text.str();
    }

    std::string source_;
    std::filesystem::path base_dir_;
};

}  // namespace

std::string SourcePosition::to_string() const {
    if (line == 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ConfigError::ConfigError(SourcePosition where, std::string key_path, const std::string& problem)
    : std::runtime_error(where.to_string() + ": " + (key_path.empty() ? "" : key_path + ": ") + problem),
      where_(std::move(where)),
      key_path_(std::move(key_path)),
      problem_(problem) {}

RuntimeConfig parse_config(std::string_view text, const std::string& source_name, const std::filesystem::path& base_dir) {
    toml::table root;
    try {
        root = toml::parse(text, source_name);
    } catch (const toml::parse_error& e) {
        const auto& begin = e.source().begin;
        throw ConfigError({source_name, static_cast<std::uint32_t>(begin.line), static_cast<std::uint32_t>(begin.column)},
                          "", std::string(e.description()));
    }
    return ConfigReader(source_name, base_dir).read(root);
}

RuntimeConfig load_config_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError({file.string(), 0, 0}, "", "cannot open the configuration file");
    std::ostringstream text;
    text << in.rdbuf();
    const std::filesystem::path folder = std::filesystem::absolute(file).parent_path();
    return parse_config(text.str(), file.string(), folder);
}

}  // namespace cim::core
