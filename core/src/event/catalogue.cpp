#include "event/catalogue.hpp"

#include <cassert>
#include <utility>

#include "event/builtin_events.hpp"

namespace cim::core {
namespace {

bool is_name_character(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_name_part(std::string_view part) {
    if (part.empty()) return false;
    for (char c : part) {
        if (!is_name_character(c)) return false;
    }
    return true;
}

// "vendor.NAME": the namespace keeps two vendors' events apart and can never collide with a built-in (which has no
// dot).
bool is_namespaced_name(std::string_view name) {
    const auto dot = name.find('.');
    if (dot == std::string_view::npos) return false;
    return is_name_part(name.substr(0, dot)) && is_name_part(name.substr(dot + 1));
}

std::string describe_declaration(std::string_view name, std::string_view plugin) {
    return "custom event '" + std::string(name) + "' declared by plugin '" + std::string(plugin) + "'";
}

}  // namespace

Catalogue::Catalogue() {
    for (const BuiltinEvent& row : builtin_events()) {
        const auto id = static_cast<EventKindId>(kinds_.size());
        kinds_.push_back(std::make_unique<EventKind>(EventKind{
            .id = id,
            .name = std::string(row.name),
            .type = row.type,
            .description = std::string(row.description),
            .required_fields = row.required_fields,
            .required_any_of = row.required_any_of,
            .any_of_rule = std::string(row.any_of_rule),
            .defined_by = {},
        }));
        [[maybe_unused]] const bool inserted = by_name_.emplace(row.name, id).second;
        assert(inserted && "the built-in table names an event twice");
    }
    for (const BuiltinAlias& alias : builtin_event_aliases()) {
        const auto canonical = by_name_.find(alias.canonical);
        assert(canonical != by_name_.end() && "an alias names no built-in event");
        by_name_.emplace(alias.alias, canonical->second);
    }
}

const EventKind* Catalogue::find(std::string_view name) const {
    const auto found = by_name_.find(name);
    return found == by_name_.end() ? nullptr : kinds_[found->second].get();
}

const EventKind& Catalogue::at(EventKindId id) const { return *kinds_.at(id); }

std::vector<EventKind> Catalogue::entries() const {
    std::vector<EventKind> copies;
    copies.reserve(kinds_.size());
    for (const auto& kind : kinds_) copies.push_back(*kind);
    return copies;
}

std::size_t Catalogue::size() const { return kinds_.size(); }

const EventKind& Catalogue::register_custom(std::string_view name, EventType type, std::string_view description,
                                            std::string_view plugin) {
    // The built-in clash is checked before the form, although no built-in name has a dot: a plugin that declares
    // CUSTOMER_MESSAGE most likely meant to publish the built-in one, and this message tells it so.
    if (const EventKind* existing = find(name); existing != nullptr && existing->id < builtin_events().size()) {
        std::string message = describe_declaration(name, plugin) + " clashes with the built-in event " + existing->name;
        if (existing->name != name) message += " (" + std::string(name) + " is its alias)";
        throw CatalogueError(message);
    }
    if (!is_namespaced_name(name)) {
        throw CatalogueError(describe_declaration(name, plugin) +
                             " is not of the form vendor.NAME (two non-empty parts of letters, digits, '_' and '-', "
                             "joined by one dot)");
    }
    if (type == EventType::unset) throw CatalogueError(describe_declaration(name, plugin) + " has no type");
    if (to_string(type).empty()) {
        throw CatalogueError(describe_declaration(name, plugin) + " has an unknown type " +
                             std::to_string(static_cast<std::uint32_t>(type)));
    }

    if (const EventKind* existing = find(name); existing != nullptr) {
        if (existing->type == type) return *existing;
        throw CatalogueError("custom event '" + std::string(name) + "' declared by plugin '" + existing->defined_by +
                             "' as " + std::string(to_string(existing->type)) + " and by plugin '" +
                             std::string(plugin) + "' as " + std::string(to_string(type)));
    }

    const auto id = static_cast<EventKindId>(kinds_.size());
    kinds_.push_back(std::make_unique<EventKind>(EventKind{
        .id = id,
        .name = std::string(name),
        .type = type,
        .description = std::string(description),
        .required_fields = requires_nothing,  // the runtime knows nothing of a custom event's anchoring
        .required_any_of = 0,
        .any_of_rule = {},
        .defined_by = std::string(plugin),
    }));
    by_name_.emplace(name, id);
    return *kinds_.back();
}

}  // namespace cim::core
