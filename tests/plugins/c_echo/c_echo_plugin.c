/*
 * A plugin written in plain C against cim/abi.h alone: it answers every CUSTOMER_MESSAGE with a BOT_MESSAGE in the
 * same conversation. Compiled several times with different definitions to exercise the loader's ABI rules:
 *   FIXTURE_NAME         the manifest name (a string literal)
 *   FIXTURE_ABI_MAJOR    the major it claims (default: the SDK's)
 *   FIXTURE_ABI_MINOR    the minor it claims (default: the SDK's)
 *   FIXTURE_EXTRA_FIELDS when defined, the table carries fields appended by a hypothetical newer SDK
 */
#include <stdlib.h>
#include <string.h>

#include "cim/abi.h"

#ifndef FIXTURE_ABI_MAJOR
#define FIXTURE_ABI_MAJOR CIM_ABI_VERSION_MAJOR
#endif
#ifndef FIXTURE_ABI_MINOR
#define FIXTURE_ABI_MINOR CIM_ABI_VERSION_MINOR
#endif

typedef struct echo_instance {
    const cim_host_t* host;
    char last_error[256];
} echo_instance;

static cim_rc_t echo_create(const cim_host_t* host, cim_str_t config_json, cim_instance_t** out) {
    (void)config_json;
    echo_instance* self = (echo_instance*)calloc(1, sizeof *self);
    if (self == NULL) return CIM_ERROR;
    self->host = host;
    *out = (cim_instance_t*)self;
    return CIM_OK;
}

static cim_rc_t echo_on_event(cim_instance_t* instance, const cim_event_t* event) {
    echo_instance* self = (echo_instance*)instance;
    static const char reply_data[] = "{\"text\":\"echo from C\"}";
    static const char bot_message[] = "BOT_MESSAGE";
    static const char bot_id[] = FIXTURE_NAME;
    cim_event_t reply;
    memset(&reply, 0, sizeof reply);
    reply.struct_size = sizeof reply;
    reply.name.data = bot_message;
    reply.name.size = sizeof bot_message - 1;
    reply.conversation_id = event->conversation_id;
    reply.customer_id = event->customer_id;
    reply.emitter_type = CIM_EMITTER_BOT;
    reply.emitter_id.data = bot_id;
    reply.emitter_id.size = sizeof bot_id - 1;
    reply.refers_to = event->id;
    reply.data_json.data = reply_data;
    reply.data_json.size = sizeof reply_data - 1;
    cim_rc_t rc = self->host->publish(self->host->ctx, &reply);
    if (rc != CIM_OK) {
        cim_str_t why = self->host->last_error(self->host->ctx);
        size_t n = why.size < sizeof self->last_error - 1 ? why.size : sizeof self->last_error - 1;
        memcpy(self->last_error, why.data, n);
        self->last_error[n] = '\0';
    }
    return rc;
}

static void echo_destroy(cim_instance_t* instance) { free(instance); }

static const char* echo_last_error(cim_instance_t* instance) {
    echo_instance* self = (echo_instance*)instance;
    if (self == NULL) return "out of memory"; /* the only way create fails without an instance */
    return self->last_error[0] != '\0' ? self->last_error : NULL;
}

static const char* const echo_publishes[] = {"BOT_MESSAGE"};
static const char* const echo_consumes[] = {"CUSTOMER_MESSAGE"};

static const cim_manifest_t echo_manifest = {
    sizeof(cim_manifest_t), FIXTURE_NAME, "0.1.0", "echoes customer messages (plain C fixture)",
    echo_publishes, 1, echo_consumes, 1, NULL, 0, NULL,
};

#ifdef FIXTURE_EXTRA_FIELDS
/* What a table from a newer SDK looks like to this host: the known layout followed by fields it has never heard of. */
typedef struct extended_plugin_table {
    cim_plugin_t known;
    cim_rc_t (*hook_from_the_future)(cim_instance_t*, uint64_t);
    uint64_t field_from_the_future;
} extended_plugin_table;

static cim_rc_t future_hook(cim_instance_t* instance, uint64_t value) {
    (void)instance;
    (void)value;
    abort(); /* the host must never call what it does not know */
}

static const extended_plugin_table echo_table = {
    {sizeof(extended_plugin_table), FIXTURE_ABI_MAJOR, FIXTURE_ABI_MINOR, 0, &echo_manifest, echo_create, NULL,
     echo_on_event, NULL, NULL, echo_destroy, echo_last_error},
    future_hook,
    0xDEADBEEFu,
};
#define ECHO_TABLE (&echo_table.known)
#else
static const cim_plugin_t echo_table = {
    sizeof(cim_plugin_t), FIXTURE_ABI_MAJOR, FIXTURE_ABI_MINOR, 0, &echo_manifest, echo_create, NULL,
    echo_on_event, NULL, NULL, echo_destroy, echo_last_error,
};
#define ECHO_TABLE (&echo_table)
#endif

CIM_PLUGIN_EXPORT const cim_plugin_t* cim_plugin_entry(void) { return ECHO_TABLE; }
