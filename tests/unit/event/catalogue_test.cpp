#include "event/catalogue.hpp"

#include <catch2/catch.hpp>

using namespace cim::core;

TEST_CASE("the catalogue holds every event of the design with its type", "[catalogue]") {
    const Catalogue catalogue;
    const std::vector<std::pair<std::string, EventType>> expected = {
        {"CUSTOMER_MESSAGE", EventType::activity},       {"AGENT_MESSAGE", EventType::activity},
        {"BOT_MESSAGE", EventType::activity},            {"BOT_SUGGESTION", EventType::suggestion},
        {"WHISPER_MESSAGE", EventType::message},         {"ACTION_MESSAGE", EventType::message},
        {"CHANNEL_SESSION_STARTED", EventType::notification}, {"CHANNEL_SESSION_ENDED", EventType::notification},
        {"CHANNEL_SESSION_EXPIRED", EventType::notification}, {"CHANNEL_SESSION_DATA_UPDATED", EventType::notification},
        {"AGENT_RESERVED", EventType::notification},     {"AGENT_SUBSCRIBED", EventType::notification},
        {"AGENT_UNSUBSCRIBED", EventType::notification}, {"NO_AGENT_AVAILABLE", EventType::notification},
        {"TASK_ENQUEUED", EventType::activity},          {"TASK_STATE_CHANGED", EventType::notification},
        {"REVOKE_RESOURCE", EventType::notification},    {"ACCEPT_TIMEOUT", EventType::notification},
        {"AGENT_RESPONSE_TIMEOUT", EventType::notification}, {"CUSTOMER_RESPONSE_TIMEOUT", EventType::notification},
        {"BOT_TIMEOUT", EventType::notification},        {"BOT_NOT_AVAILABLE", EventType::notification},
        {"TOPIC_STATE_CHANGED", EventType::notification}, {"ASSOCIATED_CUSTOMER_CHANGED", EventType::notification},
        {"MESSAGE_DELIVERY_NOTIFICATION", EventType::notification}, {"WRAPUP_APPLIED", EventType::activity},
        {"CONVERSATION_DATA_CHANGED", EventType::notification}, {"PARTICIPANT_ROLE_CHANGED", EventType::notification},
        {"CALL_LEG_ENDED", EventType::activity},         {"CALL_HOLD", EventType::notification},
        {"CALL_RESUME", EventType::notification},        {"AGENT_OUTBOUND", EventType::activity},
        {"THIRD_PARTY_ACTIVITY", EventType::notification}, {"MRD_INTERRUPTED", EventType::notification},
        {"EWT_MESSAGE", EventType::activity},            {"ACTIVITY_REACTION", EventType::notification},
        {"ACTIVITY_MODIFIED", EventType::notification},
    };
    for (const auto& [name, type] : expected) {
        INFO(name);
        const EventKind* kind = catalogue.find(name);
        REQUIRE(kind != nullptr);
        REQUIRE(kind->name == name);
        REQUIRE(kind->type == type);
        REQUIRE(&catalogue.at(kind->id) == kind);  // ids are dense indexes
    }
    REQUIRE(catalogue.size() == expected.size());
    REQUIRE(catalogue.find("NOT_AN_EVENT") == nullptr);
}

TEST_CASE("the public model's names resolve to their events", "[catalogue]") {
    const Catalogue catalogue;
    REQUIRE(catalogue.find("TOPIC_STATE_CHANGE_EVENT")->name == "TOPIC_STATE_CHANGED");
    REQUIRE(catalogue.find("AGENT_ACCEPT_TIMEOUT")->name == "ACCEPT_TIMEOUT");
    REQUIRE(catalogue.find("AGENT_MRD_INTERRUPTED")->name == "MRD_INTERRUPTED");
}

TEST_CASE("custom events register once per type and clashes name both parties", "[catalogue]") {
    Catalogue catalogue;
    const std::size_t builtins = catalogue.size();
    const EventKind& score = catalogue.register_custom("acme.SCORE", EventType::activity, "a score", "survey");
    REQUIRE(score.id == builtins);
    REQUIRE(score.defined_by == "survey");
    REQUIRE(catalogue.find("acme.SCORE") == &score);
    REQUIRE(&catalogue.register_custom("acme.SCORE", EventType::activity, "", "other") == &score);

    REQUIRE_THROWS_WITH(catalogue.register_custom("acme.SCORE", EventType::notification, "", "other"),
                        "custom event 'acme.SCORE' declared by plugin 'survey' as ACTIVITY and by plugin 'other' as "
                        "NOTIFICATION");
    REQUIRE_THROWS_WITH(catalogue.register_custom("CUSTOMER_MESSAGE", EventType::activity, "", "p"),
                        Catch::Contains("plugin 'p'") && Catch::Contains("clashes with the built-in event CUSTOMER_MESSAGE"));
    REQUIRE_THROWS_WITH(catalogue.register_custom("SCORE", EventType::activity, "", "p"),
                        Catch::Contains("is not of the form vendor.NAME"));
    REQUIRE_THROWS_WITH(catalogue.register_custom("a.b.c", EventType::activity, "", "p"),
                        Catch::Contains("is not of the form vendor.NAME"));
}
