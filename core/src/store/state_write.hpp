// One change to plugin state (cim_host_t::state_put and friends, ABI 1.2) as the store journals it. Plugin state is a
// materialised table, not a changelog: the store applies each write to its table in the same transaction as the
// events committed with it, and a restart reads the table back — nothing is replayed.
#pragma once

#include <cstdint>
#include <string>

namespace cim::core {

struct StateWrite {
    enum class Op : std::uint8_t {
        put,          ///< create or replace (plugin, scope, key) with value
        erase,        ///< delete (plugin, scope, key)
        erase_scope,  ///< delete every entry of `scope`: of `plugin`, or of every plugin when `plugin` is empty
    };
    Op op = Op::put;
    std::string plugin;  ///< the owning plugin's name
    std::string scope;   ///< a conversation id, or empty for the plugin as a whole
    std::string key;
    std::string value;   ///< bytes; only for put
};

}  // namespace cim::core
