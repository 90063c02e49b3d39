#include "config/runtime_config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "config/did_you_mean.hpp"
#include "config/key_names.hpp"
#include "config/plugin_options.hpp"

namespace cim::core {
namespace {

const std::string duration_example = "expected a duration like \"90s\" or \"10m\", got ";

// Calls `visit(key, node)` for each entry of `table` as written. toml++ keeps keys sorted; walking them in file order
// makes the first error reported the first in the file, and keeps the plugins in the order the operator wrote them.
template <typename Visit>
void for_each_in_file_order(const toml::table& table, Visit visit) {
    std::vector<std::pair<const toml::key*, const toml::node*>> entries;
    for (auto&& [key, node] : table) entries.emplace_back(&key, &node);
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        const toml::source_position& x = a.first->source().begin;
        const toml::source_position& y = b.first->source().begin;
        return std::pair(x.line, x.column) < std::pair(y.line, y.column);
    });
    for (const auto& [key, node] : entries) visit(*key, *node);
}

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
        config.runtime.control_socket = base_dir_ / "var" / "cimrt.sock";

        for_each_in_file_order(root, [&](const toml::key& key, const toml::node& node) {
            const std::string name(key.str());
            if (name == "runtime") {
                read_runtime(table_of(node, name), config.runtime);
            } else if (name == "store") {
                read_store(table_of(node, name), config.store);
            } else if (name == "sessions") {
                read_sessions(table_of(node, name), config.sessions);
            } else if (name == "metrics") {
                read_metrics(table_of(node, name), config.metrics);
            } else if (name == "plugins") {
                // Read after [runtime], whose plugin_dir the default plugin paths depend on.
            } else {
                unknown_key(key, "", {"runtime", "store", "sessions", "metrics", "plugins"});
            }
        });
        if (const toml::node* plugins = root.get("plugins")) {
            // In file order: operators expect plugins to load and start in the order they wrote them.
            for_each_in_file_order(table_of(*plugins, "plugins"), [&](const toml::key& key, const toml::node& node) {
                config.plugins.push_back(read_plugin(std::string(key.str()), node, config.runtime.plugin_dir));
            });
        }
        return config;
    }

private:
    [[noreturn]] void fail(const toml::source_region& region, const std::string& key_path, const std::string& problem) const {
        throw ConfigError(source_position(source_, region), key_path, problem);
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

    [[noreturn]] void unknown_key(const toml::key& key, const std::string& prefix,
                                  const std::vector<std::string>& known) const {
        const std::string name(key.str());
        std::string problem = "unknown key '" + name + "'";
        if (auto suggestion = closest_match(name, known)) problem += "; did you mean '" + *suggestion + "'?";
        fail(key.source(), prefix + key_path_segment(name), problem);
    }

    std::size_t positive_integer(const toml::node& node, const std::string& path) const {
        const auto* integer = node.as_integer();
        if (integer == nullptr) fail(node.source(), path, "expected an integer, got " + describe(node));
        if (integer->get() < 1) fail(node.source(), path, "must be at least 1, got " + std::to_string(integer->get()));
        return static_cast<std::size_t>(integer->get());
    }

    std::size_t non_negative_integer(const toml::node& node, const std::string& path) const {
        const auto* integer = node.as_integer();
        if (integer == nullptr) fail(node.source(), path, "expected an integer, got " + describe(node));
        if (integer->get() < 0) fail(node.source(), path, "must be at least 0, got " + std::to_string(integer->get()));
        return static_cast<std::size_t>(integer->get());
    }

    std::string string_value(const toml::node& node, const std::string& path) const {
        const auto* text = node.as_string();
        if (text == nullptr) fail(node.source(), path, "expected a string, got " + describe(node));
        return text->get();
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
        return (value.is_absolute() ? value : base_dir_ / value).lexically_normal();
    }

    std::chrono::milliseconds duration_value(const toml::node& node, const std::string& path) const {
        const auto* text = node.as_string();
        if (text == nullptr) fail(node.source(), path, duration_example + describe(node));
        const auto duration = parse_duration(text->get());
        if (!duration) fail(node.source(), path, duration_example + "\"" + text->get() + "\"");
        return *duration;
    }

    void read_runtime(const toml::table& table, RuntimeSection& runtime) const {
        for_each_in_file_order(table, [&](const toml::key& key, const toml::node& node) {
            const std::string name(key.str());
            const std::string path = "runtime." + name;
            if (name == "threads") runtime.threads = positive_integer(node, path);
            else if (name == "plugin_dir") runtime.plugin_dir = path_value(node, path);
            else if (name == "shards") runtime.shards = positive_integer(node, path);
            else if (name == "shard_capacity") runtime.shard_capacity = positive_integer(node, path);
            else if (name == "slow_delivery") runtime.slow_delivery = duration_value(node, path);
            else if (name == "stop_timeout") runtime.stop_timeout = duration_value(node, path);
            else if (name == "control_socket") runtime.control_socket = path_value(node, path);
            else unknown_key(key, "runtime.", {"threads", "plugin_dir", "shards", "shard_capacity", "slow_delivery",
                                               "stop_timeout", "control_socket"});
        });
    }

    void read_store(const toml::table& table, StoreSection& store) const {
        for_each_in_file_order(table, [&](const toml::key& key, const toml::node& node) {
            const std::string name(key.str());
            const std::string path = "store." + name;
            if (name == "kind") store.kind = one_of(node, path, {"memory", "sqlite"});
            else if (name == "path") store.path = path_value(node, path);
            else if (name == "sync") store.sync = one_of(node, path, {"off", "normal", "full"});
            else if (name == "max_backlog") store.max_backlog = positive_integer(node, path);
            else if (name == "snapshot_interval") store.snapshot_interval = non_negative_integer(node, path);
            else unknown_key(key, "store.", {"kind", "path", "sync", "max_backlog", "snapshot_interval"});
        });
    }

    void read_sessions(const toml::table& table, SessionsSection& sessions) const {
        for_each_in_file_order(table, [&](const toml::key& key, const toml::node& node) {
            const std::string name(key.str());
            const std::string path = "sessions." + name;
            if (name == "customer_inactivity_timeout") sessions.customer_inactivity_timeout = duration_value(node, path);
            else if (name == "closed_grace") sessions.closed_grace = duration_value(node, path);
            else unknown_key(key, "sessions.", {"customer_inactivity_timeout", "closed_grace"});
        });
    }

    void read_metrics(const toml::table& table, MetricsSection& metrics) const {
        for_each_in_file_order(table, [&](const toml::key& key, const toml::node& node) {
            const std::string name(key.str());
            if (name == "listen") {
                listen_value(node, "metrics.listen", metrics);
            } else {
                unknown_key(key, "metrics.", {"listen"});
            }
        });
    }

    // "HOST:PORT" with HOST an IPv4 address or a bracketed IPv6 one ("[::1]:9464"). Names are not resolved: what
    // an endpoint binds to must not depend on DNS at start-up.
    void listen_value(const toml::node& node, const std::string& path, MetricsSection& metrics) const {
        const std::string text = string_value(node, path);
        const std::string example = " (expected \"HOST:PORT\", e.g. \"127.0.0.1:9464\" or \"[::1]:9464\")";
        const auto colon = text.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
            fail(node.source(), path, "\"" + text + "\" has no port" + example);
        }
        std::string host = text.substr(0, colon);
        const std::string port_text = text.substr(colon + 1);
        if (host.front() == '[') {
            if (host.back() != ']') fail(node.source(), path, "\"" + text + "\": unclosed '['" + example);
            host = host.substr(1, host.size() - 2);
        } else if (host.find(':') != std::string::npos) {
            fail(node.source(), path, "\"" + text + "\": an IPv6 address goes in brackets" + example);
        }
        const bool digits = port_text.size() <= 5 && port_text.find_first_not_of("0123456789") == std::string::npos;
        const unsigned long port = digits ? std::stoul(port_text) : 0;
        if (port < 1 || port > 65535) fail(node.source(), path, "\"" + port_text + "\" is not a port (1-65535)");
        if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF.:") != std::string::npos) {
            fail(node.source(), path, "\"" + host + "\" is not an IP address (names are not resolved)" + example);
        }
        metrics.host = host;
        metrics.port = static_cast<std::uint16_t>(port);
    }

    PluginSection read_plugin(const std::string& name, const toml::node& node, const std::filesystem::path& plugin_dir) const {
        const std::string prefix = "plugins." + key_path_segment(name);
        // The name becomes a file name (<name>.so) and a log and metrics label: nothing that needs quoting anywhere.
        const bool valid_name = !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") ==
                                                     std::string::npos;
        if (!valid_name) fail(node.source(), prefix, "a plugin name may hold only a-z, 0-9, '_' and '-'");
        const toml::table& table = table_of(node, prefix);
        PluginSection plugin;
        plugin.name = name;
        plugin.where = source_position(source_, table.source());
        PluginOptionConverter converter(source_, plugin.option_positions);
        const toml::node* path_node = nullptr;
        for_each_in_file_order(table, [&](const toml::key& key, const toml::node& value) {
            const std::string option(key.str());
            if (option == "enabled") {
                const auto* enabled = value.as_boolean();
                if (enabled == nullptr) fail(value.source(), prefix + ".enabled", "expected a boolean, got " + describe(value));
                plugin.enabled = enabled->get();
            } else if (option == "path") {
                plugin.path = path_value(value, prefix + ".path");
                path_node = &value;
            } else {
                const std::string pointer = "/" + json_pointer_token(option);
                plugin.option_positions[pointer] = source_position(source_, key.source());
                plugin.options[option] = converter.convert(value, pointer, prefix + "." + key_path_segment(option));
            }
        });
        if (plugin.path.empty()) plugin.path = plugin_dir / (name + ".so");
        // A disabled plugin is not loaded, so its file may be absent (not built on this host, say).
        // The error_code overload: a name the file system refuses (longer than 255 bytes) is a config error too.
        std::error_code ec;
        if (plugin.enabled && !std::filesystem::exists(plugin.path, ec)) {
            fail(path_node != nullptr ? path_node->source() : table.source(), prefix + (path_node != nullptr ? ".path" : ""),
                 "plugin file not found: " + plugin.path.string() + (ec ? " (" + ec.message() + ")" : ""));
        }
        return plugin;
    }

    std::string source_;
    std::filesystem::path base_dir_;
};

}  // namespace

RuntimeConfig parse_config(std::string_view text, const std::string& source_name, const std::filesystem::path& base_dir) {
    toml::table root;
    try {
        root = toml::parse(text, std::string_view(source_name));
    } catch (const toml::parse_error& e) {
        throw ConfigError(source_position(source_name, e.source()), "", std::string(e.description()));
    }
    // Every path in RuntimeConfig is absolute, so what it names does not change when the process changes folder.
    const std::filesystem::path anchor =
        (base_dir.empty() ? std::filesystem::current_path() : std::filesystem::absolute(base_dir)).lexically_normal();
    return ConfigReader(source_name, anchor).read(root);
}

RuntimeConfig load_config_file(const std::filesystem::path& file) {
    // An ifstream opens a folder without complaint and reads nothing: that would run on the defaults.
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) throw ConfigError({file.string(), 0, 0}, "", "is a folder, not a file");
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        const bool exists = std::filesystem::exists(file, ec);
        throw ConfigError({file.string(), 0, 0}, "", exists ? "cannot read the configuration file" : "no such file");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), file.string(), std::filesystem::absolute(file).parent_path());
}

}  // namespace cim::core
