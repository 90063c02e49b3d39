// cim/manifest.hpp — `cim::Manifest`: what a plugin is and which events it exchanges.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cim/abi.h"
#include "cim/detail/struct_size.hpp"
#include "cim/event.hpp"

namespace cim {

/**
 * An event the plugin defines itself, registered in the runtime's catalogue when the plugin loads.
 * Thread-safety: a plain value.
 */
struct CustomEvent {
    /// Namespaced "vendor.NAME"; a clash with the catalogue or another plugin's definition fails the load.
    std::string name{};
    /// Its CIMEvent type; never `unset`.
    EventType type = EventType::unset;
    /// One line for `cimrt events`; may be empty.
    std::string description{};
};

/**
 * What a plugin is and which events it exchanges; returned by the plugin class's `static cim::Manifest manifest()`.
 * The runtime validates it at load (names, declared events, the schema) and wires plugins from it; a plugin may only
 * publish what it lists under `publishes`, and receives exactly what it lists under `consumes`.
 *
 * Thread-safety: a plain value.
 *
 *     static cim::Manifest manifest() {
 *         return {.name = "echo",
 *                 .version = "1.0.0",
 *                 .description = "Answers every customer message with its own text",
 *                 .publishes = {"BOT_MESSAGE"},
 *                 .consumes = {"CUSTOMER_MESSAGE"},
 *                 .custom_events = {},
 *                 .config_schema = {{"type", "object"},
 *                                   {"properties", {{"prefix", {{"type", "string"}}}}},
 *                                   {"additionalProperties", false}}};
 *     }
 */
struct Manifest {
    // Every field has a default member initializer so that a designated initializer may leave fields out without
    // -Wmissing-field-initializers (which g++ applies to designated initializers too).

    /// Unique plugin name, [a-z0-9_-]+, e.g. "channel"; also the name of its table in runtime.toml.
    std::string name{};
    /// The plugin's own version, e.g. "1.2.0".
    std::string version{};
    /// One line; may be empty.
    std::string description{};
    /// Event names the plugin may publish.
    std::vector<std::string> publishes{};
    /// Event names delivered to `on_event` (a plugin that consumes anything must define `on_event`).
    std::vector<std::string> consumes{};
    /// Events this plugin defines.
    std::vector<CustomEvent> custom_events{};
    /// JSON Schema of the plugin's config table; null = the plugin accepts no config keys.
    nlohmann::json config_schema{};
};

namespace detail {

/**
 * Owns a Manifest and the C view of it (`cim_manifest_t`) whose pointers point into it. The plugin keeps one in a
 * static, so the view has the static lifetime abi.h asks for. Neither copyable nor movable: a move would leave the
 * view pointing at the old strings (short strings live inside the std::string object).
 *
 * Thread-safety: immutable once constructed; abi() may be called from any thread.
 */
class ManifestStorage {
public:
    /// Builds the C view of `manifest`. @throws what serialising the schema throws (invalid UTF-8) or std::bad_alloc.
    explicit ManifestStorage(Manifest manifest)
        : manifest_(std::move(manifest)),
          schema_json_(manifest_.config_schema.is_null() ? std::string() : manifest_.config_schema.dump()),
          raw_(make_sized<cim_manifest_t>()) {
        publishes_.reserve(manifest_.publishes.size());
        for (const auto& name : manifest_.publishes) publishes_.push_back(name.c_str());
        consumes_.reserve(manifest_.consumes.size());
        for (const auto& name : manifest_.consumes) consumes_.push_back(name.c_str());

        custom_events_.reserve(manifest_.custom_events.size());
        for (const auto& custom : manifest_.custom_events) {
            auto raw_custom = make_sized<cim_custom_event_t>();
            raw_custom.name = custom.name.c_str();
            raw_custom.type = static_cast<cim_event_type_t>(custom.type);
            raw_custom.description = custom.description.empty() ? nullptr : custom.description.c_str();
            custom_events_.push_back(raw_custom);
        }
        // Pointers into custom_events_ are taken only now that it is complete and will not reallocate.
        custom_event_ptrs_.reserve(custom_events_.size());
        for (const auto& raw_custom : custom_events_) custom_event_ptrs_.push_back(&raw_custom);

        raw_.name = manifest_.name.c_str();
        raw_.version = manifest_.version.c_str();
        raw_.description = manifest_.description.empty() ? nullptr : manifest_.description.c_str();
        raw_.publishes = publishes_.empty() ? nullptr : publishes_.data();
        raw_.publishes_count = publishes_.size();
        raw_.consumes = consumes_.empty() ? nullptr : consumes_.data();
        raw_.consumes_count = consumes_.size();
        raw_.custom_events = custom_event_ptrs_.empty() ? nullptr : custom_event_ptrs_.data();
        raw_.custom_events_count = custom_event_ptrs_.size();
        raw_.config_schema_json = manifest_.config_schema.is_null() ? nullptr : schema_json_.c_str();
    }

    ManifestStorage(const ManifestStorage&) = delete;
    ManifestStorage& operator=(const ManifestStorage&) = delete;

    /// The C view; valid as long as this object.
    [[nodiscard]] const cim_manifest_t* abi() const noexcept { return &raw_; }
    /// The manifest it was built from.
    [[nodiscard]] const Manifest& manifest() const noexcept { return manifest_; }

private:
    Manifest manifest_;
    std::string schema_json_;
    std::vector<const char*> publishes_;
    std::vector<const char*> consumes_;
    std::vector<cim_custom_event_t> custom_events_;
    std::vector<const cim_custom_event_t*> custom_event_ptrs_;
    cim_manifest_t raw_;
};

}  // namespace detail
}  // namespace cim
