#include "event/wire_json.hpp"

#include <catch2/catch.hpp>

#include "event/event_error.hpp"

using namespace cim::core;

TEST_CASE("every bad event is rejected with a message naming the field and the rule", "[wire]") {
    const Catalogue catalogue;
    struct Case {
        std::string input;
        std::string message;
    };
    const std::string ids = R"("conversationId":"c1","customerId":"u1")";
    const std::vector<Case> cases = {
        // malformed JSON
        {R"({"name":"CUSTOMER_MESSAGE")", "malformed JSON at byte 26: expected ',' or '}'"},
        {R"({"name" "CUSTOMER_MESSAGE"})", "malformed JSON at byte 8: expected ':'"},
        {R"([1,2])", "malformed JSON at byte 0: expected '{': an event is a JSON object"},
        {R"({"name":"CUSTOMER_MESSAGE",)" + ids + R"(,"data":{"a":tru}})", "malformed JSON at byte 79: expected a value"},
        {R"({"name":"CUSTOMER_MESSAGE",)" + ids + R"(} trailing)", "malformed JSON at byte 68: unexpected text after the event"},
        {R"({"name":"CUSTOMER_MESSAGE,)", "malformed JSON at byte 26: unterminated string"},
        // header fields of the wrong JSON type, unknown or repeated fields
        {R"({"name":"CUSTOMER_MESSAGE",)" + ids + R"(,"timestamp":"yesterday"})",
         "timestamp: expected an integer (ms since the epoch), got a string"},
        {R"({"name":42})", "name: expected a string, got the number 42"},
        {R"({"name":"CUSTOMER_MESSAGE",)" + ids + R"(,"emitter":{"id":"u1","type":"ROBOT"}})",
         "emitter.type: unknown emitter type 'ROBOT' (CUSTOMER, AGENT, BOT, APP, SYSTEM or CONNECTOR)"},
        {R"({"name":"CUSTOMER_MESSAGE","conversationID":"c1"})",
         "conversationID: unknown field (an event has id, name, type, timestamp, conversationId, channelSessionId, "
         "customerId, emitter, refersTo, data)"},
        {R"({"name":"CUSTOMER_MESSAGE","name":"BOT_MESSAGE"})", "name: duplicate field"},
        // catalogue rules
        {R"({"conversationId":"c1"})", "name: required"},
        {R"({"name":"CUSTOMER_MESAGE",)" + ids + "}", "name: unknown event 'CUSTOMER_MESAGE'"},
        {R"({"name":"CUSTOMER_MESSAGE","type":"MESSAGE",)" + ids + "}",
         "type: 'MESSAGE' contradicts the catalogue: CUSTOMER_MESSAGE is ACTIVITY"},
        {R"({"name":"CUSTOMER_MESSAGE","type":"SIDEWAYS",)" + ids + "}", "type: unknown event type 'SIDEWAYS'"},
        {R"({"name":"CUSTOMER_MESSAGE","customerId":"u1"})", "conversationId: required by CUSTOMER_MESSAGE"},
        {R"({"name":"CUSTOMER_MESSAGE","conversationId":"c1"})", "customerId: required by CUSTOMER_MESSAGE"},
        {R"({"name":"CHANNEL_SESSION_STARTED","conversationId":"c1"})",
         "channelSessionId: required by CHANNEL_SESSION_STARTED"},
        {R"({"name":"ACTIVITY_REACTION","conversationId":"c1"})", "refersTo: required by ACTIVITY_REACTION"},
        // the seed's rules
        {R"({"name":"WRAPUP_APPLIED","customerId":"u1"})",
         "conversationId/channelSessionId: a wrap-up must carry a channel session or conversation id"},
        {R"({"name":"THIRD_PARTY_ACTIVITY","data":{"activityType":"NOTE"}})",
         "conversationId/channelSessionId/customerId: a third-party activity must carry a customer, channel session or "
         "conversation id"},
        {R"({"name":"THIRD_PARTY_ACTIVITY","customerId":"u1","data":{"activityType":"CALL_RECORDING_LINK","url":"x"}})",
         "data.callId: a call-recording link must carry a call id"},
    };
    for (const Case& c : cases) {
        INFO(c.input);
        REQUIRE_THROWS_MATCHES(parse_event_json(c.input, catalogue), EventError, Catch::Message(c.message));
    }
}

TEST_CASE("valid events parse into typed headers, with aliases resolved and the type filled in", "[wire]") {
    const Catalogue catalogue;
    const Event e = parse_event_json(
        R"({"id":"e1","name":"TOPIC_STATE_CHANGE_EVENT","timestamp":1700000000000,"conversationId":"c1",)"
        R"("emitter":{"id":"cimrt","type":"SYSTEM","name":"tracker"},"data":{"to":"ACTIVE"}})",
        catalogue);
    REQUIRE(e.id == "e1");
    REQUIRE(e.name == "TOPIC_STATE_CHANGED");
    REQUIRE(e.type == EventType::notification);
    REQUIRE(e.timestamp_ms == 1700000000000);
    REQUIRE(e.emitter == Emitter{"cimrt", EmitterType::system, "tracker"});
    REQUIRE(e.data == R"({"to":"ACTIVE"})");
    REQUIRE(e.kind == catalogue.find("TOPIC_STATE_CHANGED")->id);

    // A note may carry neither a session nor a conversation; a recording link with its call id passes.
    REQUIRE_NOTHROW(parse_event_json(R"({"name":"THIRD_PARTY_ACTIVITY","customerId":"u1","data":{"activityType":"NOTE"}})", catalogue));
    REQUIRE_NOTHROW(parse_event_json(
        R"({"name":"THIRD_PARTY_ACTIVITY","customerId":"u1","data":{"activityType":"CALL_RECORDING_LINK","callId":"k"}})",
        catalogue));
}

TEST_CASE("the wire form round-trips byte for byte, data kept exactly as received", "[wire]") {
    const Catalogue catalogue;
    const std::vector<std::string> inputs = {
        R"({"id":"e1","name":"CUSTOMER_MESSAGE","type":"ACTIVITY","timestamp":1,"conversationId":"c1","customerId":"u1"})",
        R"({"id":"e2","name":"BOT_MESSAGE","type":"ACTIVITY","timestamp":2,"conversationId":"c\"1\\","channelSessionId":"s1",)"
        R"("customerId":"u1","emitter":{"id":"b","type":"BOT","name":"Bøt \u00e9 \ud83d\ude00"},"refersTo":"e1",)"
        R"("data":{ "body" : { "type":"PLAIN", "markdownText":"tabs\tand \u00fcnicode" }, "n":[1, 2.5e3, -0, true, null] }})",
        R"({"id":"e3","name":"CONVERSATION_DATA_CHANGED","type":"NOTIFICATION","timestamp":3,"conversationId":"c1","data":"text"})",
        R"({"id":"e4","name":"CONVERSATION_DATA_CHANGED","type":"NOTIFICATION","timestamp":4,"conversationId":"c1","data":[1,{"a":[]}]})",
    };
    for (const std::string& input : inputs) {
        INFO(input);
        const Event first = parse_event_json(input, catalogue);
        const std::string written = to_event_json(first);
        const Event second = parse_event_json(written, catalogue);
        REQUIRE(second == first);
        REQUIRE(to_event_json(second) == written);
    }
    // The payload's own bytes, whitespace included, survive untouched.
    const Event e = parse_event_json(inputs[1], catalogue);
    REQUIRE(e.data == R"({ "body" : { "type":"PLAIN", "markdownText":"tabs\tand \u00fcnicode" }, "n":[1, 2.5e3, -0, true, null] })");
    REQUIRE(e.emitter.name == "Bøt é 😀");
    REQUIRE(e.conversation_id == "c\"1\\");
}
