/*
 * cim/abi.h — the C ABI between the cimrt host and a plugin shared object.
 *
 * This is the only contract a plugin binary and the runtime share. It is pure C (C99, standard headers only) so that
 * a plugin built by another compiler, or against another C++ standard library, keeps loading as cimrt evolves.
 * Most plugin authors never touch it directly: the header-only C++ layer (cim/sdk.hpp) is built on top of it.
 *
 * Three kinds of names live here:
 *   - types, `cim_*_t`: plain data that crosses the boundary (strings, events, the manifest, the two tables);
 *   - hooks the PLUGIN implements: the function pointers of `cim_plugin_t`, reached through the one exported symbol
 *     `cim_plugin_entry`;
 *   - callbacks the HOST implements: the function pointers of `cim_host_t`, handed to the plugin when it is created.
 *
 * Rules that hold for everything below:
 *   - Every struct that crosses starts with `uint32_t struct_size` (the sizeof the writer compiled against). Fields
 *     are only ever appended. A reader zero-fills its own copy, copies min(struct_size, its sizeof), and reads a field
 *     only when `offsetof(field) + sizeof(field) <= struct_size`. So an older plugin works with a newer host and a
 *     host ignores fields a newer writer appended.
 *   - No C++ type, exception, RTTI or allocator crosses. Whoever allocates frees.
 *   - Strings are `cim_str_t` views (pointer + length, not NUL-terminated unless stated) valid only for the duration of
 *     the call that received them; copy what you keep. Manifest strings are NUL-terminated and static.
 *   - Nothing here assumes a shared address space beyond a single call: no pointer into host state is kept across
 *     calls, so the same plugin can later be hosted out of process.
 *   - Return codes are `cim_rc_t`; a failing plugin hook explains itself through `last_error`.
 *
 * Versioning: see cim/version.h. Every symbol says the ABI version that introduced it ("Since").
 */
#ifndef CIM_ABI_H
#define CIM_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "cim/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------------------------------
 * Export and calling helpers
 * ------------------------------------------------------------------------------------------------------------------ */

/** Marks the one symbol a plugin exports; plugins are built with -fvisibility=hidden. Since 1.0. */
#if defined(_WIN32)
#define CIM_PLUGIN_EXPORT __declspec(dllexport)
#else
#define CIM_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/** The name of the exported entry symbol, for loaders. Since 1.0. */
#define CIM_PLUGIN_ENTRY_SYMBOL "cim_plugin_entry"

/* ------------------------------------------------------------------------------------------------------------------
 * Types
 * ------------------------------------------------------------------------------------------------------------------ */

/**
 * A string view: `size` bytes at `data`, not necessarily NUL-terminated. `data` may be NULL only when `size` is 0.
 * OWNERSHIP: borrowed; valid for the duration of the call it was passed to or returned from. Since 1.0.
 */
typedef struct cim_str_t {
    const char* data;
    size_t size;
} cim_str_t;

/**
 * Return codes, carried as int32_t so the enum's size never matters. Since 1.0.
 *   CIM_OK            success.
 *   CIM_ERROR         a failure; the callee's last-error text says what.
 *   CIM_BUSY          (host publish) the target shard's queue is full: nothing was accepted, try again later.
 *   CIM_INVALID       the argument broke a rule (malformed event, unknown name, missing id); last-error says which.
 *   CIM_NOT_DECLARED  (host publish) the plugin published an event its manifest does not list under `publishes`.
 *   CIM_STOPPED       (host publish) the runtime is stopping and accepts no new events.
 */
typedef int32_t cim_rc_t;
#define CIM_OK 0
#define CIM_ERROR 1
#define CIM_BUSY 2
#define CIM_INVALID 3
#define CIM_NOT_DECLARED 4
#define CIM_STOPPED 5

/**
 * The CIMEvent type, fixed per event name by the catalogue. 0 means "not given" in an event a plugin publishes: the
 * host fills it from the catalogue. Since 1.0.
 */
typedef uint32_t cim_event_type_t;
#define CIM_EVENT_TYPE_UNSET 0
#define CIM_EVENT_TYPE_ACTIVITY 1
#define CIM_EVENT_TYPE_SUGGESTION 2
#define CIM_EVENT_TYPE_MESSAGE 3
#define CIM_EVENT_TYPE_NOTIFICATION 4
#define CIM_EVENT_TYPE_CALL 5

/** Who emitted an event. 0 means "not given". Since 1.0. */
typedef uint32_t cim_emitter_type_t;
#define CIM_EMITTER_UNSET 0
#define CIM_EMITTER_CUSTOMER 1
#define CIM_EMITTER_AGENT 2
#define CIM_EMITTER_BOT 3
#define CIM_EMITTER_APP 4
#define CIM_EMITTER_SYSTEM 5
#define CIM_EMITTER_CONNECTOR 6

/** Log levels for `cim_host_t::log`. Since 1.0. */
typedef int32_t cim_log_level_t;
#define CIM_LOG_TRACE 0
#define CIM_LOG_DEBUG 1
#define CIM_LOG_INFO 2
#define CIM_LOG_WARN 3
#define CIM_LOG_ERROR 4

/**
 * A CIMEvent as it crosses the boundary: the typed header plus the raw JSON text of `data`.
 * An empty view means "absent". When a plugin publishes, `id`, `type` and `timestamp_ms` may be left empty/0 and the
 * host fills them; when the host delivers, every header field the event has is set.
 * OWNERSHIP: every view is borrowed for the duration of the call (`on_event` or `publish`). Since 1.0.
 */
typedef struct cim_event_t {
    uint32_t struct_size;           /* sizeof(cim_event_t) as the writer knew it */
    cim_str_t id;                   /* unique event id */
    cim_str_t name;                 /* catalogue name, e.g. "CUSTOMER_MESSAGE", or a custom "vendor.NAME" */
    cim_event_type_t type;          /* CIM_EVENT_TYPE_* */
    int64_t timestamp_ms;           /* ms since the Unix epoch; 0 = let the host stamp it */
    cim_str_t conversation_id;
    cim_str_t channel_session_id;
    cim_str_t customer_id;
    cim_str_t emitter_id;
    cim_emitter_type_t emitter_type; /* CIM_EMITTER_* */
    cim_str_t emitter_name;
    cim_str_t refers_to;            /* for updates (reaction, modification, delivery): the updated activity's id */
    cim_str_t data_json;            /* the payload as JSON text (object, array, ...); empty = no payload */
} cim_event_t;

/**
 * A custom event a plugin defines, registered in the catalogue when the plugin loads. `name` must be namespaced
 * "vendor.NAME"; a clash with a catalogue name or with another plugin's definition of another type fails the load.
 * OWNERSHIP: static, NUL-terminated strings owned by the plugin library. Since 1.0.
 */
typedef struct cim_custom_event_t {
    uint32_t struct_size;
    const char* name;               /* "vendor.NAME" */
    cim_event_type_t type;          /* CIM_EVENT_TYPE_*, never UNSET */
    const char* description;        /* one line for `cimrt events`; may be NULL */
} cim_custom_event_t;

/**
 * What a plugin is and which events it exchanges. The runtime validates it at load and wires plugins from it.
 * OWNERSHIP: static; owned by the plugin library and valid for as long as the library is loaded. Since 1.0.
 */
typedef struct cim_manifest_t {
    uint32_t struct_size;
    const char* name;               /* unique plugin name, [a-z0-9_-]+, e.g. "channel" */
    const char* version;            /* the plugin's own version, e.g. "1.2.0" */
    const char* description;        /* one line; may be NULL */
    const char* const* publishes;   /* event names the plugin may publish */
    size_t publishes_count;
    const char* const* consumes;    /* event names delivered to `on_event` */
    size_t consumes_count;
    const cim_custom_event_t* const* custom_events; /* events this plugin defines; may be NULL when count is 0 */
    size_t custom_events_count;
    const char* config_schema_json; /* JSON Schema of the plugin's config table; NULL = accepts no keys */
} cim_manifest_t;

/** Opaque handle to the host's per-plugin context. Since 1.0. */
typedef struct cim_host_ctx_t cim_host_ctx_t;

/** Opaque handle to one plugin instance, created by `cim_plugin_t::create`. Since 1.0. */
typedef struct cim_instance_t cim_instance_t;

/* ------------------------------------------------------------------------------------------------------------------
 * Callbacks the HOST implements
 * ------------------------------------------------------------------------------------------------------------------ */

/**
 * The host's services, handed to `create`. The table and `ctx` stay valid until `destroy` returns.
 * Every callback may be called from any thread, concurrently.
 * Since 1.0.
 */
typedef struct cim_host_t {
    uint32_t struct_size;
    /* The host's uniform context; pass it back as the first argument of every callback. */
    cim_host_ctx_t* ctx;

    /**
     * publish — hand an event to the runtime.
     * Caller: the plugin, from any thread, at any time between `start` and the return of `stop` (also from inside
     *   `on_event`/`on_timer`). Required: yes (the host always provides it).
     * @param ctx    the `ctx` field of this table.
     * @param event  the event; `name` must be listed in the manifest's `publishes`; id, type, timestamp may be empty.
     * @return CIM_OK when accepted (it will be tracked, stored and delivered); CIM_BUSY when the conversation's shard
     *   is full (nothing was accepted: retry later or report back-pressure upstream); CIM_INVALID for a malformed event;
     *   CIM_NOT_DECLARED for an event the manifest does not publish; CIM_STOPPED when the runtime is stopping.
     *   For every code but CIM_OK, `last_error` on the same thread explains.
     * OWNERSHIP: the host copies what it keeps; `event` and its views may be freed when publish returns.
     * Since 1.0.
     */
    cim_rc_t (*publish)(cim_host_ctx_t* ctx, const cim_event_t* event);

    /**
     * schedule_timer — ask for `on_timer(token)` after `delay_ms` milliseconds of the runtime's clock.
     * Caller: the plugin, any thread, between `start` and `stop`. Required: yes.
     * @param delay_ms  delay on the runtime's clock (a manual clock in tests); 0 fires as soon as possible.
     * @param token     the plugin's own value, handed back to `on_timer`; several timers may share a token.
     * @return CIM_OK, or CIM_STOPPED when the runtime is stopping.
     * OWNERSHIP: nothing is borrowed. Since 1.0.
     */
    cim_rc_t (*schedule_timer)(cim_host_ctx_t* ctx, uint64_t delay_ms, uint64_t token);

    /**
     * cancel_timer — cancel every pending timer of this plugin scheduled with `token`.
     * Caller: the plugin, any thread. Required: yes.
     * @return CIM_OK (also when none was pending). A timer already firing may still be delivered.
     * Since 1.0.
     */
    cim_rc_t (*cancel_timer)(cim_host_ctx_t* ctx, uint64_t token);

    /**
     * log — write a line to the runtime's log, tagged with the plugin's name.
     * Caller: the plugin, any thread. Required: yes.
     * @param level    CIM_LOG_*.
     * @param message  the text; OWNERSHIP: borrowed for the call.
     * Since 1.0.
     */
    void (*log)(cim_host_ctx_t* ctx, cim_log_level_t level, cim_str_t message);

    /**
     * now_ms — the runtime's clock in ms since the Unix epoch (the same clock that stamps events and drives timers).
     * Caller: the plugin, any thread. Required: yes.
     * Since 1.0.
     */
    int64_t (*now_ms)(cim_host_ctx_t* ctx);

    /**
     * last_error — why the last host callback made on this thread failed.
     * Caller: the plugin, on the thread that got the failure, right after it. Required: yes.
     * @return a view of the message; empty when the last call succeeded.
     * OWNERSHIP: host-owned, valid until the next host callback on this thread.
     * Since 1.0.
     */
    cim_str_t (*last_error)(cim_host_ctx_t* ctx);
} cim_host_t;

/* ------------------------------------------------------------------------------------------------------------------
 * Hooks the PLUGIN implements
 * ------------------------------------------------------------------------------------------------------------------ */

/**
 * The plugin's table, returned by `cim_plugin_entry`. The host reads `struct_size` and the ABI version first and
 * refuses the library when the versions are incompatible (see cim/version.h).
 *
 * Threading: `create`, `start`, `stop`, `destroy` are called once each, in that order, from one control thread.
 * `on_event` and `on_timer` run on the runtime's worker threads: concurrently for different conversations, but never
 * concurrently for the same conversation, whose events arrive in publish order. A plugin therefore guards state it
 * shares across conversations.
 *
 * OWNERSHIP: the table is static in the plugin library and must stay valid while the library is loaded.
 * Since 1.0.
 */
typedef struct cim_plugin_t {
    uint32_t struct_size;           /* sizeof(cim_plugin_t) as the plugin was compiled */
    uint32_t abi_major;             /* CIM_ABI_VERSION_MAJOR the plugin was compiled against */
    uint32_t abi_minor;             /* CIM_ABI_VERSION_MINOR the plugin was compiled against */
    uint32_t abi_patch;             /* CIM_ABI_VERSION_PATCH the plugin was compiled against */

    /** The manifest. Required: yes (non-NULL). Since 1.0. */
    const cim_manifest_t* manifest;

    /**
     * create — build an instance with its configuration.
     * Caller: the host's control thread, once per configured plugin. Required: yes.
     * @param host         the host's callbacks; valid until `destroy` returns, so the instance may keep the pointer.
     * @param config_json  the plugin's config table as a JSON object, already checked against the manifest's schema.
     * @param out          receives the instance. On failure the plugin may still set it so that the host can read
     *                     `last_error(*out)`; the host then calls `destroy(*out)`.
     * @return CIM_OK, or an error code; the instance is not started on failure.
     * OWNERSHIP: `config_json` is borrowed for the call; the instance is the plugin's, freed by `destroy`.
     * Since 1.0.
     */
    cim_rc_t (*create)(const cim_host_t* host, cim_str_t config_json, cim_instance_t** out);

    /**
     * start — begin work (open sockets, schedule timers). Events may be published from here on.
     * Caller: the host's control thread, after every plugin is created and wired. Required: no (NULL = nothing to do).
     * @return CIM_OK, or an error code; a plugin that fails to start fails the runtime's start, naming the plugin.
     * Since 1.0.
     */
    cim_rc_t (*start)(cim_instance_t* instance);

    /**
     * on_event — an event the manifest consumes.
     * Caller: a worker thread; see the threading note above. Required: yes when `consumes_count` > 0.
     * @return CIM_OK, or an error code: that delivery alone is counted as failed and logged with the plugin's name,
     *   the event id and `last_error`; every other delivery goes on.
     * OWNERSHIP: `event` and its views are borrowed for the call.
     * Since 1.0.
     */
    cim_rc_t (*on_event)(cim_instance_t* instance, const cim_event_t* event);

    /**
     * on_timer — a timer scheduled with `cim_host_t::schedule_timer` is due.
     * Caller: a worker thread, possibly concurrently with `on_event`. Required: no (NULL = the plugin uses no timers).
     * @return as for `on_event`.
     * Since 1.0.
     */
    cim_rc_t (*on_timer)(cim_instance_t* instance, uint64_t token);

    /**
     * stop — stop taking outside input: close listeners, stop own threads, cancel timers.
     * Caller: the host's control thread, once, after `start` succeeded. Required: no.
     * After stop returns the host drains what it accepted: `on_event` may still be called for those events, and
     * `publish` keeps working until the drain completes, so replies to them are not lost. `destroy` follows.
     * Since 1.0.
     */
    cim_rc_t (*stop)(cim_instance_t* instance);

    /**
     * destroy — free the instance. No other hook is called on it afterwards.
     * Caller: the host's control thread, once for every instance `create` returned. Required: yes.
     * Since 1.0.
     */
    void (*destroy)(cim_instance_t* instance);

    /**
     * last_error — why the last hook that failed on this instance failed.
     * Caller: the host, on the thread that saw the failure, right after it. Required: yes.
     * @return a NUL-terminated message, or NULL.
     * OWNERSHIP: plugin-owned, valid until the next hook call on this instance from the same thread.
     * Since 1.0.
     */
    const char* (*last_error)(cim_instance_t* instance);
} cim_plugin_t;

/**
 * The one symbol a plugin exports (named by CIM_PLUGIN_ENTRY_SYMBOL).
 * Caller: the host's loader, once, right after the library is opened. Required: yes.
 * @return the plugin's static table; never NULL.
 * OWNERSHIP: the table is static in the library.
 * Since 1.0.
 */
typedef const cim_plugin_t* (*cim_plugin_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CIM_ABI_H */
