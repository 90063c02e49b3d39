#include "event/catalogue.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "event/event.hpp"

using cim::core::Catalogue;
using cim::core::CatalogueError;
using cim::core::EmitterType;
using cim::core::Event;
using cim::core::EventKind;
using cim::core::EventKindId;
using cim::core::EventType;
using Catch::Matchers::Contains;

namespace {

struct ExpectedEvent {
    const char* name;
    EventType type;
};

// DESIGN §1's catalogue, restated independently of the built-in table, plus the two update events we named.
const std::vector<ExpectedEvent> design_catalogue = {
    {"CUSTOMER_MESSAGE", EventType::activity},
    {"AGENT_MESSAGE", EventType::activity},
    {"BOT_MESSAGE", EventType::activity},
    {"BOT_SUGGESTION", EventType::suggestion},
    {"WHISPER_MESSAGE", EventType::message},
    {"ACTION_MESSAGE", EventType::message},
    {"CHANNEL_SESSION_STARTED", EventType::notification},
    {"CHANNEL_SESSION_ENDED", EventType::notification},
    {"CHANNEL_SESSION_EXPIRED", EventType::notification},
    {"CHANNEL_SESSION_DATA_UPDATED", EventType::notification},
    {"AGENT_RESERVED", EventType::notification},
    {"AGENT_SUBSCRIBED", EventType::notification},
    {"AGENT_UNSUBSCRIBED", EventType::notification},
    {"NO_AGENT_AVAILABLE", EventType::notification},
    {"TASK_ENQUEUED", EventType::activity},
    {"TASK_STATE_CHANGED", EventType::notification},
    {"REVOKE_RESOURCE", EventType::notification},
    {"ACCEPT_TIMEOUT", EventType::notification},
    {"AGENT_RESPONSE_TIMEOUT", EventType::notification},
    {"CUSTOMER_RESPONSE_TIMEOUT", EventType::notification},
    {"BOT_TIMEOUT", EventType::notification},
    {"BOT_NOT_AVAILABLE", EventType::notification},
    {"TOPIC_STATE_CHANGED", EventType::notification},
    {"ASSOCIATED_CUSTOMER_CHANGED", EventType::notification},
    {"MESSAGE_DELIVERY_NOTIFICATION", EventType::notification},
    {"WRAPUP_APPLIED", EventType::activity},
    {"CONVERSATION_DATA_CHANGED", EventType::notification},
    {"PARTICIPANT_ROLE_CHANGED", EventType::notification},
    {"CALL_LEG_ENDED", EventType::activity},
    {"CALL_HOLD", EventType::notification},
    {"CALL_RESUME", EventType::notification},
    {"AGENT_OUTBOUND", EventType::activity},
    {"THIRD_PARTY_ACTIVITY", EventType::notification},
    {"MRD_INTERRUPTED", EventType::notification},
    {"EWT_MESSAGE", EventType::activity},
    {"ACTIVITY_REACTION", EventType::notification},
    {"ACTIVITY_MODIFIED", EventType::notification},
};

std::string registration_error(Catalogue& catalogue, const std::string& name, EventType type,
                               const std::string& plugin) {
    try {
        catalogue.register_custom(name, type, "", plugin);
    } catch (const CatalogueError& error) {
        return error.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("the catalogue holds every event of DESIGN §1 with its type", "[catalogue]") {
    const Catalogue catalogue;
    for (const ExpectedEvent& expected : design_catalogue) {
        INFO(expected.name);
        const EventKind* kind = catalogue.find(expected.name);
        REQUIRE(kind != nullptr);
        CHECK(kind->name == expected.name);
        CHECK(kind->type == expected.type);
        CHECK_FALSE(kind->description.empty());
        CHECK(kind->defined_by.empty());
    }
    CHECK(catalogue.size() == design_catalogue.size());
}

TEST_CASE("catalogue ids are dense and agree with lookups by name", "[catalogue]") {
    const Catalogue catalogue;
    const std::vector<EventKind> entries = catalogue.entries();
    REQUIRE(entries.size() == catalogue.size());
    std::set<std::string> names;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto id = static_cast<EventKindId>(i);
        CHECK(entries[i].id == id);
        CHECK(catalogue.at(id).id == id);
        CHECK(catalogue.find(entries[i].name) == &catalogue.at(id));
        names.insert(entries[i].name);
    }
    CHECK(names.size() == entries.size());
    CHECK(catalogue.find("NOT_AN_EVENT") == nullptr);
    CHECK(catalogue.find("customer_message") == nullptr);  // names are case-sensitive, as on the wire
}

TEST_CASE("the public model's names resolve to our canonical entries", "[catalogue]") {
    const Catalogue catalogue;
    CHECK(catalogue.find("TOPIC_STATE_CHANGE_EVENT") == catalogue.find("TOPIC_STATE_CHANGED"));
    CHECK(catalogue.find("AGENT_ACCEPT_TIMEOUT") == catalogue.find("ACCEPT_TIMEOUT"));
    CHECK(catalogue.find("AGENT_MRD_INTERRUPTED") == catalogue.find("MRD_INTERRUPTED"));
    REQUIRE(catalogue.find("AGENT_ACCEPT_TIMEOUT") != nullptr);
    CHECK(catalogue.find("AGENT_ACCEPT_TIMEOUT")->name == "ACCEPT_TIMEOUT");
}

TEST_CASE("the catalogue says which ids each built-in event requires", "[catalogue]") {
    using namespace cim::core;
    const Catalogue catalogue;
    const auto required = [&](const char* name) { return catalogue.find(name)->required_fields; };
    const auto any_of = [&](const char* name) { return catalogue.find(name)->required_any_of; };

    CHECK(required("AGENT_MESSAGE") == requires_conversation_id);
    CHECK(required("CUSTOMER_MESSAGE") == (requires_conversation_id | requires_customer_id));
    CHECK(required("ASSOCIATED_CUSTOMER_CHANGED") == (requires_conversation_id | requires_customer_id));
    for (const char* name : {"CHANNEL_SESSION_STARTED", "CHANNEL_SESSION_ENDED", "CHANNEL_SESSION_EXPIRED",
                             "CHANNEL_SESSION_DATA_UPDATED", "CALL_LEG_ENDED", "CALL_HOLD", "CALL_RESUME"}) {
        INFO(name);
        CHECK(required(name) == (requires_conversation_id | requires_channel_session_id));
    }
    for (const char* name : {"ACTIVITY_REACTION", "ACTIVITY_MODIFIED", "MESSAGE_DELIVERY_NOTIFICATION"}) {
        INFO(name);
        CHECK(required(name) == (requires_conversation_id | requires_refers_to));
    }
    CHECK(required("WRAPUP_APPLIED") == requires_nothing);
    CHECK(any_of("WRAPUP_APPLIED") == (requires_channel_session_id | requires_conversation_id));
    CHECK(catalogue.find("WRAPUP_APPLIED")->any_of_rule == "a wrap-up must carry a channel session or conversation id");
    CHECK(required("THIRD_PARTY_ACTIVITY") == requires_nothing);
    CHECK(any_of("THIRD_PARTY_ACTIVITY") ==
          (requires_customer_id | requires_channel_session_id | requires_conversation_id));
    CHECK(catalogue.find("THIRD_PARTY_ACTIVITY")->any_of_rule ==
          "a third-party activity must carry a customer, channel session or conversation id");
}

TEST_CASE("a plugin registers a custom event", "[catalogue]") {
    Catalogue catalogue;
    const std::size_t built_ins = catalogue.size();

    const EventKind& score = catalogue.register_custom("acme.SURVEY_SCORE", EventType::activity, "a survey score",
                                                       "survey");
    CHECK(score.id == built_ins);
    CHECK(score.name == "acme.SURVEY_SCORE");
    CHECK(score.type == EventType::activity);
    CHECK(score.description == "a survey score");
    CHECK(score.defined_by == "survey");
    CHECK(score.required_fields == cim::core::requires_nothing);
    CHECK(score.required_any_of == 0);
    CHECK(catalogue.size() == built_ins + 1);
    CHECK(catalogue.find("acme.SURVEY_SCORE") == &score);
    CHECK(&catalogue.at(score.id) == &score);

    SECTION("the same name with the same type again returns the existing entry") {
        const EventKind& again = catalogue.register_custom("acme.SURVEY_SCORE", EventType::activity, "other", "crm");
        CHECK(&again == &score);
        CHECK(again.defined_by == "survey");
        CHECK(catalogue.size() == built_ins + 1);
    }
    SECTION("names may use letters, digits, '_' and '-'") {
        const EventKind& next = catalogue.register_custom("Vendor-2.call_note-v1", EventType::message, "", "notes");
        CHECK(next.id == built_ins + 1);
    }
}

TEST_CASE("custom event clashes name both parties", "[catalogue]") {
    Catalogue catalogue;
    catalogue.register_custom("acme.SURVEY_SCORE", EventType::activity, "", "survey");

    CHECK(registration_error(catalogue, "acme.SURVEY_SCORE", EventType::notification, "crm") ==
          "custom event 'acme.SURVEY_SCORE' declared by plugin 'survey' as ACTIVITY and by plugin 'crm' as "
          "NOTIFICATION");
    CHECK(registration_error(catalogue, "CUSTOMER_MESSAGE", EventType::activity, "crm") ==
          "custom event 'CUSTOMER_MESSAGE' declared by plugin 'crm' clashes with the built-in event CUSTOMER_MESSAGE");
    CHECK(registration_error(catalogue, "AGENT_ACCEPT_TIMEOUT", EventType::notification, "crm") ==
          "custom event 'AGENT_ACCEPT_TIMEOUT' declared by plugin 'crm' clashes with the built-in event "
          "ACCEPT_TIMEOUT (AGENT_ACCEPT_TIMEOUT is its alias)");
    CHECK(registration_error(catalogue, "acme.NOTE", EventType::unset, "crm") ==
          "custom event 'acme.NOTE' declared by plugin 'crm' has no type");
    CHECK(registration_error(catalogue, "acme.NOTE", static_cast<EventType>(42), "crm") ==
          "custom event 'acme.NOTE' declared by plugin 'crm' has an unknown type 42");
    CHECK(catalogue.find("acme.NOTE") == nullptr);

    const std::string form = " is not of the form vendor.NAME (two non-empty parts of letters, digits, '_' and '-', "
                             "joined by one dot)";
    for (const char* bad : {"SURVEY_SCORE", "acme.", ".SCORE", "acme.survey.SCORE", "acme.SCORE!", "ac me.SCORE",
                            "acme.SCORÉ", ""}) {
        INFO(bad);
        CHECK(registration_error(catalogue, bad, EventType::activity, "crm") ==
              "custom event '" + std::string(bad) + "' declared by plugin 'crm'" + form);
    }
}

TEST_CASE("event and emitter types have their wire spellings", "[event]") {
    using cim::core::parse_emitter_type;
    using cim::core::parse_event_type;
    using cim::core::to_string;

    const std::vector<std::pair<EventType, std::string>> event_types = {
        {EventType::activity, "ACTIVITY"}, {EventType::suggestion, "SUGGESTION"}, {EventType::message, "MESSAGE"},
        {EventType::notification, "NOTIFICATION"}, {EventType::call, "CALL"}};
    for (const auto& [type, spelling] : event_types) {
        CHECK(to_string(type) == spelling);
        EventType parsed = EventType::unset;
        CHECK(parse_event_type(spelling, parsed));
        CHECK(parsed == type);
    }
    const std::vector<std::pair<EmitterType, std::string>> emitter_types = {
        {EmitterType::customer, "CUSTOMER"}, {EmitterType::agent, "AGENT"},   {EmitterType::bot, "BOT"},
        {EmitterType::app, "APP"},           {EmitterType::system, "SYSTEM"}, {EmitterType::connector, "CONNECTOR"}};
    for (const auto& [type, spelling] : emitter_types) {
        CHECK(to_string(type) == spelling);
        EmitterType parsed = EmitterType::unset;
        CHECK(parse_emitter_type(spelling, parsed));
        CHECK(parsed == type);
    }
    CHECK(to_string(EventType::unset).empty());
    CHECK(to_string(EmitterType::unset).empty());
    EventType event_type = EventType::unset;
    CHECK_FALSE(parse_event_type("activity", event_type));
    CHECK_FALSE(parse_event_type("", event_type));
    EmitterType emitter_type = EmitterType::unset;
    CHECK_FALSE(parse_emitter_type("ROBOT", emitter_type));
}

TEST_CASE("the routing key is the conversation, else the session, else the customer, else the id", "[event]") {
    Event event;
    event.id = "e1";
    CHECK(event.routing_key() == "e1");
    event.customer_id = "u1";
    CHECK(event.routing_key() == "u1");
    event.channel_session_id = "s1";
    CHECK(event.routing_key() == "s1");
    event.conversation_id = "c1";
    CHECK(event.routing_key() == "c1");
}

TEST_CASE("an event crosses the ABI and back unchanged", "[event][abi]") {
    Event event;
    event.id = "e1";
    event.name = "CUSTOMER_MESSAGE";
    event.type = EventType::activity;
    event.timestamp_ms = 1700000000000;
    event.conversation_id = "c1";
    event.channel_session_id = "s1";
    event.customer_id = "u1";
    event.emitter = {"u1", EmitterType::customer, "Ann"};
    event.refers_to = "e0";
    event.data = R"({"body":{"type":"PLAIN","markdownText":"hi"}})";

    const cim_event_t view = cim::core::to_abi_view(event);
    CHECK(view.struct_size == sizeof(cim_event_t));
    CHECK(view.name.data == event.name.data());  // a view, not a copy
    CHECK(view.type == CIM_EVENT_TYPE_ACTIVITY);
    CHECK(view.emitter_type == CIM_EMITTER_CUSTOMER);
    CHECK(cim::core::from_abi(view) == event);
}

TEST_CASE("from_abi reads only the fields an older plugin's struct_size covers", "[event][abi]") {
    cim_event_t raw{};
    const auto view_of = [](const char* text) { return cim_str_t{text, std::strlen(text)}; };
    raw.id = view_of("e1");
    raw.name = view_of("AGENT_MESSAGE");
    raw.type = CIM_EVENT_TYPE_ACTIVITY;
    raw.timestamp_ms = 5;
    raw.conversation_id = view_of("c1");
    raw.channel_session_id = view_of("s1");
    raw.customer_id = view_of("u1");
    raw.emitter_id = view_of("a1");
    raw.emitter_type = CIM_EMITTER_AGENT;
    raw.emitter_name = view_of("Bob");
    raw.refers_to = view_of("e0");
    raw.data_json = view_of("{}");

    // As if the plugin's cim_event_t ended right after customer_id: what lies beyond is not the plugin's.
    raw.struct_size = static_cast<std::uint32_t>(offsetof(cim_event_t, customer_id) + sizeof(cim_str_t));
    Event event = cim::core::from_abi(raw);
    CHECK(event.id == "e1");
    CHECK(event.name == "AGENT_MESSAGE");
    CHECK(event.type == EventType::activity);
    CHECK(event.timestamp_ms == 5);
    CHECK(event.customer_id == "u1");
    CHECK(event.emitter == cim::core::Emitter{});
    CHECK(event.refers_to.empty());
    CHECK(event.data.empty());

    SECTION("a field only partly covered is absent") {
        raw.struct_size = static_cast<std::uint32_t>(offsetof(cim_event_t, name) + sizeof(const char*));
        event = cim::core::from_abi(raw);
        CHECK(event.id == "e1");
        CHECK(event.name.empty());
    }
    SECTION("a NULL view counts as absent") {
        raw.struct_size = sizeof(cim_event_t);
        raw.refers_to = cim_str_t{nullptr, 3};
        event = cim::core::from_abi(raw);
        CHECK(event.refers_to.empty());
        CHECK(event.data == "{}");
    }
}
