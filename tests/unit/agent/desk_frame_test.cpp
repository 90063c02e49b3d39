// The desk protocol's two directions (plugins/agent/desk_frame.hpp).
#include "desk_frame.hpp"

#include <catch2/catch.hpp>

using nlohmann::json;

TEST_CASE("a desk frame decodes from text or parsed JSON alike, mistyped members read as empty") {
    const auto frame = cim::agent::decode_desk_frame(std::string_view(
        R"({"type":"wrapup","conversationId":"c1","categories":["Resolved",3,"Billing"],"note":7})"));
    REQUIRE(frame);
    CHECK(frame->type == "wrapup");
    CHECK(frame->conversation_id == "c1");
    CHECK(frame->categories == std::vector<std::string>{"Resolved", "Billing"});
    CHECK(frame->note.empty());
    CHECK_FALSE(cim::agent::decode_desk_frame(std::string_view("[1]")));
    CHECK_FALSE(cim::agent::decode_desk_frame(std::string_view("{")));
    CHECK(cim::agent::decode_desk_frame(json::array()).type.empty());
}

TEST_CASE("the plugin's frames to a desk have the documented shapes") {
    CHECK(cim::agent::welcome_frame({"alice", "Alice", 2}, {"Resolved"}) ==
          json{{"type", "welcome"}, {"agent", {{"id", "alice"}, {"name", "Alice"}, {"capacity", 2}}},
               {"wrapupCategories", {"Resolved"}}, {"status", "READY"}});
    CHECK(cim::agent::welcome_frame({"alice", "Alice", 2}, {"Resolved"}, "AWAY")["status"] == "AWAY");
    CHECK(cim::agent::status_frame("AWAY", "MISSED_OFFERS", "You were set to Away") ==
          json{{"type", "status"}, {"status", "AWAY"}, {"reason", "MISSED_OFFERS"}, {"notice", "You were set to Away"}});
    CHECK(cim::agent::status_frame("BUSY", "CHOSEN") == json{{"type", "status"}, {"status", "BUSY"}, {"reason", "CHOSEN"}});
    CHECK(cim::agent::session_refused_frame("log in") == json{{"type", "session_refused"}, {"error", "log in"}});
    json offer = cim::agent::offer_frame("c1", "u1", "task-1", 42);
    cim::agent::add_transcript(offer, json::array());
    CHECK(offer == json{{"type", "offer"}, {"conversationId", "c1"}, {"customerId", "u1"}, {"taskId", "task-1"},
                        {"expiresAt", 42}, {"transcript", json::array()}});
    CHECK(cim::agent::withdrawn_frame("c1", "DECLINED") ==
          json{{"type", "offer_withdrawn"}, {"conversationId", "c1"}, {"reason", "DECLINED"}});
    CHECK(cim::agent::closed_frame("c1") == json{{"type", "closed"}, {"conversationId", "c1"}});
    CHECK(cim::agent::desk_error_frame("no") == json{{"type", "error"}, {"error", "no"}});
    CHECK(cim::agent::desk_error_frame("no", "c1") == json{{"type", "error"}, {"error", "no"}, {"conversationId", "c1"}});
    CHECK(cim::agent::login_refused_frame(1500) ==
          json{{"type", "error"}, {"error", "too many login attempts; try again in 2 s"}, {"retryAfterMs", 1500}});
}
