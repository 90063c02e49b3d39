// cim/detail/hooks.hpp — compile-time detection of a plugin class's hooks, and the checks behind CIM_PLUGIN's
// static_asserts.
//
// For every hook two questions are asked separately:
//   declares_<hook><T>  does T have *any* member with that name (function, overload set, template, even a variable)?
//   valid_<hook><T>     can that member be used with the expected signature?
// Asking only the second would make a hook with a typo in its signature silently absent: the host would see NULL and
// the plugin would never hear of its events. Asking both turns that case into a static_assert that shows the
// expected signature.
#pragma once

#include <concepts>
#include <cstdint>
#include <type_traits>

#include "cim/event.hpp"
#include "cim/manifest.hpp"
#include "cim/plugin.hpp"

namespace cim::detail {

// "Does T declare a member named X?" without knowing its type: in a class deriving from both T and a probe that
// declares X, naming X is ambiguous exactly when T declares one too. That sees overload sets and templates, which
// `&T::X` cannot name. A final class cannot be derived from, so for it we settle for `&T::X` (a single, non-template
// member) or the expected signature.
struct on_start_probe { void on_start(); };
struct on_event_probe { void on_event(); };
struct on_timer_probe { void on_timer(); };
struct on_stop_probe { void on_stop(); };
template <class T> struct on_start_mix : T, on_start_probe {};
template <class T> struct on_event_mix : T, on_event_probe {};
template <class T> struct on_timer_mix : T, on_timer_probe {};
template <class T> struct on_stop_mix : T, on_stop_probe {};

// The expected signatures. The member pointer cast picks the matching overload and accepts an inherited hook; a
// `noexcept` hook converts, a `const` one is checked by the second alternative. An inaccessible hook fails, which the
// static_assert message mentions ("public").
template <class T>
concept valid_on_start = requires { static_cast<void (T::*)()>(&T::on_start); } ||
                         requires { static_cast<void (T::*)() const>(&T::on_start); };
template <class T>
concept valid_on_event = requires { static_cast<void (T::*)(const Event&)>(&T::on_event); } ||
                         requires { static_cast<void (T::*)(const Event&) const>(&T::on_event); };
template <class T>
concept valid_on_timer = requires { static_cast<void (T::*)(std::uint64_t)>(&T::on_timer); } ||
                         requires { static_cast<void (T::*)(std::uint64_t) const>(&T::on_timer); };
template <class T>
concept valid_on_stop = requires { static_cast<void (T::*)()>(&T::on_stop); } ||
                        requires { static_cast<void (T::*)() const>(&T::on_stop); };

// Short-circuiting `||`/`&&` of constraints keeps the *_mix<T> of a final T from ever being instantiated.
template <class T>
concept declares_on_start = std::is_class_v<T> &&
                            ((std::is_final_v<T> && (requires { &T::on_start; } || valid_on_start<T>)) ||
                             (!std::is_final_v<T> && !requires { &on_start_mix<T>::on_start; }));
template <class T>
concept declares_on_event = std::is_class_v<T> &&
                            ((std::is_final_v<T> && (requires { &T::on_event; } || valid_on_event<T>)) ||
                             (!std::is_final_v<T> && !requires { &on_event_mix<T>::on_event; }));
template <class T>
concept declares_on_timer = std::is_class_v<T> &&
                            ((std::is_final_v<T> && (requires { &T::on_timer; } || valid_on_timer<T>)) ||
                             (!std::is_final_v<T> && !requires { &on_timer_mix<T>::on_timer; }));
template <class T>
concept declares_on_stop = std::is_class_v<T> &&
                           ((std::is_final_v<T> && (requires { &T::on_stop; } || valid_on_stop<T>)) ||
                            (!std::is_final_v<T> && !requires { &on_stop_mix<T>::on_stop; }));

/// `static cim::Manifest manifest()` (a non-static member cannot be called as T::manifest() here).
template <class T>
concept has_manifest = requires {
    { T::manifest() } -> std::convertible_to<Manifest>;
};

/// Every static check CIM_PLUGIN(T) makes, each with a message that says what to write. Returns true so that it can
/// sit in a static_assert of its own; the useful failures are the ones inside.
template <class T>
consteval bool check_plugin_class() {
    static_assert(std::is_class_v<T>, "CIM_PLUGIN(Class): Class must be a class type");
    static_assert(std::derived_from<T, Plugin>, "CIM_PLUGIN(Class): Class must derive publicly from cim::Plugin");
    static_assert(has_manifest<T>,
                  "CIM_PLUGIN(Class): Class must declare a public `static cim::Manifest manifest();`");
    static_assert(std::is_constructible_v<T, const PluginContext&> && !std::is_abstract_v<T>,
                  "CIM_PLUGIN(Class): Class must be a concrete class with a public constructor "
                  "`explicit Class(const cim::PluginContext& context);`");
    static_assert(!declares_on_start<T> || valid_on_start<T>,
                  "CIM_PLUGIN(Class): `on_start` has the wrong signature; expected a public "
                  "`void on_start();` (may be const and/or noexcept). Hooks return void and signal failure by throwing.");
    static_assert(!declares_on_event<T> || valid_on_event<T>,
                  "CIM_PLUGIN(Class): `on_event` has the wrong signature; expected a public "
                  "`void on_event(const cim::Event& event);` (may be const and/or noexcept). "
                  "Hooks return void and signal failure by throwing.");
    static_assert(!declares_on_timer<T> || valid_on_timer<T>,
                  "CIM_PLUGIN(Class): `on_timer` has the wrong signature; expected a public "
                  "`void on_timer(std::uint64_t token);` (may be const and/or noexcept). "
                  "Hooks return void and signal failure by throwing.");
    static_assert(!declares_on_stop<T> || valid_on_stop<T>,
                  "CIM_PLUGIN(Class): `on_stop` has the wrong signature; expected a public "
                  "`void on_stop();` (may be const and/or noexcept). Hooks return void and signal failure by throwing.");
    return true;
}

}  // namespace cim::detail
