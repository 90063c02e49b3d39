#include "event/wire_json.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "event/event_error.hpp"
#include "event/event_validation.hpp"

using cim::core::Catalogue;
using cim::core::EmitterType;
using cim::core::Event;
using cim::core::EventError;
using cim::core::EventType;
using cim::core::parse_event_json;
using cim::core::to_event_json;

namespace {

struct Rejection {
    std::string input;
    std::string message;  // the whole what()
    std::string field;
};

// The error parse_event_json raises for `input`, or a marker that it raised none.
Rejection rejection_of(const std::string& input, const Catalogue& catalogue) {
    try {
        parse_event_json(input, catalogue);
    } catch (const EventError& error) {
        return {input, error.what(), error.field()};
    }
    return {input, "(accepted)", ""};
}

const std::string third_party_link_prefix =
    R"({"name":"THIRD_PARTY_ACTIVITY","customerId":"u1","data":{"activityType":"CALL_RECORDING_LINK")";

// Every way the wire form is rejected, with the exact message. Byte offsets count from 0.
const std::vector<Rejection> rejections = {
    // Malformed JSON: no field, the byte offset of the fault.
    {"", "malformed JSON at byte 0: unexpected end of input", ""},
    {"  \n ", "malformed JSON at byte 4: unexpected end of input", ""},
    {R"({"id":"e1","name""X"})", "malformed JSON at byte 17: expected ':'", ""},
    {R"({"name":"X",})", "malformed JSON at byte 12: expected a field name in quotes", ""},
    {R"({name:"X"})", "malformed JSON at byte 1: expected a field name in quotes", ""},
    {R"({"name":"X" "id":"e1"})", "malformed JSON at byte 12: expected ',' or '}'", ""},
    {R"({"name":})", "malformed JSON at byte 8: expected a value", ""},
    {R"({"name":"X","data":[1,2})", "malformed JSON at byte 23: expected ',' or ']'", ""},
    {R"({"name":"X","data":[1,]})", "malformed JSON at byte 22: expected a value", ""},
    {R"({"name":"X","data":{"a" 1}})", "malformed JSON at byte 24: expected ':'", ""},
    {R"({"name":"X","data":{"a":1 "b":2}})", "malformed JSON at byte 26: expected ',' or '}'", ""},
    {R"({"name":"X","data":{"a":1,}})", "malformed JSON at byte 26: expected a field name in quotes", ""},
    {R"({"name":"X","data":tru})", "malformed JSON at byte 19: expected 'true'", ""},
    {R"({"name":"X","data":nul})", "malformed JSON at byte 19: expected 'null'", ""},
    {R"({"name":"X","data":-})", "malformed JSON at byte 20: expected a digit", ""},
    {R"({"name":"X","data":1.})", "malformed JSON at byte 21: expected a digit", ""},
    {R"({"name":"X","data":1e+})", "malformed JSON at byte 22: expected a digit", ""},
    {R"({"name":"X","data":01})", "malformed JSON at byte 20: expected ',' or '}'", ""},
    {R"({"name":"X","data":'a'})", "malformed JSON at byte 19: expected a value", ""},
    {R"({"name":"X","data":[[[)", "malformed JSON at byte 22: unexpected end of input", ""},
    {R"({"name":"AGENT_MESSAGE)", "malformed JSON at byte 8: unterminated string", ""},
    {"{\"name\":\"A\nB\"}", "malformed JSON at byte 10: control character in a string (escape it)", ""},
    {R"({"name":"A\qB"})", R"(malformed JSON at byte 10: invalid escape '\q')", ""},
    {R"({"name":"\u12G4"})", R"(malformed JSON at byte 13: expected 4 hex digits after \u)", ""},
    {R"({"name":"\uD83D"})", "malformed JSON at byte 9: unpaired surrogate", ""},
    {R"({"name":"\uDE00x"})", "malformed JSON at byte 9: unpaired surrogate", ""},
    {R"({"name":"\uD83D\u0041"})", "malformed JSON at byte 9: unpaired surrogate", ""},
    {"{\"name\":\"\xC3(\"}", "malformed JSON at byte 9: invalid UTF-8", ""},
    {"{\"name\":\"\xC0\xAF\"}", "malformed JSON at byte 9: invalid UTF-8", ""},
    {"{\"data\":\"\xED\xA0\x80\"}", "malformed JSON at byte 9: invalid UTF-8", ""},
    {"{\"name\":\"X\"} x", "malformed JSON at byte 13: unexpected text after the event object", ""},
    {R"({"name":"X"}})", "malformed JSON at byte 12: unexpected text after the event object", ""},
    {"[1,", "malformed JSON at byte 3: unexpected end of input", ""},

    // Not an object.
    {R"(["CUSTOMER_MESSAGE"])", "an event must be a JSON object, not an array", ""},
    {R"("CUSTOMER_MESSAGE")", "an event must be a JSON object, not a string", ""},
    {"42", "an event must be a JSON object, not a number", ""},
    {"true", "an event must be a JSON object, not a boolean", ""},
    {"null", "an event must be a JSON object, not null", ""},

    // A header field of the wrong JSON type or with an unknown spelling.
    {R"({"name":42})", "name: expected a string", "name"},
    {R"({"name":["AGENT_MESSAGE"]})", "name: expected a string", "name"},
    {R"({"conversationId":{"id":"c1"}})", "conversationId: expected a string", "conversationId"},
    {R"({"timestamp":"1700000000000"})", "timestamp: expected an integer", "timestamp"},
    {R"({"timestamp":1700000000000.5})", "timestamp: expected an integer", "timestamp"},
    {R"({"timestamp":17e11})", "timestamp: expected an integer", "timestamp"},
    {R"({"timestamp":99999999999999999999})", "timestamp: out of range", "timestamp"},
    {R"({"type":"EVENT"})", "type: unknown event type 'EVENT'", "type"},
    {R"({"type":4})", "type: expected a string", "type"},
    {R"({"emitter":"bob"})", "emitter: expected an object", "emitter"},
    {R"({"emitter":{"type":"ROBOT"}})", "emitter.type: unknown emitter type 'ROBOT'", "emitter.type"},
    {R"({"emitter":{"id":7}})", "emitter.id: expected a string", "emitter.id"},

    // Duplicate and unknown keys.
    {R"({"name":"AGENT_MESSAGE","name":"BOT_MESSAGE"})", "name: duplicate field", "name"},
    {R"({"data":1,"data":2})", "data: duplicate field", "data"},
    {R"({"emitter":{"id":"a","id":"b"}})", "emitter.id: duplicate field", "emitter.id"},
    {R"({"conversationID":"c1"})", "conversationID: unknown field (did you mean 'conversationId'?)",
     "conversationID"},
    {R"({"priority":1})", "priority: unknown field", "priority"},
    {R"({"emitter":{"role":"AGENT"}})", "emitter.role: unknown field", "emitter.role"},

    // The catalogue's rules.
    {"{}", "name: required", "name"},
    {R"({"name":"","conversationId":"c1"})", "name: required", "name"},
    {R"({"name":"FOO","conversationId":"c1"})", "name: unknown event 'FOO'", "name"},
    {R"({"name":"acme.UNKNOWN"})", "name: unknown event 'acme.UNKNOWN'", "name"},
    {R"({"name":"CUSTOMER_MESSAGE","type":"MESSAGE","conversationId":"c1","customerId":"u1"})",
     "type: 'MESSAGE' contradicts the catalogue: CUSTOMER_MESSAGE is ACTIVITY", "type"},
    {R"({"name":"TOPIC_STATE_CHANGE_EVENT","type":"ACTIVITY","conversationId":"c1"})",
     "type: 'ACTIVITY' contradicts the catalogue: TOPIC_STATE_CHANGED is NOTIFICATION", "type"},
    {R"({"name":"AGENT_MESSAGE","timestamp":-5,"conversationId":"c1"})", "timestamp: must not be negative",
     "timestamp"},
    {R"({"name":"AGENT_MESSAGE"})", "conversationId: required by AGENT_MESSAGE", "conversationId"},
    {R"({"name":"AGENT_MESSAGE","conversationId":""})", "conversationId: required by AGENT_MESSAGE",
     "conversationId"},
    {R"({"name":"AGENT_MESSAGE","conversationId":null})", "conversationId: required by AGENT_MESSAGE",
     "conversationId"},
    {R"({"name":"CUSTOMER_MESSAGE","customerId":"u1"})", "conversationId: required by CUSTOMER_MESSAGE",
     "conversationId"},
    {R"({"name":"CUSTOMER_MESSAGE","conversationId":"c1"})", "customerId: required by CUSTOMER_MESSAGE",
     "customerId"},
    {R"({"name":"ASSOCIATED_CUSTOMER_CHANGED","conversationId":"c1"})",
     "customerId: required by ASSOCIATED_CUSTOMER_CHANGED", "customerId"},
    {R"({"name":"CHANNEL_SESSION_STARTED","conversationId":"c1"})",
     "channelSessionId: required by CHANNEL_SESSION_STARTED", "channelSessionId"},
    {R"({"name":"CALL_HOLD","conversationId":"c1"})", "channelSessionId: required by CALL_HOLD",
     "channelSessionId"},
    {R"({"name":"ACTIVITY_REACTION","conversationId":"c1"})", "refersTo: required by ACTIVITY_REACTION",
     "refersTo"},
    {R"({"name":"MESSAGE_DELIVERY_NOTIFICATION","conversationId":"c1"})",
     "refersTo: required by MESSAGE_DELIVERY_NOTIFICATION", "refersTo"},
    {R"({"name":"WRAPUP_APPLIED","customerId":"u1"})",
     "conversationId/channelSessionId: a wrap-up must carry a channel session or conversation id",
     "conversationId/channelSessionId"},
    {R"({"name":"THIRD_PARTY_ACTIVITY","emitter":{"type":"APP"}})",
     "conversationId/channelSessionId/customerId: a third-party activity must carry a customer, channel session or "
     "conversation id",
     "conversationId/channelSessionId/customerId"},
    {third_party_link_prefix + R"(,"url":"https://rec/1"}})",
     "data.callId: a call-recording link must carry a call id", "data.callId"},
    {third_party_link_prefix + R"(,"callId":""}})", "data.callId: a call-recording link must carry a call id",
     "data.callId"},
    {third_party_link_prefix + R"(,"callId":42}})", "data.callId: a call-recording link must carry a call id",
     "data.callId"},
};

}  // namespace

TEST_CASE("the wire form rejects bad input with a message naming the field and the rule", "[wire]") {
    const Catalogue catalogue;
    const Rejection expected = GENERATE(from_range(rejections));
    const Rejection actual = rejection_of(expected.input, catalogue);
    INFO("input: " << expected.input);
    CHECK(actual.message == expected.message);
    CHECK(actual.field == expected.field);
}

TEST_CASE("a wire event is read into typed header fields", "[wire]") {
    const Catalogue catalogue;
    const Event event = parse_event_json(
        R"({"id":"e1","name":"CUSTOMER_MESSAGE","type":"ACTIVITY","timestamp":1700000000000,"conversationId":"c1",)"
        R"("channelSessionId":"s1","customerId":"u1","emitter":{"id":"u1","type":"CUSTOMER","name":"Ann"},)"
        R"("refersTo":"e0","data":{"body":{"type":"PLAIN","markdownText":"hi"}}})",
        catalogue);
    CHECK(event.id == "e1");
    CHECK(event.name == "CUSTOMER_MESSAGE");
    CHECK(event.type == EventType::activity);
    CHECK(event.timestamp_ms == 1700000000000);
    CHECK(event.conversation_id == "c1");
    CHECK(event.channel_session_id == "s1");
    CHECK(event.customer_id == "u1");
    CHECK(event.emitter == cim::core::Emitter{"u1", EmitterType::customer, "Ann"});
    CHECK(event.refers_to == "e0");
    CHECK(event.data == R"({"body":{"type":"PLAIN","markdownText":"hi"}})");
    CHECK(event.kind == catalogue.find("CUSTOMER_MESSAGE")->id);
}

TEST_CASE("data is kept byte for byte, whitespace inside it included", "[wire]") {
    const Catalogue catalogue;
    const std::string data = "{ \"body\" :\n\t{\"type\": \"PLAIN\", \"text\": \"a\\u0041\\n\" },\r\n \"n\": [ 1 , -2.5e+3, "
                             "true,false , null, {}, [] ] }";
    const Event event = parse_event_json(
        "{ \"name\" : \"AGENT_MESSAGE\" ,\n \"conversationId\":\"c1\", \"data\" :  " + data + "  \n}\n", catalogue);
    CHECK(event.data == data);
    CHECK(to_event_json(event) == R"({"name":"AGENT_MESSAGE","type":"ACTIVITY","conversationId":"c1","data":)" +
                                      data + "}");
}

TEST_CASE("data may be any JSON value", "[wire]") {
    const Catalogue catalogue;
    for (const std::string data : {R"([1,{"a":[]}])", R"("text \" with \\ escapes")", "-0.5E-7", "0", "true",
                                   "null", "{}", R"({"deep":[[[[[[[[[[{"x":1}]]]]]]]]]]})"}) {
        INFO(data);
        const Event event =
            parse_event_json(R"({"name":"BOT_MESSAGE","conversationId":"c1","data":)" + data + "}", catalogue);
        CHECK(event.data == data);
    }
}

TEST_CASE("deeply nested data is scanned without recursion", "[wire]") {
    const Catalogue catalogue;
    const std::size_t depth = 100000;
    const std::string data = std::string(depth, '[') + std::string(depth, ']');
    const Event event =
        parse_event_json(R"({"name":"BOT_MESSAGE","conversationId":"c1","data":)" + data + "}", catalogue);
    CHECK(event.data.size() == 2 * depth);
}

TEST_CASE("aliases from the public model resolve to the canonical name", "[wire]") {
    const Catalogue catalogue;
    const Event event = parse_event_json(R"({"name":"TOPIC_STATE_CHANGE_EVENT","conversationId":"c1"})", catalogue);
    CHECK(event.name == "TOPIC_STATE_CHANGED");
    CHECK(event.kind == catalogue.find("TOPIC_STATE_CHANGED")->id);
    CHECK(parse_event_json(R"({"name":"AGENT_ACCEPT_TIMEOUT","conversationId":"c1"})", catalogue).name ==
          "ACCEPT_TIMEOUT");
    CHECK(parse_event_json(R"({"name":"AGENT_MRD_INTERRUPTED","conversationId":"c1"})", catalogue).name ==
          "MRD_INTERRUPTED");
}

TEST_CASE("an absent type is filled from the catalogue", "[wire]") {
    const Catalogue catalogue;
    CHECK(parse_event_json(R"({"name":"BOT_SUGGESTION","conversationId":"c1"})", catalogue).type ==
          EventType::suggestion);
    CHECK(parse_event_json(R"({"name":"WHISPER_MESSAGE","conversationId":"c1","type":null})", catalogue).type ==
          EventType::message);
}

TEST_CASE("null and empty header fields count as absent", "[wire]") {
    const Catalogue catalogue;
    const Event event = parse_event_json(
        R"({"id":null,"name":"AGENT_MESSAGE","timestamp":null,"conversationId":"c1","channelSessionId":"",)"
        R"("customerId":null,"emitter":null,"refersTo":null})",
        catalogue);
    CHECK(event.id.empty());
    CHECK(event.timestamp_ms == 0);
    CHECK(event.channel_session_id.empty());
    CHECK(event.emitter == cim::core::Emitter{});
    CHECK(to_event_json(event) == R"({"name":"AGENT_MESSAGE","type":"ACTIVITY","conversationId":"c1"})");
}

TEST_CASE("the seed's anchoring rules accept what they should", "[wire]") {
    const Catalogue catalogue;
    for (const std::string input : {
             R"({"name":"WRAPUP_APPLIED","channelSessionId":"s1"})",
             R"({"name":"WRAPUP_APPLIED","conversationId":"c1"})",
             R"({"name":"THIRD_PARTY_ACTIVITY","customerId":"u1"})",
             R"({"name":"THIRD_PARTY_ACTIVITY","channelSessionId":"s1","data":[1,2]})",
             R"({"name":"THIRD_PARTY_ACTIVITY","conversationId":"c1","data":{"activityType":"IVR"}})",
             R"({"name":"THIRD_PARTY_ACTIVITY","conversationId":"c1","data":{"activityType":"CALL_RECORDING_LINK",)"
             R"("callId":"call-7","url":"https://rec/7"}})",
             R"({"name":"AGENT_MESSAGE","conversationId":"c1","data":{"activityType":"CALL_RECORDING_LINK"}})",
         }) {
        INFO(input);
        CHECK_NOTHROW(parse_event_json(input, catalogue));
    }
}

TEST_CASE("custom events are read like built-in ones and require nothing", "[wire]") {
    Catalogue catalogue;
    catalogue.register_custom("acme.SURVEY_SCORE", EventType::activity, "a survey score", "survey");
    const Event event = parse_event_json(R"({"name":"acme.SURVEY_SCORE","data":{"score":9}})", catalogue);
    CHECK(event.type == EventType::activity);
    CHECK(event.kind == catalogue.find("acme.SURVEY_SCORE")->id);
    CHECK(rejection_of(R"({"name":"acme.SURVEY_SCORE","type":"NOTIFICATION"})", catalogue).message ==
          "type: 'NOTIFICATION' contradicts the catalogue: acme.SURVEY_SCORE is ACTIVITY");
}

TEST_CASE("strings are decoded to UTF-8 and written back escaped only where JSON requires", "[wire]") {
    const Catalogue catalogue;
    const Event event = parse_event_json(
        R"({"name":"AGENT_MESSAGE","conversationId":"caf\u00e9 \ud83d\ude00 \u20AC \"q\" \\ \/ \b\f\n\r\t \u0001",)"
        R"("emitter":{"name":"Zoë 😀"}})",
        catalogue);
    CHECK(event.conversation_id == "caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x82\xAC \"q\" \\ / \b\f\n\r\t \x01");
    CHECK(event.emitter.name == "Zo\xC3\xAB \xF0\x9F\x98\x80");
    CHECK(to_event_json(event) ==
          "{\"name\":\"AGENT_MESSAGE\",\"type\":\"ACTIVITY\",\"conversationId\":\"caf\xC3\xA9 \xF0\x9F\x98\x80 "
          "\xE2\x82\xAC \\\"q\\\" \\\\ / \\b\\f\\n\\r\\t \\u0001\",\"emitter\":{\"name\":\"Zo\xC3\xAB "
          "\xF0\x9F\x98\x80\"}}");
}

TEST_CASE("the wire form round-trips byte for byte", "[wire]") {
    const Catalogue catalogue;

    Event full;
    full.id = "e-1";
    full.name = "CUSTOMER_MESSAGE";
    full.type = EventType::activity;
    full.timestamp_ms = 1700000000123;
    full.conversation_id = "c1";
    full.channel_session_id = "s1";
    full.customer_id = "u1";
    full.emitter = {"u1", EmitterType::customer, "Ann \"the customer\""};
    full.refers_to = "e-0";
    full.data = R"({"id":"m1","header":{"sender":{"type":"CUSTOMER"}},"body":{"type":"PLAIN","markdownText":"h\u00e9llo\n"}})";

    Event unicode;
    unicode.name = "AGENT_MESSAGE";
    unicode.conversation_id = "conversation \xE2\x9C\x93 \xF0\x9F\x98\x80";
    unicode.emitter = {"a\\1", EmitterType::agent, "tab\there\x1F"};
    unicode.data = R"(["nested",[1,2,{"k":[true,false,null]}],-1.5e10])";

    Event data_string;
    data_string.id = "e3";
    data_string.name = "BOT_TIMEOUT";
    data_string.conversation_id = "c3";
    data_string.data = R"("bot \"b1\" timed out")";

    Event data_number;
    data_number.name = "CONVERSATION_DATA_CHANGED";
    data_number.conversation_id = "c4";
    data_number.emitter.type = EmitterType::system;
    data_number.data = "42";

    Event reaction;
    reaction.name = "ACTIVITY_REACTION";
    reaction.conversation_id = "c5";
    reaction.refers_to = "e-1";
    reaction.emitter = {"sup-1", EmitterType::agent, ""};
    reaction.data = R"({ "reaction" : "\ud83d\udc4d",  "flag": "EXCELLENT" })";

    Event minimal;
    minimal.name = "THIRD_PARTY_ACTIVITY";
    minimal.customer_id = "u9";

    for (Event event : {full, unicode, data_string, data_number, reaction, minimal}) {
        INFO(event.name);
        cim::core::validate_event(event, catalogue);
        const std::string written = to_event_json(event);
        const Event read = parse_event_json(written, catalogue);
        CHECK(read == event);
        CHECK(to_event_json(read) == written);
    }

    CHECK(to_event_json(full) ==
          R"({"id":"e-1","name":"CUSTOMER_MESSAGE","type":"ACTIVITY","timestamp":1700000000123,"conversationId":"c1",)"
          R"("channelSessionId":"s1","customerId":"u1","emitter":{"id":"u1","type":"CUSTOMER","name":"Ann \"the )"
          R"(customer\""},"refersTo":"e-0","data":)" +
              full.data + "}");
}

TEST_CASE("validation also guards events that arrive through the ABI", "[wire][abi]") {
    const Catalogue catalogue;
    Event event;
    event.name = "AGENT_MESSAGE";
    event.conversation_id = "c1";

    SECTION("a type number outside the enum") {
        event.type = static_cast<EventType>(42);
        REQUIRE_THROWS_WITH(cim::core::validate_event(event, catalogue), "type: unknown event type 42");
    }
    SECTION("an emitter type number outside the enum") {
        event.emitter.type = static_cast<EmitterType>(9);
        REQUIRE_THROWS_WITH(cim::core::validate_event(event, catalogue), "emitter.type: unknown emitter type 9");
    }
    SECTION("a third-party activity whose data is not JSON") {
        event.name = "THIRD_PARTY_ACTIVITY";
        event.data = "{\"activityType\":";
        REQUIRE_THROWS_WITH(cim::core::validate_event(event, catalogue), "data: malformed JSON");
    }
    SECTION("an alias is rewritten and the kind set") {
        event.name = "TOPIC_STATE_CHANGE_EVENT";
        const auto& kind = cim::core::validate_event(event, catalogue);
        CHECK(event.name == "TOPIC_STATE_CHANGED");
        CHECK(event.kind == kind.id);
        CHECK(event.type == EventType::notification);
    }
}
