#include "plugin/manifest.hpp"

#include "plugin/growable_struct.hpp"

#include <cstddef>
#include <stdexcept>

namespace cim::core {
namespace {

std::vector<std::string> read_names(const char* const* names, std::size_t count, const char* list) {
    std::vector<std::string> out;
    if (count > 0 && names == nullptr) {
        throw std::invalid_argument(std::string("manifest.") + list + " is NULL but its count is " +
                                    std::to_string(count));
    }
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        if (names[i] == nullptr || *names[i] == '\0') {
            throw std::invalid_argument(std::string("manifest.") + list + "[" + std::to_string(i) + "] is empty");
        }
        out.emplace_back(names[i]);
    }
    return out;
}

}  // namespace

void check_plugin_name(const std::string& name) {
    if (name.empty()) throw std::invalid_argument("manifest.name is empty");
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) {
            throw std::invalid_argument("manifest.name '" + name + "' may hold only a-z, 0-9, '_' and '-'");
        }
    }
}

Manifest read_manifest(const cim_manifest_t& raw) {
    const cim_manifest_t m = read_growable(raw);  // fields the plugin's struct does not cover read as empty
    if (!CIM_FIELD_PRESENT(m, name) || m.name == nullptr) throw std::invalid_argument("manifest.name is missing");

    Manifest out;
    out.name = m.name;
    check_plugin_name(out.name);
    if (m.version != nullptr) out.version = m.version;
    if (m.description != nullptr) out.description = m.description;
    out.publishes = read_names(m.publishes, m.publishes_count, "publishes");
    out.consumes = read_names(m.consumes, m.consumes_count, "consumes");
    if (m.custom_events_count > 0 && m.custom_events == nullptr) {
        throw std::invalid_argument("manifest.custom_events is NULL but its count is " +
                                    std::to_string(m.custom_events_count));
    }
    for (std::size_t i = 0; i < m.custom_events_count; ++i) {
        const cim_custom_event_t* raw_custom = m.custom_events[i];
        const std::string where = "manifest.custom_events[" + std::to_string(i) + "]";
        if (raw_custom == nullptr) throw std::invalid_argument(where + " is NULL");
        const cim_custom_event_t c = read_growable(*raw_custom);
        if (!CIM_FIELD_PRESENT(c, name) || c.name == nullptr || *c.name == '\0') {
            throw std::invalid_argument(where + ".name is empty");
        }
        if (!CIM_FIELD_PRESENT(c, type) || c.type == CIM_EVENT_TYPE_UNSET || c.type > CIM_EVENT_TYPE_CALL) {
            throw std::invalid_argument(where + " ('" + c.name + "') has no valid type");
        }
        CustomEventDeclaration decl{c.name, static_cast<EventType>(c.type), {}};
        if (CIM_FIELD_PRESENT(c, description) && c.description != nullptr) decl.description = c.description;
        out.custom_events.push_back(std::move(decl));
    }
    if (m.config_schema_json != nullptr) out.config_schema_json = m.config_schema_json;
    return out;
}

}  // namespace cim::core
