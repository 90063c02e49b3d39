// The tracker's deadline heap (inactivity expiry, the grace period of closed conversations) and eviction, driven by
// explicit times: no clock, no runtime.
#include "sessions/session_tracker.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "scripted_events.hpp"

using namespace cim::core;
using cim::core::test::feed;
using cim::core::test::Scripted;

namespace {

constexpr EmitterType customer = EmitterType::customer;
constexpr EmitterType connector = EmitterType::connector;

Event started(const std::string& conversation, std::int64_t at) {
    return Scripted("start-" + conversation, "CHANNEL_SESSION_STARTED", connector, "web")
        .conversation(conversation).session("s-" + conversation).at(at);
}
Event message(const std::string& conversation, const std::string& id, std::int64_t at) {
    return Scripted(id, "CUSTOMER_MESSAGE", customer, "u1").conversation(conversation).session("s-" + conversation).at(at);
}
Event ended(const std::string& conversation, std::int64_t at) {
    return Scripted("end-" + conversation, "CHANNEL_SESSION_ENDED", connector, "web")
        .conversation(conversation).session("s-" + conversation).at(at);
}

// Applies what take_due reports, as the runtime does, and returns the conversations that expired.
std::vector<std::string> expire(SessionTracker& tracker, std::int64_t now, std::vector<std::string>* evicted = nullptr) {
    Due due = tracker.take_due(now);
    std::vector<std::string> expired;
    for (Event& e : due.expired) {
        e.id = "x-" + e.conversation_id + "-" + std::to_string(now);
        expired.push_back(e.conversation_id);
        feed(tracker, e);
    }
    if (evicted != nullptr) *evicted = due.evicted;
    return expired;
}

}  // namespace

TEST_CASE("sessions expire in deadline order, each exactly once, activity moving a deadline later", "[deadlines]") {
    SessionTracker tracker(TrackerOptions{std::chrono::seconds(100), std::chrono::milliseconds(-1)});
    // Started at 1000, 2000, ... 5000: deadlines 101'000 .. 105'000; c2's customer speaks at 50'000 (deadline 150'000).
    for (int i = 1; i <= 5; ++i) feed(tracker, started("c" + std::to_string(i), i * 1000));
    feed(tracker, message("c2", "m2", 50'000));
    REQUIRE(tracker.next_expiry_ms() == 101'000);

    REQUIRE(expire(tracker, 100'999).empty());
    REQUIRE(expire(tracker, 101'000) == std::vector<std::string>{"c1"});
    // c2's entry at 102'000 is stale and skipped on the way: the next deadline is c3's.
    REQUIRE(tracker.next_expiry_ms() == 103'000);
    REQUIRE(expire(tracker, 104'000) == std::vector<std::string>{"c3", "c4"});
    REQUIRE(expire(tracker, 104'000).empty());  // applied: not due again
    REQUIRE(expire(tracker, 149'999) == std::vector<std::string>{"c5"});
    REQUIRE(expire(tracker, 150'000) == std::vector<std::string>{"c2"});
    REQUIRE_FALSE(tracker.next_expiry_ms());
    REQUIRE(tracker.conversation_count() == 5);  // never evicted with a negative grace
}

TEST_CASE("an expiry the runtime could not publish is reported again", "[deadlines]") {
    SessionTracker tracker(TrackerOptions{std::chrono::seconds(100), std::chrono::milliseconds(-1)});
    feed(tracker, started("c1", 0));
    REQUIRE(tracker.take_due(100'000).expired.size() == 1);  // not applied (the store refused, say)
    REQUIRE(tracker.next_expiry_ms() == 100'000);
    REQUIRE(tracker.take_due(101'000).expired.size() == 1);
}

TEST_CASE("a closed conversation leaves memory after its grace period, not before", "[deadlines][eviction]") {
    SessionTracker tracker(TrackerOptions{std::chrono::seconds(100), std::chrono::seconds(60)});
    feed(tracker, started("c1", 1000));
    feed(tracker, started("c2", 1000));
    feed(tracker, ended("c1", 5000));  // CLOSED at 5000: evicted from 65'000
    REQUIRE(tracker.find("c1")->state == ConversationState::closed);
    REQUIRE(tracker.next_expiry_ms() == 65'000);

    std::vector<std::string> evicted;
    expire(tracker, 64'999, &evicted);
    REQUIRE(evicted.empty());
    REQUIRE(tracker.find("c1") != nullptr);
    expire(tracker, 65'000, &evicted);
    REQUIRE(evicted == std::vector<std::string>{"c1"});
    REQUIRE(tracker.find("c1") == nullptr);
    REQUIRE(tracker.was_evicted("c1"));
    REQUIRE_FALSE(tracker.was_evicted("c2"));
    REQUIRE(tracker.conversation_count() == 1);

    // c2 expires on inactivity at 101'000, closes then, and is evicted a grace period later.
    REQUIRE(expire(tracker, 101'000) == std::vector<std::string>{"c2"});
    REQUIRE(tracker.next_expiry_ms() == 161'000);
    expire(tracker, 161'000, &evicted);
    REQUIRE(evicted == std::vector<std::string>{"c2"});
    REQUIRE(tracker.conversation_count() == 0);
    REQUIRE_FALSE(tracker.next_expiry_ms());
}

TEST_CASE("a conversation reopened within its grace period stays", "[deadlines][eviction]") {
    SessionTracker tracker(TrackerOptions{std::chrono::seconds(100), std::chrono::seconds(60)});
    feed(tracker, started("c1", 1000));
    feed(tracker, ended("c1", 2000));
    feed(tracker, Scripted("restart", "CHANNEL_SESSION_STARTED", connector, "web").session("s-c1").at(30'000));
    REQUIRE(tracker.find("c1")->state == ConversationState::active);
    std::vector<std::string> evicted;
    expire(tracker, 62'000, &evicted);  // the old grace deadline: stale, skipped
    REQUIRE(evicted.empty());
    REQUIRE(tracker.next_expiry_ms() == 130'000);
}

TEST_CASE("many evictions: every evicted id is remembered, none that was not", "[deadlines][eviction]") {
    SessionTracker tracker(TrackerOptions{std::chrono::seconds(100), std::chrono::seconds(1)});
    for (int i = 0; i < 3000; ++i) {  // more than the unsorted tail holds, so the merge runs
        const std::string id = "c" + std::to_string(i);
        feed(tracker, started(id, i));
        feed(tracker, ended(id, i));
    }
    std::vector<std::string> evicted;
    expire(tracker, 1'000'000, &evicted);
    REQUIRE(evicted.size() == 3000);
    REQUIRE(tracker.conversation_count() == 0);
    for (int i = 0; i < 3000; i += 7) REQUIRE(tracker.was_evicted("c" + std::to_string(i)));
    REQUIRE_FALSE(tracker.was_evicted("c3000"));
    REQUIRE_FALSE(tracker.next_expiry_ms());
}
