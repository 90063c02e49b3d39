// cim/plugin_export.hpp — CIM_PLUGIN(Class): the one line that turns a plugin class into a loadable plugin.
#pragma once

#include "cim/abi.h"
#include "cim/detail/export.hpp"
#include "cim/plugin.hpp"

/**
 * Exports `Class` as this shared object's plugin: defines `extern "C" const cim_plugin_t* cim_plugin_entry(void)`,
 * the one symbol the host looks up, returning a static table whose hooks forward to Class (see cim::Plugin for what
 * Class must and may define; mistakes fail the build with a static_assert that says what to write).
 *
 * Use it exactly once per shared object, at namespace scope, after the class definition. Build the plugin with
 * hidden visibility (cimrt_add_plugin does) so that cim_plugin_entry is its only exported symbol.
 *
 * Thread-safety: the generated entry point may be called from any thread; the table is built once, on first call.
 *
 *     class Echo : public cim::Plugin { ... };
 *     CIM_PLUGIN(Echo);
 */
#define CIM_PLUGIN(Class)                                                              \
    extern "C" CIM_PLUGIN_EXPORT const cim_plugin_t* cim_plugin_entry(void) {          \
        return ::cim::detail::plugin_table<Class>();                                   \
    }                                                                                  \
    static_assert(true, "CIM_PLUGIN(Class) is used as a statement: end it with ';'")
