// cim/detail/export.hpp — the C side of a C++ plugin: the trampolines in the `cim_plugin_t` table and the table
// itself, generated for a plugin class by CIM_PLUGIN (cim/plugin_export.hpp).
//
// This is the boundary: every function here is noexcept and catches everything, because an exception unwinding into
// the host (a C caller, perhaps another compiler's runtime) is undefined behaviour. A failure becomes CIM_ERROR plus
// a message the host reads through `last_error`.
#pragma once

#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "cim/abi.h"
#include "cim/detail/hooks.hpp"
#include "cim/detail/strings.hpp"
#include "cim/detail/struct_size.hpp"
#include "cim/error.hpp"
#include "cim/event.hpp"
#include "cim/manifest.hpp"
#include "cim/plugin.hpp"
#include "cim/version.h"

namespace cim::detail {

/**
 * The message of the last failed hook on this thread, returned by `last_error`. Thread-local because the host reads
 * it right after the failure on the same thread, while other workers fail or succeed concurrently.
 *
 * Trivially destructible on purpose: a thread_local with a destructor registers it with the C runtime
 * (__cxa_thread_atexit), and glibc then keeps the library mapped until every thread that touched it has exited —
 * dlclose would silently not unload it, and a hot reload of a changed .so at the same path would run the old code.
 * So the text lives in a fixed buffer, cut (with a marker) when longer.
 */
class ErrorSlot {
public:
    /// The longest message kept, in bytes; a longer one ends in "...".
    static constexpr std::size_t capacity = 2047;

    void clear() noexcept { text_[0] = '\0'; }
    /// Stores `message`, cut to `capacity` bytes.
    void set(std::string_view message) noexcept {
        if (message.empty()) message = "exception with an empty message";
        if (message.size() <= capacity) {
            message.copy(text_, message.size());
            text_[message.size()] = '\0';
            return;
        }
        constexpr std::string_view cut = "...";
        std::size_t keep = capacity - cut.size();
        // Never cut inside a UTF-8 sequence: message[keep] is the first byte dropped, so back up while it continues
        // the character before it (the lead byte then goes with its tail).
        while (keep > 0 && (static_cast<unsigned char>(message[keep]) & 0xC0) == 0x80) --keep;
        message.copy(text_, keep);
        cut.copy(text_ + keep, cut.size());
        text_[keep + cut.size()] = '\0';
    }
    /// NULL when no failure is recorded.
    [[nodiscard]] const char* c_str() const noexcept { return text_[0] == '\0' ? nullptr : text_; }

private:
    char text_[capacity + 1] = {};
};
static_assert(std::is_trivially_destructible_v<ErrorSlot>,
              "a thread_local with a destructor keeps the plugin loaded after dlclose (see ErrorSlot)");

inline ErrorSlot& last_error_slot() noexcept {
    thread_local ErrorSlot slot;
    return slot;
}

/// Runs `body` at the boundary: clears this thread's last error, then turns any exception into CIM_ERROR + message.
template <class Body>
cim_rc_t guarded(Body&& body) noexcept {
    ErrorSlot& slot = last_error_slot();
    slot.clear();
    try {
        std::forward<Body>(body)();
        return CIM_OK;
    } catch (const std::exception& e) {
        slot.set(e.what());
    } catch (...) {
        slot.set("unknown exception");
    }
    return CIM_ERROR;
}

/**
 * What `cim_instance_t*` really points to. When the class's constructor throws, `create` still hands out a box, with
 * no plugin and the error, so the host can read `last_error` from it and then destroy it (abi.h's create contract).
 */
template <class Class>
struct InstanceBox {
    std::unique_ptr<Class> plugin;
    std::string create_error;
};

/// The configuration as create receives it: empty text means "no keys"; anything else must be a JSON object.
inline nlohmann::json parse_config(std::string_view config_json) {
    if (config_json.empty()) return nlohmann::json::object();
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(config_json);
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("cim: the plugin's config is not valid JSON: ") + e.what());
    }
    if (!config.is_object()) {
        throw Error(std::string("cim: the plugin's config must be a JSON object, got ") + config.type_name());
    }
    return config;
}

/// The trampolines of `Class`'s table: C-callable, noexcept, each forwarding to one member of the class.
template <class Class>
struct Exports {
    using Box = InstanceBox<Class>;

    // cim_instance_t is only declared by abi.h; the box is reached by a round-trip cast, which is well-defined.
    static cim_instance_t* handle(Box* box) noexcept { return reinterpret_cast<cim_instance_t*>(box); }
    static Box* box(cim_instance_t* instance) noexcept { return reinterpret_cast<Box*>(instance); }

    /// The live plugin behind `instance`. @throws cim::Error for NULL or for the box of a failed create.
    static Class& plugin(cim_instance_t* instance) {
        Box* const b = box(instance);
        if (b == nullptr) throw Error("cim: hook called with a NULL instance");
        if (!b->plugin) throw Error("cim: hook called on an instance whose create failed: " + b->create_error);
        return *b->plugin;
    }

    static cim_rc_t create(const cim_host_t* host, cim_str_t config_json, cim_instance_t** out) noexcept {
        if (out == nullptr) {
            last_error_slot().set("cim: create called with out == NULL");
            return CIM_INVALID;
        }
        *out = nullptr;
        Box* const b = new (std::nothrow) Box();
        if (b == nullptr) {
            last_error_slot().set("cim: out of memory creating the instance");
            return CIM_ERROR;
        }
        *out = handle(b);
        const cim_rc_t code = guarded([&] {
            const PluginContext context{Host(host), parse_config(to_view(config_json))};
            b->plugin = std::make_unique<Class>(context);
        });
        if (code != CIM_OK) {
            // Kept in the box too: the thread-local slot is overwritten by the next hook on this thread.
            try {
                const char* message = last_error_slot().c_str();
                b->create_error = message != nullptr ? message : "create failed";
            } catch (...) {
                // The slot still holds the message for a host that reads it right away.
            }
        }
        return code;
    }

    static cim_rc_t start(cim_instance_t* instance) noexcept {
        return guarded([&] { plugin(instance).on_start(); });
    }

    static cim_rc_t on_event(cim_instance_t* instance, const cim_event_t* event) noexcept {
        return guarded([&] {
            Class& target = plugin(instance);
            if (event == nullptr) throw Error("cim: on_event called with a NULL event");
            const Event view(*event);
            target.on_event(view);
        });
    }

    static cim_rc_t on_timer(cim_instance_t* instance, std::uint64_t token) noexcept {
        return guarded([&] { plugin(instance).on_timer(token); });
    }

    static cim_rc_t stop(cim_instance_t* instance) noexcept {
        return guarded([&] { plugin(instance).on_stop(); });
    }

    static void destroy(cim_instance_t* instance) noexcept {
        // destroy cannot report, so a throwing destructor (only possible when declared noexcept(false)) is swallowed
        // rather than unwinding into the host.
        (void)guarded([&] { delete box(instance); });
    }

    /// This thread's last failure; for the box of a failed create, that failure even after other calls.
    static const char* last_error(cim_instance_t* instance) noexcept {
        if (const char* message = last_error_slot().c_str(); message != nullptr) return message;
        const Box* const b = box(instance);
        if (b != nullptr && !b->plugin && !b->create_error.empty()) return b->create_error.c_str();
        return nullptr;
    }
};

/**
 * The static manifest of `Class`, built from Class::manifest() on first use. NULL when manifest() throws: the entry
 * point cannot fail (abi.h gives it no error channel), so the host refuses the NULL manifest and stderr says why.
 */
template <class Class>
const cim_manifest_t* static_manifest() noexcept {
    static const std::unique_ptr<const ManifestStorage> storage = []() noexcept -> std::unique_ptr<const ManifestStorage> {
        try {
            return std::make_unique<const ManifestStorage>(Class::manifest());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "[cim plugin] manifest() failed: %s\n", e.what());
        } catch (...) {
            std::fprintf(stderr, "[cim plugin] manifest() failed: unknown exception\n");
        }
        return nullptr;
    }();
    return storage ? storage->abi() : nullptr;
}

// A hook is wired when declared with the right signature; a wrong one already failed a static_assert above, and
// leaving it unwired keeps that message the only error instead of the first of a cascade.
template <class Class> inline constexpr bool has_on_start = declares_on_start<Class> && valid_on_start<Class>;
template <class Class> inline constexpr bool has_on_event = declares_on_event<Class> && valid_on_event<Class>;
template <class Class> inline constexpr bool has_on_timer = declares_on_timer<Class> && valid_on_timer<Class>;
template <class Class> inline constexpr bool has_on_stop = declares_on_stop<Class> && valid_on_stop<Class>;

/// The static table CIM_PLUGIN(Class) returns from `cim_plugin_entry`. Hooks Class does not define are NULL.
template <class Class>
const cim_plugin_t* plugin_table() noexcept {
    static_assert(check_plugin_class<Class>());
    static const cim_plugin_t table = [] {
        using E = Exports<Class>;
        auto t = make_sized<cim_plugin_t>();
        t.abi_major = CIM_ABI_VERSION_MAJOR;
        t.abi_minor = CIM_ABI_VERSION_MINOR;
        t.abi_patch = CIM_ABI_VERSION_PATCH;
        t.manifest = static_manifest<Class>();
        t.create = &E::create;
        if constexpr (has_on_start<Class>) t.start = &E::start;
        if constexpr (has_on_event<Class>) t.on_event = &E::on_event;
        if constexpr (has_on_timer<Class>) t.on_timer = &E::on_timer;
        if constexpr (has_on_stop<Class>) t.stop = &E::stop;
        t.destroy = &E::destroy;
        t.last_error = &E::last_error;
        return t;
    }();
    return &table;
}

}  // namespace cim::detail
