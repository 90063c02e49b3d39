/*
 * A plugin in plain C that keeps its state in the runtime (ABI 1.2): for every CUSTOMER_MESSAGE it counts the
 * conversation's messages in the conversation's scope and all messages in the plugin-wide scope, answers with a
 * BOT_MESSAGE {"count": N, "total": M}, and moves a persistent timer (token 1, one minute after the message) that
 * answers {"text": "reminder"} in the last conversation when it fires. Nothing is kept in the plugin's memory, so a
 * restart (or a reload) continues the counts and still fires the reminder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cim/abi.h"

#define REMINDER_TOKEN 1
#define REMINDER_DELAY_MS 60000

typedef struct state_instance {
    const cim_host_t* host;
    char last_error[256];
} state_instance;

static cim_str_t str(const char* text) {
    cim_str_t s;
    s.data = text;
    s.size = strlen(text);
    return s;
}

static void keep_error(state_instance* self, const char* what) {
    cim_str_t why = self->host->last_error(self->host->ctx);
    int n = snprintf(self->last_error, sizeof self->last_error, "%s: %.*s", what, (int)why.size,
                     why.data != NULL ? why.data : "");
    (void)n;
}

/* Receives a value into a NUL-terminated buffer of 64 bytes (counts and ids are short). */
static void receive_small(void* user, cim_str_t bytes) {
    char* out = (char*)user;
    size_t n = bytes.size < 63 ? bytes.size : 63;
    memcpy(out, bytes.data, n);
    out[n] = '\0';
}

static void ignore_json(void* user, cim_str_t json) {
    (void)user;
    (void)json;
}

/* Reads a decimal counter; 0 when absent. Returns CIM_OK or the host's error code. */
static cim_rc_t read_count(state_instance* self, cim_str_t scope, const char* key, long* out) {
    char buffer[64] = "";
    cim_rc_t rc = self->host->state_get(self->host->ctx, scope, str(key), receive_small, buffer);
    if (rc == CIM_NOT_FOUND) {
        *out = 0;
        return CIM_OK;
    }
    if (rc != CIM_OK) return rc;
    *out = strtol(buffer, NULL, 10);
    return CIM_OK;
}

static cim_rc_t write_count(state_instance* self, cim_str_t scope, const char* key, long value) {
    char buffer[32];
    snprintf(buffer, sizeof buffer, "%ld", value);
    return self->host->state_put(self->host->ctx, scope, str(key), str(buffer));
}

static cim_rc_t answer(state_instance* self, cim_str_t conversation, const char* data) {
    static const char bot_message[] = "BOT_MESSAGE";
    cim_event_t reply;
    memset(&reply, 0, sizeof reply);
    reply.struct_size = sizeof reply;
    reply.name = str(bot_message);
    reply.conversation_id = conversation;
    reply.emitter_type = CIM_EMITTER_BOT;
    reply.emitter_id = str("c_state");
    reply.data_json = str(data);
    return self->host->publish(self->host->ctx, &reply);
}

static cim_rc_t state_create(const cim_host_t* host, cim_str_t config_json, cim_instance_t** out) {
    (void)config_json;
    state_instance* self = (state_instance*)calloc(1, sizeof *self);
    if (self == NULL) return CIM_ERROR;
    self->host = host;
    *out = (cim_instance_t*)self;
    /* A host older than 1.2 has no state callbacks: say so instead of crashing on a NULL pointer later. */
    if (host->struct_size < offsetof(cim_host_t, get_conversation_state) + sizeof host->get_conversation_state) {
        snprintf(self->last_error, sizeof self->last_error, "needs a host with ABI 1.2 (plugin state)");
        return CIM_ERROR;
    }
    return CIM_OK;
}

static cim_rc_t state_on_event(cim_instance_t* instance, const cim_event_t* event) {
    state_instance* self = (state_instance*)instance;
    const cim_str_t plugin_wide = {NULL, 0};
    long count = 0;
    long total = 0;
    char data[96];
    /* The cheap query: the runtime tracked the conversation before delivering its event. */
    if (self->host->get_conversation_state(self->host->ctx, event->conversation_id, ignore_json, NULL) != CIM_OK) {
        keep_error(self, "get_conversation_state");
        return CIM_ERROR;
    }
    if (read_count(self, event->conversation_id, "count", &count) != CIM_OK ||
        read_count(self, plugin_wide, "total", &total) != CIM_OK) {
        keep_error(self, "state_get");
        return CIM_ERROR;
    }
    ++count;
    ++total;
    if (write_count(self, event->conversation_id, "count", count) != CIM_OK ||
        write_count(self, plugin_wide, "total", total) != CIM_OK ||
        self->host->state_put(self->host->ctx, plugin_wide, str("last_conversation"), event->conversation_id) !=
            CIM_OK) {
        keep_error(self, "state_put");
        return CIM_ERROR;
    }
    if (self->host->schedule_timer_at(self->host->ctx, plugin_wide, self->host->now_ms(self->host->ctx) +
                                      REMINDER_DELAY_MS, REMINDER_TOKEN) != CIM_OK) {
        keep_error(self, "schedule_timer_at");
        return CIM_ERROR;
    }
    snprintf(data, sizeof data, "{\"count\":%ld,\"total\":%ld}", count, total);
    if (answer(self, event->conversation_id, data) != CIM_OK) {
        keep_error(self, "publish");
        return CIM_ERROR;
    }
    return CIM_OK;
}

static cim_rc_t state_on_timer(cim_instance_t* instance, uint64_t token) {
    state_instance* self = (state_instance*)instance;
    const cim_str_t plugin_wide = {NULL, 0};
    char conversation[64] = "";
    if (token != REMINDER_TOKEN) return CIM_OK;
    if (self->host->state_get(self->host->ctx, plugin_wide, str("last_conversation"), receive_small, conversation) !=
        CIM_OK) {
        return CIM_OK; /* nothing to remind of */
    }
    if (answer(self, str(conversation), "{\"text\":\"reminder\"}") != CIM_OK) {
        keep_error(self, "publish");
        return CIM_ERROR;
    }
    return CIM_OK;
}

static void state_destroy(cim_instance_t* instance) { free(instance); }

static const char* state_last_error(cim_instance_t* instance) {
    state_instance* self = (state_instance*)instance;
    if (self == NULL) return "out of memory";
    return self->last_error[0] != '\0' ? self->last_error : NULL;
}

static const char* const state_publishes[] = {"BOT_MESSAGE"};
static const char* const state_consumes[] = {"CUSTOMER_MESSAGE"};

static const cim_manifest_t state_manifest = {
    sizeof(cim_manifest_t), "c_state", "0.1.0", "counts messages in runtime-kept state (plain C fixture, ABI 1.2)",
    state_publishes, 1, state_consumes, 1, NULL, 0, NULL,
};

static const cim_plugin_t state_table = {
    sizeof(cim_plugin_t), CIM_ABI_VERSION_MAJOR, CIM_ABI_VERSION_MINOR, CIM_ABI_VERSION_PATCH, &state_manifest,
    state_create, NULL, state_on_event, state_on_timer, NULL, state_destroy, state_last_error,
};

CIM_PLUGIN_EXPORT const cim_plugin_t* cim_plugin_entry(void) { return &state_table; }
