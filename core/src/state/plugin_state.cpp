#include "state/plugin_state.hpp"

#include <charconv>

#include "event/wire_json.hpp"

namespace cim::core {
namespace {

// The hook unit open on this thread, if any (innermost).
thread_local PluginState::HookUnit* current_unit = nullptr;

constexpr std::string_view timer_key_prefix{"\0timer/", 7};

// (plugin, scope, key) as one ordered string: NUL never occurs in a plugin name, a scope or a key, so the order is
// plugin, then scope, then key, and a plugin's scope is one contiguous range.
std::string encode(std::string_view plugin, std::string_view scope, std::string_view key) {
    std::string out;
    out.reserve(plugin.size() + scope.size() + key.size() + 2);
    out.append(plugin).push_back('\0');
    out.append(scope).push_back('\0');
    out.append(key);
    return out;
}

std::string scope_prefix(std::string_view plugin, std::string_view scope) { return encode(plugin, scope, {}); }

bool is_internal(std::string_view key) { return !key.empty() && key.front() == '\0'; }

void check_scope(std::string_view scope) {
    if (scope.find('\0') != std::string_view::npos) throw StateError(CIM_INVALID, "scope contains a NUL byte");
    if (!valid_utf8(scope)) throw StateError(CIM_INVALID, "scope is not UTF-8");
}

void check_key(std::string_view key, bool internal) {
    if (internal) return;
    if (key.empty()) throw StateError(CIM_INVALID, "key is empty");
    if (key.size() > PluginState::max_key_bytes) {
        throw StateError(CIM_INVALID, "key is " + std::to_string(key.size()) + " bytes; at most " +
                                          std::to_string(PluginState::max_key_bytes));
    }
    if (key.find('\0') != std::string_view::npos) throw StateError(CIM_INVALID, "key contains a NUL byte");
    if (!valid_utf8(key)) throw StateError(CIM_INVALID, "key is not UTF-8");
}

}  // namespace

std::string_view persistent_timer_prefix() noexcept { return timer_key_prefix; }

std::string persistent_timer_key(std::uint64_t token) {
    return std::string(timer_key_prefix) + std::to_string(token);
}

std::optional<std::uint64_t> persistent_timer_token(std::string_view key) {
    if (key.substr(0, timer_key_prefix.size()) != timer_key_prefix) return std::nullopt;
    const std::string_view digits = key.substr(timer_key_prefix.size());
    std::uint64_t token = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), token);
    if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return token;
}

PluginState::PluginState(Store& store, std::size_t partitions, PartitionOf partition_of,
                         std::shared_ptr<spdlog::logger> logger)
    : store_(store), partition_of_(std::move(partition_of)), logger_(std::move(logger)) {
    for (std::size_t i = 0; i < std::max<std::size_t>(partitions, 1); ++i) {
        partitions_.push_back(std::make_unique<Partition>());
    }
}

PluginState::~PluginState() = default;

PluginState::Partition& PluginState::partition_of(std::string_view scope) const {
    return *partitions_[partition_of_(scope) % partitions_.size()];
}

std::size_t PluginState::restore() {
    std::size_t n = 0;
    store_.read_state([&](const StateWrite& entry) {
        Partition& p = partition_of(entry.scope);
        std::unique_lock lock(p.mutex);
        p.entries.insert_or_assign(encode(entry.plugin, entry.scope, entry.key), entry.value);
        p.plugins.insert(entry.plugin);
        ++n;
    });
    return n;
}

std::optional<std::string> PluginState::get(std::string_view plugin, std::string_view scope,
                                            std::string_view key) const {
    check_scope(scope);
    check_key(key, is_internal(key));
    const Partition& p = partition_of(scope);
    std::shared_lock lock(p.mutex);
    const auto it = p.entries.find(encode(plugin, scope, key));
    if (it == p.entries.end()) return std::nullopt;
    return it->second;
}

void PluginState::list(std::string_view plugin, std::string_view scope, std::string_view prefix,
                       const std::function<void(std::string_view, std::string_view)>& visit,
                       bool include_internal) const {
    check_scope(scope);
    const std::string start = scope_prefix(plugin, scope);
    const Partition& p = partition_of(scope);
    std::shared_lock lock(p.mutex);
    for (auto it = p.entries.lower_bound(start + std::string(prefix)); it != p.entries.end(); ++it) {
        const std::string_view encoded = it->first;
        if (encoded.substr(0, start.size()) != start) break;  // past this (plugin, scope)
        const std::string_view key = encoded.substr(start.size());
        if (key.substr(0, prefix.size()) != prefix) break;  // keys are sorted: no later one has the prefix either
        if (is_internal(key) && !include_internal) continue;
        visit(key, it->second);
    }
}

std::vector<std::string> PluginState::scopes(std::string_view plugin, bool include_internal) const {
    std::vector<std::string> out;
    std::string plugin_prefix(plugin);
    plugin_prefix.push_back('\0');
    for (const auto& partition : partitions_) {
        std::shared_lock lock(partition->mutex);
        std::string_view last;
        for (auto it = partition->entries.lower_bound(plugin_prefix); it != partition->entries.end(); ++it) {
            const std::string_view encoded = it->first;
            if (encoded.substr(0, plugin_prefix.size()) != plugin_prefix) break;
            const std::string_view rest = encoded.substr(plugin_prefix.size());
            const std::size_t end_of_scope = rest.find('\0');
            const std::string_view scope = rest.substr(0, end_of_scope);
            const std::string_view key = rest.substr(end_of_scope + 1);
            if (scope.empty() || scope == last || (is_internal(key) && !include_internal)) continue;
            out.emplace_back(scope);
            last = out.back();
        }
    }
    return out;
}

void PluginState::check_writable() const {
    // Back-pressure alone (a long backlog) does not refuse state: a plugin that cannot save its state cannot do its
    // work either, and the backlog drains. A store that cannot write refuses: nothing changes, the caller is told.
    if (store_.accepting()) return;
    if (const StoreHealth health = store_.health(); !health.writable) throw StateError(CIM_ERROR, health.failure);
}

void PluginState::put(std::string_view plugin, std::string_view scope, std::string_view key, std::string_view value,
                      bool internal) {
    check_scope(scope);
    check_key(key, internal);
    if (value.size() > max_value_bytes) {
        throw StateError(CIM_INVALID, "value is " + std::to_string(value.size()) + " bytes; at most " +
                                          std::to_string(max_value_bytes));
    }
    write({StateWrite::Op::put, std::string(plugin), std::string(scope), std::string(key), std::string(value)});
}

void PluginState::erase(std::string_view plugin, std::string_view scope, std::string_view key, bool internal) {
    check_scope(scope);
    check_key(key, internal);
    write({StateWrite::Op::erase, std::string(plugin), std::string(scope), std::string(key), {}});
}

void PluginState::drop_scope(std::string_view scope) {
    const std::size_t index = partition_of_(scope) % partitions_.size();
    Partition& p = *partitions_[index];
    bool any = false;
    {
        std::unique_lock lock(p.mutex);
        // A scope's entries are one range per plugin: O(plugins · log n + entries dropped), no scan of the partition.
        for (const std::string& plugin : p.plugins) {
            const std::string start = scope_prefix(plugin, scope);
            auto first = p.entries.lower_bound(start);
            auto last = first;
            while (last != p.entries.end() && std::string_view(last->first).substr(0, start.size()) == start) ++last;
            any = any || first != last;
            p.entries.erase(first, last);
        }
    }
    // Not waited for, even with sync = "full": eviction runs on the shard's worker and promises nothing to anyone.
    if (any) store_.append_state(index, {{StateWrite::Op::erase_scope, {}, std::string(scope), {}, {}}});
}

std::size_t PluginState::size() const {
    std::size_t n = 0;
    for (const auto& p : partitions_) {
        std::shared_lock lock(p->mutex);
        n += p->entries.size();
    }
    return n;
}

void PluginState::write(StateWrite w) {
    check_writable();
    const std::size_t index = partition_of_(w.scope) % partitions_.size();
    {
        Partition& p = *partitions_[index];
        std::unique_lock lock(p.mutex);
        std::string encoded = encode(w.plugin, w.scope, w.key);
        if (w.op == StateWrite::Op::put) {
            p.entries.insert_or_assign(std::move(encoded), w.value);
            if (p.plugins.find(w.plugin) == p.plugins.end()) p.plugins.insert(w.plugin);
        } else {
            p.entries.erase(encoded);
        }
    }
    if (HookUnit* unit = current_unit; unit != nullptr && &unit->state_ == this) {
        for (auto& [partition, writes] : unit->writes_) {
            if (partition == index) {
                writes.push_back(std::move(w));
                return;
            }
        }
        unit->writes_.push_back({index, {std::move(w)}});
        return;
    }
    commit(index, {std::move(w)});
}

void PluginState::commit(std::size_t partition, const std::vector<StateWrite>& writes, bool wait) {
    const std::uint64_t ticket = store_.append_state(partition, writes);
    if (wait && store_.acknowledge_after_durable()) {
        try {
            store_.wait_durable(partition, ticket);
        } catch (const StoreError& e) {
            // In doubt, not lost: the store keeps the writes and commits them when it recovers (abi.h).
            throw StateError(CIM_ERROR, e.what());
        }
    }
}

PluginState::HookUnit::HookUnit(PluginState& state, bool wait) : state_(state), outer_(current_unit), wait_(wait) {
    current_unit = this;
}

PluginState::HookUnit::~HookUnit() {
    current_unit = outer_;
    for (const auto& [partition, writes] : writes_) {
        try {
            state_.commit(partition, writes, wait_);
        } catch (const std::exception& e) {
            if (state_.logger_) {
                state_.logger_->error("plugin state: {} write(s) of a hook wait for the store: {}", writes.size(),
                                      e.what());
            }
        }
    }
}

}  // namespace cim::core
