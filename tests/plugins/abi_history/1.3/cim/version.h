/*
 * cim/version.h — the version of the cimrt plugin ABI.
 *
 * One place for the numbers; the compatibility rule that uses them lives in one function of the host's loader
 * (core/src/plugin/abi_compatibility.cpp) and reads:
 *
 *     a plugin loads when its MAJOR equals the host's MAJOR and its MINOR is not newer than the host's MINOR.
 *
 * MAJOR changes only when a released signature or struct layout changes (never, we hope).
 * MINOR grows when fields or hooks are appended; older plugins keep loading.
 * PATCH marks documentation or behaviour fixes that change no layout; it never affects loading.
 *
 * History:
 *   1.0  the first ABI: plugin table, manifest, host callbacks publish, timers, log, now_ms, last_error.
 *   1.1  host callbacks get_conversation and get_customer_journey appended to cim_host_t (read tracked state).
 *   1.2  plugin state kept by the runtime (state_put/get/delete/list/scopes), persistent timers (schedule_timer_at)
 *        and the cheap conversation query (get_conversation_state) appended to cim_host_t; rc CIM_NOT_FOUND.
 *   1.3  asynchronous publish (publish_async, cim_publish_done_fn: the outcome arrives once the event is as
 *        durable as promised) and batch admission (publish_many) appended to cim_host_t.
 */
#ifndef CIM_VERSION_H
#define CIM_VERSION_H

/** The ABI major version: plugins built against another major are refused. Since 1.0. */
#define CIM_ABI_VERSION_MAJOR 1
/** The ABI minor version: a plugin built against a newer minor than the host's is refused. Since 1.0. */
#define CIM_ABI_VERSION_MINOR 3
/** The ABI patch level: informational only. Since 1.0. */
#define CIM_ABI_VERSION_PATCH 0
/** "MAJOR.MINOR.PATCH" as a string literal, for logs and `--version`. Since 1.0. */
#define CIM_ABI_VERSION_STRING "1.3.0"

#endif /* CIM_VERSION_H */
