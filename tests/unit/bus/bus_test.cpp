#include "bus/bus.hpp"

#include <atomic>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>

#include "../support/test_endpoint.hpp"

using namespace cim::core;
using cim::test::customer_message;
using cim::test::TestEndpoint;

namespace {

std::shared_ptr<spdlog::logger> capture_logger(std::ostringstream& out) {
    return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
}

// Publishes until accepted; a busy shard is the bus asking the caller to retry, which is what a publisher should do.
PublishResult publish_retrying(Bus& bus, const Endpoint* publisher, const Event& event) {
    for (;;) {
        PublishResult r = bus.publish(publisher, event);
        if (r.status != PublishStatus::busy) return r;
        std::this_thread::yield();
    }
}

}  // namespace

TEST_CASE("every consumer sees each conversation's events in publish order, none lost or duplicated",
          "[bus][ordering]") {
    const std::size_t bus_threads = GENERATE(1, 2, 4);
    constexpr int publisher_threads = 8;
    constexpr int conversations = 1000;
    constexpr int events_per_conversation = 20;

    Catalogue catalogue;
    SystemClock clock;
    std::ostringstream log;
    Bus bus(catalogue, clock, {bus_threads, 16, 256}, capture_logger(log));
    TestEndpoint bot("bot", {}, {"CUSTOMER_MESSAGE"});
    TestEndpoint agent("agent", {}, {"CUSTOMER_MESSAGE"});
    bus.add_endpoint(bot);
    bus.add_endpoint(agent);
    bus.start();

    // Thread t owns conversations t, t+8, ...; it interleaves them round-robin, so every shard sees many
    // conversations mixed and every conversation's events are spread over time.
    std::vector<std::thread> publishers;
    for (int t = 0; t < publisher_threads; ++t) {
        publishers.emplace_back([&, t] {
            for (int seq = 0; seq < events_per_conversation; ++seq) {
                for (int c = t; c < conversations; c += publisher_threads) {
                    const std::string conv = "conv-" + std::to_string(c);
                    auto r = publish_retrying(bus, nullptr, customer_message(conv, conv + "#" + std::to_string(seq)));
                    REQUIRE(r.accepted());
                }
            }
        });
    }
    for (auto& p : publishers) p.join();
    bus.drain();

    const std::size_t total = std::size_t{conversations} * events_per_conversation;
    for (TestEndpoint* consumer : {&bot, &agent}) {
        const auto received = consumer->received();
        REQUIRE(received.size() == total);
        std::map<std::string, int> next_seq;
        std::set<std::string> ids;
        for (const Event& e : received) {
            REQUIRE(ids.insert(e.id).second);  // no duplicate
            const auto hash = e.id.find('#');
            const int seq = std::stoi(e.id.substr(hash + 1));
            REQUIRE(e.id.substr(0, hash) == e.conversation_id);
            int& expected = next_seq[e.conversation_id];
            REQUIRE(seq == expected);  // in publish order
            ++expected;
        }
        REQUIRE(next_seq.size() == conversations);
    }
    REQUIRE(bus.metrics().accepted == total);
    REQUIRE(bus.metrics().deliveries == 2 * total);
    bus.stop();
}

TEST_CASE("a blocked consumer fills its shard, publish reports busy, and after release every accepted event arrives once",
          "[bus][backpressure]") {
    Catalogue catalogue;
    SystemClock clock;
    std::ostringstream log;
    constexpr std::size_t capacity = 8;
    Bus bus(catalogue, clock, {2, 1, capacity}, capture_logger(log));

    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    TestEndpoint slow("slow", {}, {"CUSTOMER_MESSAGE"}, [released](const Event&) {
        released.wait();
        return DeliveryOutcome{};
    });
    bus.add_endpoint(slow);
    bus.start();

    std::vector<std::string> accepted;
    PublishResult refused;
    for (int i = 0; i < 1000; ++i) {
        PublishResult r = bus.publish(nullptr, customer_message("c1", "e" + std::to_string(i)));
        if (r.status == PublishStatus::busy) {
            refused = r;
            break;
        }
        REQUIRE(r.accepted());
        accepted.push_back(r.event_id);
    }
    REQUIRE(accepted.size() == capacity);  // the bound counts the event the consumer is stuck on
    REQUIRE(refused.status == PublishStatus::busy);
    REQUIRE_THAT(refused.error, Catch::Contains("busy") && Catch::Contains("retry later"));
    REQUIRE(bus.metrics().busy == 1);

    release.set_value();
    bus.drain();
    const auto received = slow.received();
    REQUIRE(received.size() == accepted.size());
    for (std::size_t i = 0; i < accepted.size(); ++i) REQUIRE(received[i].id == accepted[i]);

    // The shard has room again.
    REQUIRE(bus.publish(nullptr, customer_message("c1", "after")).accepted());
    bus.stop();
    REQUIRE(slow.received().size() == capacity + 1);
}

TEST_CASE("a consumer that fails or throws fails only that delivery", "[bus][isolation]") {
    Catalogue catalogue;
    SystemClock clock;
    std::ostringstream log;
    Bus bus(catalogue, clock, {2, 8, 64}, capture_logger(log));
    TestEndpoint thrower("thrower", {}, {"CUSTOMER_MESSAGE"}, [](const Event& e) -> DeliveryOutcome {
        if (e.id == "e1") throw std::runtime_error("boom in on_event");
        if (e.id == "e2") return {false, "on_event returned error code 1: bad day"};
        return {};
    });
    TestEndpoint healthy("healthy", {}, {"CUSTOMER_MESSAGE"});
    bus.add_endpoint(thrower);
    bus.add_endpoint(healthy);
    bus.start();

    for (const char* id : {"e0", "e1", "e2", "e3"}) REQUIRE(bus.publish(nullptr, customer_message("c1", id)).accepted());
    bus.drain();

    REQUIRE(healthy.received().size() == 4);
    REQUIRE(thrower.received().size() == 3);  // e1 threw before it was recorded; e2 was recorded, then failed
    REQUIRE(thrower.counters().failed == 2);
    REQUIRE(thrower.counters().delivered == 2);
    REQUIRE(healthy.counters().failed == 0);
    REQUIRE(bus.metrics().delivery_failures == 2);
    const std::string text = log.str();
    REQUIRE_THAT(text, Catch::Contains("plugin 'thrower' failed on CUSTOMER_MESSAGE e1: threw: boom in on_event"));
    REQUIRE_THAT(text, Catch::Contains("plugin 'thrower' failed on CUSTOMER_MESSAGE e2: on_event returned error code 1"));
    bus.stop();
}

TEST_CASE("publishing checks the publisher's manifest and the event's rules", "[bus][publish]") {
    Catalogue catalogue;
    SystemClock clock;
    std::ostringstream log;
    Bus bus(catalogue, clock, {1, 4, 64}, capture_logger(log));
    TestEndpoint channel("channel", {"CUSTOMER_MESSAGE"}, {"BOT_MESSAGE"});
    TestEndpoint bot("bot", {"BOT_MESSAGE"}, {"CUSTOMER_MESSAGE"});
    bus.add_endpoint(channel);
    bus.add_endpoint(bot);

    SECTION("before start nothing is accepted") {
        REQUIRE(bus.publish(&channel, customer_message("c1")).status == PublishStatus::stopped);
    }
    bus.start();

    SECTION("an undeclared event is refused, naming plugin and event") {
        Event reply = customer_message("c1");
        reply.name = "AGENT_MESSAGE";
        const PublishResult r = bus.publish(&bot, reply);
        REQUIRE(r.status == PublishStatus::not_declared);
        REQUIRE(r.error == "plugin 'bot' published AGENT_MESSAGE, which its manifest does not declare under publishes");
        REQUIRE(bot.counters().publish_rejected == 1);
    }
    SECTION("an invalid event is refused with the rule") {
        Event e = customer_message("");
        const PublishResult r = bus.publish(&channel, e);
        REQUIRE(r.status == PublishStatus::invalid);
        REQUIRE_THAT(r.error, Catch::StartsWith("conversationId"));
    }
    SECTION("an unknown event is refused") {
        Event e = customer_message("c1");
        e.name = "NOT_AN_EVENT";
        const PublishResult r = bus.publish(nullptr, e);
        REQUIRE(r.status == PublishStatus::invalid);
        REQUIRE_THAT(r.error, Catch::Contains("NOT_AN_EVENT"));
    }
    SECTION("ids and timestamps are stamped; the publisher never hears its own event") {
        const PublishResult r = bus.publish(&channel, customer_message("c1"));
        REQUIRE(r.accepted());
        REQUIRE(r.event_id.size() == 36);
        REQUIRE(bot.wait_for_events(1));
        const Event got = bot.received().at(0);
        REQUIRE(got.id == r.event_id);
        REQUIRE(got.timestamp_ms > 0);
        REQUIRE(got.type == EventType::activity);
        bus.drain();
        REQUIRE(channel.received().empty());
    }
    SECTION("after stop nothing is accepted") {
        bus.stop();
        const PublishResult r = bus.publish(&channel, customer_message("c1"));
        REQUIRE(r.status == PublishStatus::stopped);
        REQUIRE(r.error == "the runtime is stopped");
    }
    bus.stop();
}

TEST_CASE("stop drains every accepted event, including replies published while draining", "[bus][stop]") {
    Catalogue catalogue;
    SystemClock clock;
    std::ostringstream log;
    auto bus = std::make_unique<Bus>(catalogue, clock, BusOptions{2, 8, 4096}, capture_logger(log));
    Bus* raw = bus.get();
    TestEndpoint channel("channel", {"CUSTOMER_MESSAGE"}, {"BOT_MESSAGE"});
    TestEndpoint bot("bot", {"BOT_MESSAGE"}, {"CUSTOMER_MESSAGE"}, [&](const Event& e) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        Event reply = e;
        reply.id.clear();
        reply.name = "BOT_MESSAGE";
        reply.type = EventType::unset;
        REQUIRE(raw->publish(&bot, reply).accepted());
        return DeliveryOutcome{};
    });
    bus->add_endpoint(channel);
    bus->add_endpoint(bot);
    bus->start();
    for (int i = 0; i < 500; ++i) {
        REQUIRE(bus->publish(&channel, customer_message("c" + std::to_string(i % 50))).accepted());
    }
    bus->stop();
    REQUIRE(bot.received().size() == 500);
    REQUIRE(channel.received().size() == 500);
    REQUIRE(bus->metrics().in_flight == 0);
}

TEST_CASE("wiring is validated from the manifests", "[bus][wiring]") {
    Catalogue catalogue;
    SystemClock clock;
    std::ostringstream log;
    Bus bus(catalogue, clock, {1, 1, 8}, capture_logger(log));

    SECTION("warnings for consumed-but-never-published and published-but-never-consumed") {
        TestEndpoint bot("bot", {"BOT_MESSAGE"}, {"CUSTOMER_MESSAGE"});
        bus.add_endpoint(bot);
        const auto warnings = bus.start();
        REQUIRE(warnings.size() == 2);
        REQUIRE_THAT(warnings, Catch::VectorContains(std::string(
                                   "CUSTOMER_MESSAGE is consumed by 'bot' but no plugin publishes it (only an external "
                                   "source can: cimrt publish, an embedding product)")));
        REQUIRE_THAT(warnings,
                     Catch::VectorContains(std::string("BOT_MESSAGE is published by 'bot' but no plugin consumes it")));
    }
    SECTION("events the runtime publishes itself are wired without a warning") {
        TestEndpoint audit("audit", {}, {"TOPIC_STATE_CHANGED"});
        bus.add_endpoint(audit);
        bus.set_runtime_publishes({"TOPIC_STATE_CHANGED"});
        REQUIRE(bus.start().empty());
    }
    SECTION("an unknown event name fails the wiring, naming plugin and event") {
        TestEndpoint bad("bad", {}, {"CUSTOMER_MESAGE"});
        bus.add_endpoint(bad);
        REQUIRE_THROWS_WITH(bus.start(), "plugin 'bad' consumes unknown event 'CUSTOMER_MESAGE'");
    }
    SECTION("two plugins with one name fail the wiring") {
        TestEndpoint a("twin", {}, {});
        TestEndpoint b("twin", {}, {});
        bus.add_endpoint(a);
        bus.add_endpoint(b);
        REQUIRE_THROWS_WITH(bus.start(), "two plugins are named 'twin'; plugin names must be unique");
    }
}

TEST_CASE("a reply to an idle shard is delivered on the worker that published it, after its delivery returns",
          "[bus][inline]") {
    Catalogue catalogue;
    SystemClock clock;
    std::ostringstream log;
    Bus bus(catalogue, clock, BusOptions{4, 64, 4096}, capture_logger(log));
    // The reply goes to another conversation, on another shard, which is idle: without the worker's own slot it
    // would be posted to the pool and most often taken by one of the three other (lingering) workers.
    const std::string customer_side = "conv-in";
    std::string reply_side = "conv-out-0";
    for (int k = 1; bus.shard_index(reply_side) == bus.shard_index(customer_side); ++k) {
        reply_side = "conv-out-" + std::to_string(k);
    }
    std::mutex mutex;
    std::vector<std::pair<std::thread::id, std::thread::id>> threads;  // (bot's delivery, the reply's delivery)
    std::thread::id bot_thread;
    std::atomic<bool> bot_returned{false};
    std::atomic<bool> reply_before_return{false};
    TestEndpoint channel("channel", {"CUSTOMER_MESSAGE"}, {"BOT_MESSAGE"}, [&](const Event&) {
        if (!bot_returned.load()) reply_before_return = true;
        std::lock_guard lock(mutex);
        threads.emplace_back(bot_thread, std::this_thread::get_id());
        return DeliveryOutcome{};
    });
    TestEndpoint bot("bot", {"BOT_MESSAGE"}, {"CUSTOMER_MESSAGE"}, [&](const Event& e) {
        {
            std::lock_guard lock(mutex);
            bot_thread = std::this_thread::get_id();
        }
        bot_returned = false;
        Event reply = e;
        reply.id.clear();
        reply.name = "BOT_MESSAGE";
        reply.type = EventType::unset;
        reply.conversation_id = reply_side;
        REQUIRE(bus.publish(&bot, reply).accepted());
        std::this_thread::sleep_for(std::chrono::microseconds(300));  // time for another worker to take it
        bot_returned = true;
        return DeliveryOutcome{};
    });
    bus.add_endpoint(channel);
    bus.add_endpoint(bot);
    bus.start();
    constexpr std::size_t rounds = 40;
    for (std::size_t i = 0; i < rounds; ++i) {
        REQUIRE(bus.publish(&channel, customer_message(customer_side)).accepted());
        REQUIRE(channel.wait_for_events(i + 1));
        bus.drain();
    }
    bus.stop();
    REQUIRE(threads.size() == rounds);
    for (const auto& [publisher, receiver] : threads) CHECK(publisher == receiver);
    // Inline means after the delivery that published it returns, not inside it: no plugin is re-entered.
    CHECK_FALSE(reply_before_return.load());
}
