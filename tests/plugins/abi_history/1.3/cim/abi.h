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
 *     the call that received them; copy what you keep. Manifest strings are NUL-terminated and static. All text is
 *     UTF-8; `data_json` and `config_json` are UTF-8 JSON.
 *   - Nothing here assumes a shared address space beyond a single call: no pointer into host state is kept across
 *     calls, so the same plugin can later be hosted out of process.
 *   - Return codes are `cim_rc_t`; a failing plugin hook explains itself through `last_error`.
 *
 * Versioning: see cim/version.h. Every symbol says the ABI version that introduced it ("Since"); a field appended to
 * a struct later carries its own "Since".
 *
 * Language linkage: the function-pointer types below are declared inside `extern "C"`. A C++ plugin may assign
 * `static` member functions to them, as GCC and Clang treat C and C++ linkage alike (Falco's C++ SDK relies on the
 * same); the header-only C++ layer does exactly that.
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
 *   CIM_NOT_FOUND     (host state_get) no entry under that key. Since 1.2.
 */
typedef int32_t cim_rc_t;
#define CIM_OK 0
#define CIM_ERROR 1
#define CIM_BUSY 2
#define CIM_INVALID 3
#define CIM_NOT_DECLARED 4
#define CIM_STOPPED 5
#define CIM_NOT_FOUND 6

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

/**
 * Receives a JSON document from the host during a query callback.
 * @param user  the `user` pointer given to the query.
 * @param json  the document; OWNERSHIP: borrowed, valid only during this call: copy what you keep.
 * Since 1.1.
 */
typedef void (*cim_receive_json_fn)(void* user, cim_str_t json);

/**
 * Receives bytes from the host during a state callback (state_get, state_scopes).
 * @param user   the `user` pointer given to the call.
 * @param bytes  the value; OWNERSHIP: borrowed, valid only during this call: copy what you keep.
 * Since 1.2.
 */
typedef void (*cim_receive_bytes_fn)(void* user, cim_str_t bytes);

/**
 * Receives one state entry from the host during `state_list`.
 * @param user   the `user` pointer given to the call.
 * @param key    the entry's key; @param value its bytes. OWNERSHIP: both borrowed, valid only during this call.
 * Since 1.2.
 */
typedef void (*cim_receive_entry_fn)(void* user, cim_str_t key, cim_str_t value);

/** Opaque handle to the host's per-plugin context. Since 1.0. */
typedef struct cim_host_ctx_t cim_host_ctx_t;

/** Opaque handle to one plugin instance, created by `cim_plugin_t::create`. Since 1.0. */
typedef struct cim_instance_t cim_instance_t;

/* ------------------------------------------------------------------------------------------------------------------
 * Callbacks the HOST implements
 * ------------------------------------------------------------------------------------------------------------------ */

/**
 * Receives the outcome of one `publish_async`, exactly once.
 * @param user      publish_async's `user`, unchanged.
 * @param rc        CIM_OK: accepted, and as durable as store.sync promises. Otherwise what `publish` would have
 *   returned: CIM_BUSY, CIM_INVALID, CIM_NOT_DECLARED, CIM_STOPPED, or CIM_ERROR when the store could not write it.
 * @param event_id  the event's id (the one given, or the one the runtime made) on CIM_OK; empty otherwise.
 * @param error     why, on every code but CIM_OK; empty on CIM_OK.
 * OWNERSHIP: both views are the host's, valid only during the call. Since 1.3.
 */
typedef void (*cim_publish_done_fn)(void* user, cim_rc_t rc, cim_str_t event_id, cim_str_t error);

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

    /* ---- appended in 1.1: a plugin checks that struct_size covers a callback before calling it (the C++ layer does;
     * a 1.0 host has none of these) ---- */

    /**
     * get_conversation — the conversation as the runtime tracks it, with its timeline.
     * Caller: the plugin, any thread, between `start` and the end of the drain after `stop`. Required: yes (1.1+).
     * @param conversation_id  the conversation.
     * @param receive          called once, before this returns, with the JSON document
     *   {id, state, customerId, channelSessions[{id, state, interactive}], participants[{id, type, role, active}],
     *    activities[{id, name, timestamp, emitter, data, updates[...]}], unresolvedUpdates[...]}
     *   (README: "inspect --json"). It reflects every event accepted before the call.
     * @param user             handed to `receive` unchanged.
     * @return CIM_OK; CIM_INVALID when the runtime knows no such conversation (receive is not called); CIM_ERROR when
     *   the store cannot be read (last_error says why).
     * OWNERSHIP: the document is the host's, valid only inside `receive`.
     * Since 1.1.
     */
    cim_rc_t (*get_conversation)(cim_host_ctx_t* ctx, cim_str_t conversation_id, cim_receive_json_fn receive,
                                 void* user);

    /**
     * get_customer_journey — every activity of a customer across channels and conversations, in time order.
     * Caller: the plugin, any thread, as for get_conversation. Required: yes (1.1+).
     * @param customer_id  the customer.
     * @param receive      called once, before this returns, with {customerId, activities[{id, name, conversationId,
     *   timestamp, emitter, data, updates[]}]} (activities empty for an unknown customer).
     * @return CIM_OK, or CIM_ERROR when the store cannot be read.
     * OWNERSHIP: as for get_conversation.
     * Since 1.1.
     */
    cim_rc_t (*get_customer_journey)(cim_host_ctx_t* ctx, cim_str_t customer_id, cim_receive_json_fn receive,
                                     void* user);

    /* ---- appended in 1.2: plugin state kept by the runtime, persistent timers, the cheap conversation query ----
     *
     * Plugin state. Each plugin has its own entries — no plugin reads another's — in SCOPES: a conversation id, or the
     * empty scope for the plugin as a whole. A conversation's entries live with the conversation (its partition) and
     * are dropped when the runtime evicts the closed conversation; plugin-wide entries live until deleted. Keys are
     * UTF-8 text without NUL, 1..1024 bytes; values are any bytes up to 1 MiB (the C++ layer offers JSON).
     *
     * Durability: writes go to the runtime's store, with the same durability as events (store.sync). Writes made
     *   inside one `on_event` or `on_timer` call form one unit, committed together when the hook returns — after a
     *   crash either all of them are there or none is. With sync = "full" the runtime waits for that commit before
     *   the worker goes on (so a crash after the hook returned never loses its writes); a write made outside a hook
     *   (the plugin's own thread) is its own unit and, with "full", returns once it is on disk.
     * Visibility: a write is visible at once to every later read (also from the same hook), so the next delivery of
     *   the same conversation sees it.
     * Refusal: while the store cannot write (a full disk) writes return CIM_ERROR and change nothing; reads work.
     * Cost: reads and writes are a lookup in the runtime's memory (O(log n) in the plugin's entries of that scope's
     *   partition, under a reader/writer lock of that partition — no global lock) plus, for a write, one copy into
     *   the store's writer queue; no disk I/O on the caller's thread except the wait of sync = "full" described above.
     *   The state lives in memory for the conversations it belongs to: keep values small (a task, a few ids, a short
     *   recent history), not transcripts — the runtime keeps those.
     */

    /**
     * state_put — create or replace the entry `key` of `scope`.
     * Caller: the plugin, any thread, between `start` and the end of the drain after `stop`. Required: yes (1.2+).
     * @param scope  a conversation id, or empty for the plugin as a whole.
     * @param key    1..1024 bytes of UTF-8 without NUL.
     * @param value  the bytes to keep, at most 1 MiB; may be empty.
     * @return CIM_OK; CIM_INVALID for a bad key or an oversized value; CIM_ERROR when the store cannot write
     *   (nothing changed; last_error says why).
     * OWNERSHIP: the host copies all three. Since 1.2.
     */
    cim_rc_t (*state_put)(cim_host_ctx_t* ctx, cim_str_t scope, cim_str_t key, cim_str_t value);

    /**
     * state_get — read the entry `key` of `scope`.
     * Caller: as for state_put. Required: yes (1.2+).
     * @param receive  called once, before this returns, with the value, when there is one.
     * @return CIM_OK; CIM_NOT_FOUND when there is no such entry (receive is not called); CIM_INVALID for a bad key.
     * OWNERSHIP: the value is the host's, valid only inside `receive`. Since 1.2.
     */
    cim_rc_t (*state_get)(cim_host_ctx_t* ctx, cim_str_t scope, cim_str_t key, cim_receive_bytes_fn receive,
                          void* user);

    /**
     * state_delete — delete the entry `key` of `scope`.
     * Caller: as for state_put. Required: yes (1.2+).
     * @return CIM_OK, also when there was none; CIM_INVALID for a bad key; CIM_ERROR when the store cannot write.
     * Since 1.2.
     */
    cim_rc_t (*state_delete)(cim_host_ctx_t* ctx, cim_str_t scope, cim_str_t key);

    /**
     * state_list — every entry of `scope` whose key starts with `prefix` (empty: all), in key (byte) order.
     * Caller: as for state_put. Required: yes (1.2+).
     * @param receive  called once per entry, before this returns. It must not call back into the state callbacks.
     * @return CIM_OK (also when there are none). Cost: O(log n + entries listed), the partition's read lock held
     *   for the walk. Since 1.2.
     */
    cim_rc_t (*state_list)(cim_host_ctx_t* ctx, cim_str_t scope, cim_str_t prefix, cim_receive_entry_fn receive,
                           void* user);

    /**
     * state_scopes — every non-empty scope (conversation id) in which this plugin has at least one entry, in no
     *   particular order: what a plugin walks in `start` to pick up its work after a restart or a reload.
     * Caller: as for state_put. Required: yes (1.2+).
     * @param receive  called once per scope, before this returns; it must not call back into the state callbacks.
     * @return CIM_OK. Cost: O(this plugin's entries), every partition's read lock taken in turn. Since 1.2.
     */
    cim_rc_t (*state_scopes)(cim_host_ctx_t* ctx, cim_receive_bytes_fn receive, void* user);

    /**
     * schedule_timer_at — a PERSISTENT timer: `on_timer(token)` at `deadline_ms` on the runtime's clock, surviving a
     *   restart and a reload (when it fell due while the runtime or the plugin was down, it fires right after the
     *   plugin's next `start` returns). One per (scope, token): scheduling again replaces the deadline. Kept in the
     *   plugin's state of `scope` (so a conversation's timers go with it); forgotten once `on_timer` for it returned
     *   CIM_OK, in the same unit as that hook's writes (a crash before then fires it again: at least once), or when
     *   `cancel_timer(token)` is called — so a plugin must not cancel its persistent timers in `stop`: the host
     *   disarms them itself and arms them again at the next start. It never calls `on_timer` before `start` returned.
     *   Use a token for persistent or for ordinary timers, not both.
     * Caller: as for state_put. Required: yes (1.2+).
     * @param scope        a conversation id, or empty for the plugin as a whole.
     * @param deadline_ms  ms since the Unix epoch on the runtime's clock (`now_ms`); a past deadline fires at once.
     * @return CIM_OK; CIM_ERROR when the store cannot write; CIM_STOPPED when the runtime is stopping.
     * Cost: a state write plus a timer-queue insert (O(log timers)). Since 1.2.
     */
    cim_rc_t (*schedule_timer_at)(cim_host_ctx_t* ctx, cim_str_t scope, int64_t deadline_ms, uint64_t token);

    /**
     * get_conversation_state — the conversation's tracked state without its timeline: {id, state, customerId,
     *   channelSessions[{id, state, interactive}], participants[{id, type, role, active}]}.
     *   What a plugin asks on every message instead of `get_conversation`.
     * Caller: the plugin, any thread, as for get_conversation. Required: yes (1.2+).
     * @return CIM_OK; CIM_INVALID when the runtime tracks no such conversation in memory (receive is not called).
     * Cost: a lookup in the tracker's memory under the conversation's shard lock and one JSON serialisation of a
     *   few hundred bytes; no store access. Since 1.2.
     */
    cim_rc_t (*get_conversation_state)(cim_host_ctx_t* ctx, cim_str_t conversation_id, cim_receive_json_fn receive,
                                       void* user);

    /* ---- appended in 1.3: asynchronous publish ---- */

    /**
     * publish_async — publish without waiting for durability; the outcome arrives in `done`.
     *   `publish` with store.sync = "full" blocks its caller until the event's commit is on disk, so a plugin that
     *   serves many clients from one thread commits one event per disk flush. With publish_async each caller hands the
     *   event over and goes on; events published meanwhile share the next commit, and each `done` says when its
     *   event is durable — the moment to acknowledge it to whoever sent it (the channel plugin answers HTTP then).
     * Caller: as for publish (any thread, between `start` and the end of the drain after `stop`). Required: yes (1.3+).
     * @param event  as for publish.
     * @param done   called exactly once with the outcome (see cim_publish_done_fn):
     *   - before publish_async returns, on the calling thread, when the outcome is known at once: every refusal
     *     (busy, invalid, not declared, stopped, the store failing), and every acceptance when store.sync is not
     *     "full" (then accepted means what publish's CIM_OK means);
     *   - otherwise later, on the runtime's store-writer thread, right after the commit that holds the event (CIM_OK)
     *     or the failure of that commit (CIM_ERROR: in doubt — kept and written once the store recovers, so a retry
     *     with the same event id is safe).
     *   `done` must be short and must not block: the next commit waits for it. It may call publish_async, the state
     *   callbacks, now_ms and log. State writes made in `done` form one unit committed with the store's next commit
     *   and, unlike other writes, are not waited for even with sync = "full" (the wait would be for the commit its
     *   own thread makes); a blocking `publish` or `publish_many` from it is refused with CIM_ERROR for the same
     *   reason, and nothing of it is accepted. Hand real work to your own thread. `done` may run after `stop`
     *   returned, while the runtime writes out what it accepted; never after `destroy`: the host waits for every
     *   outstanding completion before calling it.
     * @param user   handed to `done` unchanged.
     * @return CIM_OK when `done` will be (or already was) called; CIM_INVALID when `event` or `done` is NULL (`done`
     *   is not called).
     * OWNERSHIP: as for publish: the host copies the event before returning.
     * Cost: publish's admission (validation, a shard lock, one copy into the journal's queue) without its wait; with
     *   sync = "full", one completion record per event, released at its commit. Since 1.3.
     */
    cim_rc_t (*publish_async)(cim_host_ctx_t* ctx, const cim_event_t* event, cim_publish_done_fn done, void* user);

    /**
     * publish_many — publish `count` events in their order, as `count` publish calls would, but with one shard lock
     *   and at most one worker wake-up per shard the batch touches and, with store.sync = "full", one wait for the
     *   disk per shard: what a plugin that forwards a burst (a connector's batch, a replay) should call.
     * Caller: as for publish. Required: yes (1.3+).
     * @param events   `count` events, each as for publish.
     * @param count    how many; 0 does nothing and returns CIM_OK.
     * @param results  `count` codes the host fills: results[i] is what publish would have returned for events[i].
     *   Per conversation the accepted events are a prefix of its events in the batch: once one is refused (CIM_BUSY:
     *   a full shard or store back-pressure; CIM_ERROR: the store cannot write), the later ones of the same shard
     *   are refused CIM_BUSY too, so retrying the refused ones in order keeps every conversation's order.
     * @return CIM_OK when every event was accepted; otherwise the first refusal's code, and `last_error` on this
     *   thread explains that one ("event <i>: <why>").
     * OWNERSHIP: as for publish; `results` is the caller's. Cost: publish's per-event validation and journal copy;
     *   the lock, wake-up and disk wait once per shard instead of once per event. Since 1.3.
     */
    cim_rc_t (*publish_many)(cim_host_ctx_t* ctx, const cim_event_t* events, size_t count, cim_rc_t* results);
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
     * @param config_json  the plugin's config table as a JSON object text, already checked against the manifest's
     *                     schema and with its defaults filled in; "{}" when the table has no keys.
     * @param out          receives the instance. On failure the plugin may still set it so that the host can read
     *                     `last_error(*out)`; the host then calls `destroy(*out)`. When *out stays NULL the host reads
     *                     `last_error(NULL)` instead, and calls no `destroy`.
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
     * What it may do: publish (also into the same conversation), schedule timers, query the host, log. What it must
     *   not do: block. A worker delivers one event at a time, and the conversations of its shard wait behind it: a
     *   call running longer than the runtime's `slow_delivery` (default 5 s) is logged with the plugin, the event and
     *   the time so far, and counted; at stop, one still running after `stop_timeout` (default 10 s) makes the stop
     *   give up naming it (the process then exits non-zero). Slow work (a remote call) belongs on the plugin's own
     *   thread, publishing its result when done. A publish from here that answers CIM_BUSY must not be retried in a
     *   loop inside on_event: the shard it waits for may be this worker's own.
     * @return CIM_OK, or an error code: that delivery alone is counted as failed and logged with the plugin's name,
     *   the event id and `last_error`; every other delivery goes on.
     * With sync = "full", an event is delivered only once it is on disk. Events replayed from a journal
     *   (`cimrt journal --json | cimrt publish`) are never delivered: replay restores the record, it does not re-run
     *   the plugins.
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
     * last_error — why the last hook called on this instance, on this thread, failed.
     * Caller: the host, on the thread that saw the failure, right after it. Required: yes.
     * @param instance  the instance, or NULL to explain a `create` that failed without producing one.
     * @return a NUL-terminated message, or NULL when the last hook succeeded (every hook call clears it first).
     * OWNERSHIP: plugin-owned, valid until the next hook call on this instance from the same thread.
     * Since 1.0.
     */
    const char* (*last_error)(cim_instance_t* instance);
} cim_plugin_t;

/**
 * The one symbol a plugin exports (named by CIM_PLUGIN_ENTRY_SYMBOL).
 * Caller: the host's loader, once, right after the library is opened. Required: yes.
 * @return the plugin's static table; never NULL. A plugin that cannot describe itself (its manifest could not be
 *   built) returns its table with `manifest` NULL, and the host refuses to load it.
 * OWNERSHIP: the table is static in the library.
 * Since 1.0.
 */
typedef const cim_plugin_t* (*cim_plugin_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CIM_ABI_H */
