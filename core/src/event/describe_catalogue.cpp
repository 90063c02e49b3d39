#include "event/describe_catalogue.hpp"

#include "event/builtin_events.hpp"

namespace cim::core {

std::vector<runtime::EventInfo> describe(const Catalogue& catalogue) {
    std::vector<runtime::EventInfo> out;
    for (const EventKind& kind : catalogue.entries()) {
        runtime::EventInfo info{kind.name, std::string(to_string(kind.type)), kind.description, {}, kind.defined_by};
        for (const BuiltinAlias& alias : builtin_event_aliases()) {
            if (alias.canonical == kind.name) info.aliases.emplace_back(alias.alias);
        }
        out.push_back(std::move(info));
    }
    return out;
}

}  // namespace cim::core
