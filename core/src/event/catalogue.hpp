// The catalogue: every event name the runtime knows, its fixed type, and the header fields it requires.
//
// One Catalogue per runtime (no global state): it starts with the built-in CIM events (DESIGN §1) and grows with the
// custom `vendor.NAME` events plugins declare at load. Lookups are by name (aliases resolve to the canonical entry)
// or by dense EventKindId, which the bus uses to index its wiring tables.
//
// Thread-safety: registration happens while plugins load, before the runtime starts; from then on the catalogue is
// only read, so lookups take no lock (the hot path must not).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "event/event.hpp"

namespace cim::core {

/// Header fields an event may be required to carry; combined as a bit set.
enum RequiredField : std::uint32_t {
    requires_nothing = 0,
    requires_conversation_id = 1u << 0,
    requires_channel_session_id = 1u << 1,
    requires_customer_id = 1u << 2,
    requires_refers_to = 1u << 3,
};

/// A catalogue entry.
struct EventKind {
    EventKindId id = no_event_kind;
    std::string name;
    EventType type = EventType::unset;
    std::string description;
    std::uint32_t required_fields = requires_conversation_id; ///< every one of these must be present
    std::uint32_t required_any_of = 0;  ///< when non-zero, at least one of these must be present
    std::string any_of_rule;            ///< the rule's wording for the error message, e.g. "a wrap-up must carry ..."
    std::string defined_by;             ///< "" for built-ins, else the plugin that declared it
};

/// Thrown when registering a custom event fails; the message names both parties of a clash.
struct CatalogueError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Catalogue {
public:
    /// A catalogue holding the built-in events and their aliases.
    Catalogue();

    /// The entry for `name` or one of its aliases; nullptr when unknown.
    const EventKind* find(std::string_view name) const;
    /// The entry with this id; the id must come from this catalogue.
    const EventKind& at(EventKindId id) const;
    /// Every entry, built-ins first, in registration order.
    std::vector<EventKind> entries() const;
    /// Number of entries (ids are 0 .. size()-1).
    std::size_t size() const;

    /// Registers a custom event declared by `plugin`. Not thread-safe: call only while loading, before lookups start.
    /// Throws CatalogueError when the name is not "vendor.NAME", is a
    /// built-in name or alias, or is already declared by another plugin with another type (the message names both).
    /// Declaring the same name with the same type again is allowed and returns the existing entry.
    const EventKind& register_custom(std::string_view name, EventType type, std::string_view description,
                                     std::string_view plugin);

private:
    // Lets find() look a string_view up without building a std::string: it runs once per published event.
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view name) const noexcept { return std::hash<std::string_view>{}(name); }
    };

    std::vector<std::unique_ptr<EventKind>> kinds_;                                 // stable addresses
    std::unordered_map<std::string, EventKindId, NameHash, std::equal_to<>> by_name_;  // canonical names and aliases
};

}  // namespace cim::core
