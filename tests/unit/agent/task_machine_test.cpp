// The agent's routing as a pure state machine (plugins/agent/task_machine.hpp): every input's effects asserted, no
// runtime, no socket, no clock — time is the `now` each input is given.
#include "task_machine.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

using cim::agent::ConsumedEvent;
using cim::agent::Effect;
using cim::agent::Effects;
using cim::agent::PendingPublish;
using cim::agent::PublishOutcome;
using cim::agent::TaskMachine;
using cim::agent::TimerKind;
using nlohmann::json;
namespace effect = cim::agent::effect;

namespace {

constexpr std::int64_t accept_ms = 30000;
constexpr std::int64_t queue_ms = 120000;
constexpr std::int64_t response_ms = 180000;

cim::agent::MachineSettings settings(int alice_capacity = 2, int bob_capacity = 2) {
    cim::agent::MachineSettings s;
    s.agents = {{"alice", "Alice", alice_capacity}, {"bob", "Bob", bob_capacity}};
    s.wrapup_categories = {"Resolved", "Billing"};
    s.accept_timeout = std::chrono::milliseconds(accept_ms);
    s.queue_timeout = std::chrono::milliseconds(queue_ms);
    s.response_timeout = std::chrono::milliseconds(response_ms);
    return s;
}

TaskMachine machine(cim::agent::MachineSettings s = settings()) {
    auto counter = std::make_shared<int>(0);
    return TaskMachine(std::move(s), [counter] { return "id" + std::to_string(++*counter); });
}

ConsumedEvent find_agent(const std::string& conversation) {
    return {"ACTION_MESSAGE", conversation, "session-" + conversation, "customer-" + conversation, "FIND_AGENT", std::nullopt};
}

ConsumedEvent customer_message(const std::string& conversation, const std::string& text) {
    return {"CUSTOMER_MESSAGE", conversation, "session-" + conversation, "customer-" + conversation, "",
            json{{"eventId", "e-" + text}, {"kind", "message"}, {"text", text}}};
}

template <class T>
std::vector<T> all(const Effects& effects) {
    std::vector<T> found;
    for (const Effect& e : effects) {
        if (const T* t = std::get_if<T>(&e)) found.push_back(*t);
    }
    return found;
}

std::vector<std::string> published_names(const Effects& effects) {
    std::vector<std::string> names;
    for (const auto& p : all<effect::Publish>(effects)) names.push_back(p.event.name());
    return names;
}

// The one publish named `name` (fails the test when there is not exactly one).
effect::Publish the_publish(const Effects& effects, const std::string& name) {
    std::vector<effect::Publish> found;
    for (const auto& p : all<effect::Publish>(effects)) {
        if (p.event.name() == name) found.push_back(p);
    }
    REQUIRE(found.size() == 1);
    return found.front();
}

json data_of(const effect::Publish& p) { return json::parse(p.event.data_text()); }

std::vector<json> frames_to(const Effects& effects, const std::string& agent) {
    std::vector<json> frames;
    for (const auto& s : all<effect::SendToDesk>(effects)) {
        if (s.agent_id == agent) frames.push_back(s.frame);
    }
    return frames;
}

std::vector<std::string> frame_types_to(const Effects& effects, const std::string& agent) {
    std::vector<std::string> types;
    for (const json& f : frames_to(effects, agent)) types.push_back(f["type"]);
    return types;
}

std::vector<json> replies(const Effects& effects) {
    std::vector<json> frames;
    for (const auto& r : all<effect::Reply>(effects)) frames.push_back(r.frame);
    return frames;
}

std::string the_error(const Effects& effects) {
    const auto frames = replies(effects);
    REQUIRE(frames.size() == 1);
    REQUIRE(frames.front()["type"] == "error");
    return frames.front()["error"];
}

std::uint64_t token(std::uint64_t seq, TimerKind kind) { return TaskMachine::token_of(seq, kind); }

bool arms(const Effects& effects, std::uint64_t t, std::int64_t deadline) {
    for (const auto& a : all<effect::ArmTimer>(effects)) {
        if (a.token == t && a.deadline_ms == deadline) return true;
    }
    return false;
}

bool disarms(const Effects& effects, std::uint64_t t) {
    for (const auto& d : all<effect::DisarmTimer>(effects)) {
        if (d.token == t) return true;
    }
    return false;
}

// What a TaskPersistence would hold after running every Persist*/Forget* effect.
struct Store {
    std::map<std::string, json> tasks;
    json queue;

    void apply(const Effects& effects) {
        for (const Effect& e : effects) {
            if (const auto* p = std::get_if<effect::PersistTask>(&e)) tasks[p->conversation_id] = p->task;
            if (const auto* f = std::get_if<effect::ForgetTask>(&e)) tasks.erase(f->conversation_id);
            if (const auto* q = std::get_if<effect::PersistQueue>(&e)) queue = q->queue;
        }
    }
    std::vector<json> all_tasks() const {
        std::vector<json> list;
        for (const auto& [id, t] : tasks) list.push_back(t);
        return list;
    }
};

// Runs `effects` into `store` and returns them, for chains of steps.
Effects kept(Store& store, Effects effects) {
    store.apply(effects);
    return effects;
}

// The pending publish of `name` in `effects`, answered with `outcome`.
Effects answer(TaskMachine& m, const Effects& effects, const std::string& name, PublishOutcome outcome, std::int64_t now) {
    const auto p = the_publish(effects, name);
    REQUIRE(p.pending.has_value());
    return m.published(*p.pending, outcome, now);
}

// alice online at 0, c1 offered to her at 1000 and accepted: alice owns c1.
void alice_owns_c1(TaskMachine& m, Store* store = nullptr) {
    auto step = [&](Effects e) {
        if (store) store->apply(e);
        return e;
    };
    step(m.login("alice", true, 0));
    step(m.consume(find_agent("c1"), 1000));
    const Effects accepted = step(m.accept("alice", "c1", 2000));
    step(answer(m, accepted, "AGENT_SUBSCRIBED", {}, 2000));
    REQUIRE(m.record("c1")->owners == std::set<std::string>{"alice"});
}

}  // namespace

TEST_CASE("a queued conversation is offered to an online agent, with the offer's absolute deadline") {
    TaskMachine m = machine();
    CHECK(m.login("alice", true, 0).size() == 3);  // welcome, the log line, AGENT_STATE_CHANGED: nothing waits yet
    const Effects e = m.consume(find_agent("c1"), 1000);
    CHECK(published_names(e) == std::vector<std::string>{"TASK_ENQUEUED", "TASK_STATE_CHANGED", "AGENT_RESERVED",
                                                         "TASK_STATE_CHANGED"});
    const json enqueued = data_of(the_publish(e, "TASK_ENQUEUED"));
    CHECK(enqueued["state"] == "QUEUED");
    CHECK(enqueued["reason"] == "the bot asked for an agent");
    CHECK(enqueued["conversationId"] == "c1");
    CHECK(enqueued["enqueuedAt"] == 1000);
    CHECK(enqueued["agentsOnline"] == 1);  // alice: the bot tells the customer whether anyone is there
    CHECK(data_of(the_publish(e, "AGENT_RESERVED")) == json{{"taskId", "task-id1"}, {"agentId", "alice"}, {"agentName", "Alice"}});
    const auto reserved = the_publish(e, "AGENT_RESERVED");
    CHECK(reserved.event.emitter_type() == cim::EmitterType::app);
    CHECK(reserved.event.emitter_id() == "agent-manager");
    CHECK(reserved.event.channel_session_id() == "session-c1");
    CHECK(reserved.event.customer_id() == "customer-c1");
    CHECK(arms(e, token(1, TimerKind::queue), 1000 + queue_ms));
    CHECK(arms(e, token(1, TimerKind::offer), 1000 + accept_ms));
    for (const auto& a : all<effect::ArmTimer>(e)) CHECK(a.conversation_id == "c1");  // the persistent timer's scope
    const auto sends = all<effect::SendToDesk>(e);
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].agent_id == "alice");
    CHECK(sends[0].frame == json{{"type", "offer"}, {"conversationId", "c1"}, {"customerId", "customer-c1"},
                                 {"taskId", "task-id1"}, {"expiresAt", 1000 + accept_ms}});
    CHECK(sends[0].transcript_of == "c1");
    // The state is persisted in front of everything else the step does.
    REQUIRE(std::holds_alternative<effect::PersistTask>(e.front()));
    CHECK(std::get<effect::PersistTask>(e.front()).task["task"]["state"] == "RESERVED");
    // Asking again while it waits changes nothing.
    CHECK(published_names(m.consume(find_agent("c1"), 1500)).empty());
}

TEST_CASE("waiting tasks keep arrival order and go to the longest idle agent within capacity") {
    TaskMachine m = machine(settings(1, 1));
    Store store;
    kept(store, m.consume(find_agent("c1"), 100));
    kept(store, m.consume(find_agent("c2"), 200));
    kept(store, m.consume(find_agent("c3"), 300));
    CHECK(store.queue["order"] == json::array({"c1", "c2", "c3"}));
    CHECK(store.queue["nextSeq"] == 4);
    kept(store, m.login("bob", true, 400));
    // Bob, alone, takes the first; the others wait for a free slot.
    CHECK(m.record("c1")->task->agent_id == "bob");
    CHECK(m.record("c2")->task->state == cim::agent::TaskState::queued);
    // Alice logs in: bob's one slot is taken, so the next waiting task is hers; the third waits on.
    const Effects e = kept(store, m.login("alice", true, 1000));
    CHECK(frame_types_to(e, "alice") == std::vector<std::string>{"offer"});
    CHECK(frames_to(e, "alice")[0]["conversationId"] == "c2");
    CHECK(m.record("c3")->task->state == cim::agent::TaskState::queued);
    CHECK(store.queue["order"] == json::array({"c1", "c2", "c3"}));
}

TEST_CASE("an offer that times out goes to the next agent, and the agent who let it expire is skipped") {
    TaskMachine m = machine();
    m.login("alice", true, 0);
    m.login("bob", true, 500);
    m.consume(find_agent("c1"), 1000);
    REQUIRE(m.record("c1")->task->agent_id == "alice");
    // A firing before the deadline (an earlier arming of the same token, cancelled too late) arms it again.
    const Effects early = m.timer_fired(token(1, TimerKind::offer), 1000 + accept_ms - 1);
    CHECK(published_names(early).empty());
    CHECK(arms(early, token(1, TimerKind::offer), 1000 + accept_ms));

    const std::int64_t at = 1000 + accept_ms;
    const Effects e = m.timer_fired(token(1, TimerKind::offer), at);
    CHECK(published_names(e) ==
          std::vector<std::string>{"ACCEPT_TIMEOUT", "TASK_STATE_CHANGED", "AGENT_RESERVED", "TASK_STATE_CHANGED"});
    CHECK(data_of(the_publish(e, "ACCEPT_TIMEOUT")) == json{{"taskId", "task-id1"}, {"agentId", "alice"}});
    CHECK(frames_to(e, "alice") == std::vector<json>{{{"type", "offer_withdrawn"}, {"conversationId", "c1"}, {"reason", "ACCEPT_TIMEOUT"}}});
    CHECK(frame_types_to(e, "bob") == std::vector<std::string>{"offer"});
    CHECK(arms(e, token(1, TimerKind::offer), at + accept_ms));
    CHECK(m.record("c1")->task->timed_out == std::set<std::string>{"alice"});
    // Alice can no longer take it; bob lets it time out too: it waits, offered to nobody.
    CHECK(the_error(m.accept("alice", "c1", at + 1)) == "conversation 'c1' is not offered to you");
    const Effects again = m.timer_fired(token(1, TimerKind::offer), at + accept_ms);
    CHECK(published_names(again) == std::vector<std::string>{"ACCEPT_TIMEOUT", "TASK_STATE_CHANGED"});
    CHECK(m.record("c1")->task->state == cim::agent::TaskState::queued);
    // A timer fired once is disarmed: a repeat is ignored.
    CHECK(m.timer_fired(token(1, TimerKind::offer), at + 2 * accept_ms).empty());
}

TEST_CASE("a declined offer is withdrawn and goes to the next agent at once") {
    TaskMachine m = machine();
    m.login("alice", true, 0);
    m.login("bob", true, 500);
    m.consume(find_agent("c1"), 1000);
    CHECK(the_error(m.decline("bob", "c1", 1100)) == "conversation 'c1' is not offered to you");
    const Effects e = m.decline("alice", "c1", 1200);
    CHECK(published_names(e) == std::vector<std::string>{"TASK_STATE_CHANGED", "AGENT_RESERVED", "TASK_STATE_CHANGED"});
    CHECK(data_of(all<effect::Publish>(e)[0])["reason"] == "DECLINED");
    CHECK(disarms(e, token(1, TimerKind::offer)));
    CHECK(arms(e, token(1, TimerKind::offer), 1200 + accept_ms));
    CHECK(frames_to(e, "alice")[0]["reason"] == "DECLINED");
    CHECK(frame_types_to(e, "bob") == std::vector<std::string>{"offer"});
}

TEST_CASE("an accept is decided by the runtime's answer to AGENT_SUBSCRIBED") {
    TaskMachine m = machine();
    m.login("alice", true, 0);
    m.consume(find_agent("c1"), 1000);
    CHECK(the_error(m.accept("bob", "c1", 1500)) == "conversation 'c1' is not offered to you");
    CHECK(the_error(m.accept("alice", "nope", 1500)) == "conversation 'nope' is not offered to you");

    const Effects asked = m.accept("alice", "c1", 2000);
    CHECK(published_names(asked) == std::vector<std::string>{"AGENT_SUBSCRIBED"});
    const auto subscribe = the_publish(asked, "AGENT_SUBSCRIBED");
    CHECK(subscribe.event.emitter_type() == cim::EmitterType::agent);
    CHECK(subscribe.event.emitter_name() == "Alice");
    CHECK(data_of(subscribe) == json{{"role", "PRIMARY"}, {"taskId", "task-id1"}});
    CHECK(m.accept("alice", "c1", 2001).empty());  // a second desk's accept meanwhile: the first one's answer goes to all

    SECTION("accepted") {
        const Effects e = answer(m, asked, "AGENT_SUBSCRIBED", {}, 2100);
        CHECK(published_names(e) == std::vector<std::string>{"TASK_STATE_CHANGED"});
        CHECK(data_of(all<effect::Publish>(e)[0])["state"] == "ACTIVE");
        CHECK(disarms(e, token(1, TimerKind::offer)));
        CHECK(disarms(e, token(1, TimerKind::queue)));
        const auto sends = all<effect::SendToDesk>(e);
        REQUIRE(sends.size() == 1);
        CHECK(sends[0].frame == json{{"type", "assigned"}, {"conversationId", "c1"}, {"customerId", "customer-c1"}});
        CHECK(sends[0].transcript_of == "c1");
        const auto record = m.record("c1");
        CHECK(record->owners == std::set<std::string>{"alice"});
        CHECK_FALSE(record->task.has_value());
        CHECK(all<effect::PersistQueue>(e).at(0).queue["order"] == json::array());
        // The offer's timer, had it fired in between, is gone.
        CHECK(m.timer_fired(token(1, TimerKind::offer), 1000 + accept_ms).empty());
    }
    SECTION("refused: the offer stands") {
        const Effects e = answer(m, asked, "AGENT_SUBSCRIBED", {false, true, "busy"}, 2100);
        CHECK(the_error(e) == "the runtime did not accept the subscription; try again");
        CHECK(published_names(e).empty());
        CHECK(m.record("c1")->task->agent_id == "alice");
        CHECK(published_names(m.accept("alice", "c1", 2200)) == std::vector<std::string>{"AGENT_SUBSCRIBED"});
    }
    SECTION("refused after the offer ran out: it times out then") {
        // The timer fires while the runtime is being asked: held until the answer.
        CHECK(published_names(m.timer_fired(token(1, TimerKind::offer), 1000 + accept_ms)).empty());
        const Effects e = answer(m, asked, "AGENT_SUBSCRIBED", {false, false, "refused"}, 1000 + accept_ms + 5);
        CHECK(published_names(e) == std::vector<std::string>{"ACCEPT_TIMEOUT", "TASK_STATE_CHANGED"});
        CHECK(frame_types_to(e, "alice") == std::vector<std::string>{"offer_withdrawn"});
    }
    SECTION("the customer leaves while the runtime is asked: decided after the answer") {
        const Effects left = m.consume({"CHANNEL_SESSION_ENDED", "c1", "session-c1", "customer-c1", "", std::nullopt}, 2050);
        CHECK(published_names(left).empty());
        const Effects e = answer(m, asked, "AGENT_SUBSCRIBED", {}, 2100);
        CHECK(published_names(e) == std::vector<std::string>{"TASK_STATE_CHANGED"});
        CHECK(frame_types_to(e, "alice") == std::vector<std::string>{"assigned", "event"});
        CHECK(frames_to(e, "alice")[1]["entry"]["text"] == "The customer's session ended.");
        CHECK(m.record("c1")->owners == std::set<std::string>{"alice"});  // stays to wrap up
    }
}

TEST_CASE("only an owner acts on a conversation, and events reach the owners and the agent it is offered to") {
    TaskMachine m = machine();
    alice_owns_c1(m);
    m.login("bob", true, 3000);
    for (const auto& refused : {m.say("bob", "c1", "hi", false, 3100), m.say("bob", "c1", "hi", true, 3100),
                                m.read("bob", "c1", "e1", 3100), m.wrap_up("bob", "c1", {"Resolved"}, "", 3100),
                                m.leave("bob", "c1", 3100), m.transcript("bob", "c1", 3100)}) {
        CHECK(the_error(refused) == "conversation 'c1' is not yours");
        CHECK(replies(refused)[0]["conversationId"] == "c1");
        CHECK(published_names(refused).empty());
    }
    const Effects shown = m.consume(customer_message("c1", "private"), 3200);
    CHECK(frame_types_to(shown, "alice") == std::vector<std::string>{"event"});
    CHECK(frames_to(shown, "bob").empty());
    // A conversation nobody has to do with is ignored.
    CHECK(m.consume(customer_message("elsewhere", "x"), 3300).empty());
    // A suggestion goes to owners only, never to the agent a conversation is merely offered to.
    m.consume(find_agent("c2"), 3400);
    const std::string offered = m.record("c2")->task->agent_id;
    ConsumedEvent suggestion{"BOT_SUGGESTION", "c2", "", "", "", json{{"kind", "suggestion"}}};
    CHECK(frames_to(m.consume(suggestion, 3500), offered).empty());
    CHECK(frame_types_to(m.consume(customer_message("c2", "hello"), 3600), offered) == std::vector<std::string>{"event"});
}

TEST_CASE("a customer waiting for the owner's answer raises AGENT_RESPONSE_TIMEOUT once, until the next message") {
    TaskMachine m = machine();
    alice_owns_c1(m);
    const Effects first = m.consume(customer_message("c1", "hello?"), 10000);
    CHECK(arms(first, token(1, TimerKind::response), 10000 + response_ms));
    CHECK(all<effect::ArmTimer>(m.consume(customer_message("c1", "anyone?"), 11000)).empty());  // armed already

    SECTION("the owner answers in time") {
        const Effects asked = m.say("alice", "c1", "here", false, 12000);
        const auto message = the_publish(asked, "AGENT_MESSAGE");
        CHECK(message.event.id() == "id3");
        CHECK(data_of(message)["id"] == "agent-id2");
        CHECK(data_of(message)["body"] == json{{"type", "PLAIN"}, {"markdownText", "here"}});
        CHECK(data_of(message)["header"]["sender"] == json{{"id", "alice"}, {"type", "AGENT"}, {"name", "Alice"}});
        CHECK(all<effect::DisarmTimer>(asked).empty());  // not before the runtime took the message
        const Effects sent = answer(m, asked, "AGENT_MESSAGE", {}, 12001);
        CHECK(disarms(sent, token(1, TimerKind::response)));
        CHECK(frames_to(sent, "alice").at(0)["entry"]["text"] == "here");
        CHECK(m.record("c1")->response_deadline_ms == 0);
        CHECK(m.timer_fired(token(1, TimerKind::response), 10000 + response_ms).empty());
    }
    SECTION("a whisper does not count as an answer") {
        const Effects asked = m.say("alice", "c1", "psst", true, 12000);
        const Effects sent = answer(m, asked, "WHISPER_MESSAGE", {}, 12001);
        CHECK(all<effect::DisarmTimer>(sent).empty());
        CHECK(frames_to(sent, "alice").at(0)["entry"]["kind"] == "whisper");
        const Effects fired = m.timer_fired(token(1, TimerKind::response), 10000 + response_ms);
        CHECK(data_of(the_publish(fired, "AGENT_RESPONSE_TIMEOUT")) ==
              json{{"agentIds", {"alice"}}, {"timeoutMs", response_ms}});
        // The next customer message arms it again.
        CHECK(arms(m.consume(customer_message("c1", "?"), 200000), token(1, TimerKind::response), 200000 + response_ms));
    }
    SECTION("a message the runtime refuses is not shown and keeps the timer") {
        CHECK(the_error(m.say("alice", "c1", "", false, 12000)) == "text is required (at most 4000 bytes)");
        CHECK(the_error(m.say("alice", "c1", std::string(4001, 'x'), false, 12000)) == "text is required (at most 4000 bytes)");
        const Effects asked = m.say("alice", "c1", "here", false, 12000);
        CHECK(the_error(answer(m, asked, "AGENT_MESSAGE", {false, true, ""}, 12001)) == "busy: not sent, please retry");
        CHECK(the_error(answer(m, asked, "AGENT_MESSAGE", {false, false, "no"}, 12001)) == "not sent: no");
        CHECK(m.record("c1")->response_deadline_ms == 10000 + response_ms);
    }
}

TEST_CASE("a wrap-up needs known categories and is shown once the runtime recorded it") {
    TaskMachine m = machine();
    alice_owns_c1(m);
    CHECK(the_error(m.wrap_up("alice", "c1", {}, "", 5000)) == "choose at least one wrap-up category");
    CHECK(the_error(m.wrap_up("alice", "c1", {"Resolved", "Lunch"}, "", 5000)) == "unknown wrap-up category 'Lunch'");
    const Effects asked = m.wrap_up("alice", "c1", {"Resolved", "Billing"}, "paid twice", 5000);
    const json data = data_of(the_publish(asked, "WRAPUP_APPLIED"));
    CHECK(data["body"]["type"] == "WRAPUP");
    CHECK(data["body"]["wrapups"] == json::array({{{"categories", {"Resolved", "Billing"}}, {"note", "paid twice"}}}));
    CHECK(data["id"] == "wrapup-id2");
    const Effects shown = answer(m, asked, "WRAPUP_APPLIED", {}, 5001);
    CHECK(frames_to(shown, "alice").at(0)["entry"]["text"] == "Alice wrapped up: Resolved, Billing");
    CHECK(the_error(answer(m, asked, "WRAPUP_APPLIED", {false, false, "x"}, 5002)) == "the wrap-up was not recorded; try again");
}

TEST_CASE("leaving frees the slot, forgets the conversation and offers the next waiting one") {
    TaskMachine m = machine(settings(1, 1));
    Store store;
    alice_owns_c1(m, &store);
    kept(store, m.consume(find_agent("c2"), 3000));
    CHECK(m.record("c2")->task->state == cim::agent::TaskState::queued);  // alice's only slot is taken
    const Effects asked = kept(store, m.leave("alice", "c1", 4000));
    CHECK(data_of(the_publish(asked, "AGENT_UNSUBSCRIBED")) == json{{"role", "PRIMARY"}});
    CHECK(m.leave("alice", "c1", 4001).empty());  // already leaving from another desk

    SECTION("refused") {
        const Effects e = answer(m, asked, "AGENT_UNSUBSCRIBED", {false, false, "x"}, 4100);
        CHECK(frames_to(e, "alice").at(0)["error"] == "leaving was not recorded; try again");
        CHECK(m.record("c1")->owners == std::set<std::string>{"alice"});
    }
    SECTION("recorded") {
        const Effects e = kept(store, answer(m, asked, "AGENT_UNSUBSCRIBED", {}, 4100));
        CHECK(frame_types_to(e, "alice") == std::vector<std::string>{"closed", "offer"});
        CHECK(all<effect::ForgetTask>(e).at(0).conversation_id == "c1");
        CHECK_FALSE(m.record("c1").has_value());
        CHECK(store.tasks.count("c1") == 0);
        CHECK(m.record("c2")->task->agent_id == "alice");
    }
}

TEST_CASE("the queue's wait running out closes the task, also when it runs out during an offer") {
    TaskMachine m = machine();
    Store store;
    kept(store, m.consume(find_agent("c1"), 0));
    SECTION("nobody online") {
        const Effects e = kept(store, m.timer_fired(token(1, TimerKind::queue), queue_ms));
        CHECK(published_names(e) == std::vector<std::string>{"NO_AGENT_AVAILABLE", "TASK_STATE_CHANGED"});
        CHECK(data_of(the_publish(e, "NO_AGENT_AVAILABLE"))["waitedMs"] == queue_ms);
        CHECK(data_of(all<effect::Publish>(e)[1])["state"] == "CLOSED");
        CHECK(store.tasks.empty());
        CHECK(store.queue["order"] == json::array());
        // Asked again, it is a new task with a new seq (and so new timer tokens).
        const Effects again = m.consume(find_agent("c1"), queue_ms + 1);
        CHECK(arms(again, token(2, TimerKind::queue), queue_ms + 1 + queue_ms));
    }
    SECTION("during an offer") {
        m.login("alice", true, queue_ms - 10);
        CHECK(published_names(m.timer_fired(token(1, TimerKind::queue), queue_ms)).empty());
        CHECK(m.record("c1")->queue_expired);
        const Effects e = m.timer_fired(token(1, TimerKind::offer), queue_ms - 10 + accept_ms);
        CHECK(published_names(e) ==
              std::vector<std::string>{"ACCEPT_TIMEOUT", "TASK_STATE_CHANGED", "NO_AGENT_AVAILABLE", "TASK_STATE_CHANGED"});
        CHECK(m.conversation_count() == 0);
    }
}

TEST_CASE("a customer who leaves cancels the waiting task and withdraws the offer") {
    TaskMachine m = machine();
    m.login("alice", true, 0);
    m.consume(find_agent("c1"), 1000);
    const Effects e = m.consume({"CHANNEL_SESSION_EXPIRED", "c1", "", "", "", std::nullopt}, 2000);
    CHECK(published_names(e) == std::vector<std::string>{"TASK_STATE_CHANGED"});
    CHECK(data_of(all<effect::Publish>(e)[0])["state"] == "CANCELED");
    CHECK(data_of(all<effect::Publish>(e)[0])["reason"] == "CUSTOMER_LEFT");
    CHECK(frames_to(e, "alice").at(0) == json{{"type", "offer_withdrawn"}, {"conversationId", "c1"}, {"reason", "CUSTOMER_LEFT"}});
    CHECK(disarms(e, token(1, TimerKind::offer)));
    CHECK(disarms(e, token(1, TimerKind::queue)));
    CHECK(all<effect::ForgetTask>(e).size() == 1);
    CHECK(m.conversation_count() == 0);
}

TEST_CASE("a task record survives to_json and back, and a damaged one is refused by name") {
    TaskMachine m = machine();
    m.login("alice", true, 0);
    m.login("bob", true, 1);
    m.consume(find_agent("c1"), 1000);
    m.timer_fired(token(1, TimerKind::offer), 1000 + accept_ms);  // alice timed out: offered to bob
    const cim::agent::TaskRecord record = *m.record("c1");
    const json j = to_json(record);
    const cim::agent::TaskRecord back = cim::agent::task_record_from_json(j);
    CHECK(to_json(back) == j);
    CHECK(back.task->timed_out == std::set<std::string>{"alice"});
    CHECK(back.offer_deadline_ms == 1000 + 2 * accept_ms);
    CHECK(back.queue_deadline_ms == 1000 + queue_ms);

    json broken = j;
    broken["task"]["state"] = "LOST";
    CHECK_THROWS_WITH(cim::agent::task_record_from_json(broken), Catch::Contains("'task.state' must be QUEUED or RESERVED"));
    broken = j;
    broken.erase("seq");
    CHECK_THROWS_WITH(cim::agent::task_record_from_json(broken), Catch::Contains("'seq' must be an integer"));
    broken = j;
    broken["owners"] = json::array({1});
    CHECK_THROWS_WITH(cim::agent::task_record_from_json(broken), Catch::Contains("'owners' must be an array of strings"));
}

TEST_CASE("a restored machine re-arms its timers at their original deadlines with the same tokens") {
    TaskMachine before = machine();
    Store store;
    alice_owns_c1(before, &store);                                      // seq 1, owned by alice
    kept(store, before.consume(customer_message("c1", "hello?"), 5000));  // response timer at 5000 + 3m
    kept(store, before.login("bob", true, 6000));
    kept(store, before.consume(find_agent("c2"), 7000));  // seq 2, to alice: idle since her offer at 1000, bob since 6000
    kept(store, before.consume(find_agent("c3"), 7500));  // seq 3, to bob
    REQUIRE(before.record("c2")->task->agent_id == "alice");
    REQUIRE(before.record("c3")->task->agent_id == "bob");

    TaskMachine after = machine();
    const std::int64_t now = 8000;  // nothing due yet
    const Effects e = after.restore(store.all_tasks(), store.queue, now);
    CHECK(published_names(e).empty());
    CHECK(arms(e, token(1, TimerKind::response), 5000 + response_ms));
    CHECK(arms(e, token(2, TimerKind::offer), 7000 + accept_ms));
    CHECK(arms(e, token(2, TimerKind::queue), 7000 + queue_ms));
    CHECK(arms(e, token(3, TimerKind::offer), 7500 + accept_ms));
    CHECK(arms(e, token(3, TimerKind::queue), 7500 + queue_ms));
    CHECK(all<effect::ArmTimer>(e).size() == 5);
    for (const std::string id : {"c1", "c2", "c3"}) CHECK(to_json(*after.record(id)) == to_json(*before.record(id)));
    // The restored timers fire as the original ones would have.
    const Effects fired = after.timer_fired(token(2, TimerKind::offer), 7000 + accept_ms);
    CHECK(data_of(the_publish(fired, "ACCEPT_TIMEOUT"))["agentId"] == "alice");
    // New records continue the sequence: no token of a restored record is reused.
    after.consume(find_agent("c4"), 9000);
    CHECK(after.record("c4")->seq == 4);
}

TEST_CASE("a restore fires at once what fell due while the runtime was down") {
    TaskMachine before = machine();
    Store store;
    kept(store, before.login("alice", true, 0));
    kept(store, before.consume(find_agent("c1"), 1000));  // offered to alice until 31000, queued until 121000
    kept(store, before.consume(find_agent("c2"), 2000));  // offered to alice too (capacity 2)

    TaskMachine after = machine();
    const std::int64_t now = 1000 + accept_ms + 500;  // c1's offer is due, c2's is not
    const Effects e = after.restore(store.all_tasks(), store.queue, now);
    // Nobody is online after a restart: c1 simply waits again.
    CHECK(published_names(e) == std::vector<std::string>{"ACCEPT_TIMEOUT", "TASK_STATE_CHANGED"});
    CHECK(data_of(the_publish(e, "ACCEPT_TIMEOUT"))["taskId"] == store.tasks["c1"]["task"]["id"]);
    CHECK(frames_to(e, "alice").at(0)["type"] == "offer_withdrawn");
    CHECK(arms(e, token(2, TimerKind::offer), 2000 + accept_ms));
    CHECK_FALSE(arms(e, token(1, TimerKind::offer), 1000 + accept_ms));
    CHECK(after.record("c1")->task->state == cim::agent::TaskState::queued);
    CHECK(std::holds_alternative<effect::PersistTask>(e.front()));  // what the firing changed is persisted
    CHECK_THROWS_AS(after.restore(store.all_tasks(), store.queue, now), std::logic_error);
}

TEST_CASE("after a restore, an agent logging in gets back their conversations and their pending offer") {
    TaskMachine before = machine();
    Store store;
    alice_owns_c1(before, &store);
    kept(store, before.consume(find_agent("c2"), 3000));  // offered to alice: her second slot

    TaskMachine after = machine();
    after.restore(store.all_tasks(), store.queue, 4000);
    const Effects e = after.login("alice", true, 4000);
    const auto back = all<effect::Reply>(e);
    REQUIRE(back.size() == 3);
    CHECK(back[0].frame["type"] == "welcome");
    CHECK(back[0].frame["agent"] == json{{"id", "alice"}, {"name", "Alice"}, {"capacity", 2}});
    CHECK(back[0].frame["wrapupCategories"] == json::array({"Resolved", "Billing"}));
    CHECK(back[1].frame == json{{"type", "assigned"}, {"conversationId", "c1"}, {"customerId", "customer-c1"}});
    CHECK(back[1].transcript_of == "c1");
    CHECK(back[2].frame["type"] == "offer");
    CHECK(back[2].frame["expiresAt"] == 3000 + accept_ms);  // the real deadline, not a fresh countdown
    // Her slots are taken by what she had: no further offer.
    after.consume(find_agent("c3"), 4100);
    CHECK(after.record("c3")->task->state == cim::agent::TaskState::queued);
    // And she works on as before the restart.
    CHECK(published_names(after.say("alice", "c1", "back", false, 4200)) == std::vector<std::string>{"AGENT_MESSAGE"});
    // A second desk gets the same, without a second "online".
    const Effects second = after.login("alice", false, 4300);
    CHECK(all<effect::Reply>(second).size() == 3);
    CHECK(all<effect::Log>(second).empty());
}

TEST_CASE("a restore skips a damaged record and drops what belonged to an agent no longer configured") {
    TaskMachine before = machine(settings(1, 2));
    Store store;
    alice_owns_c1(before, &store);
    kept(store, before.login("bob", true, 2500));
    kept(store, before.consume(find_agent("c2"), 3000));  // offered to bob
    REQUIRE(before.record("c2")->task->agent_id == "bob");

    cim::agent::MachineSettings only_alice = settings();
    only_alice.agents = {{"alice", "Alice", 2}};
    TaskMachine after = machine(only_alice);
    std::vector<json> tasks = store.all_tasks();
    tasks.push_back(json{{"conversationId", "c9"}});
    const Effects e = after.restore(tasks, store.queue, 3100);
    const auto logs = all<effect::Log>(e);
    REQUIRE(logs.size() == 2);
    CHECK(logs[0].level == cim::LogLevel::warn);
    CHECK(logs[0].message.find("'customerId' must be a string") != std::string::npos);
    CHECK(logs[1].message.find("the offer to 'bob'") != std::string::npos);
    CHECK(after.record("c2")->task->state == cim::agent::TaskState::queued);
    CHECK(after.conversation_count() == 2);
    CHECK_FALSE(arms(e, token(2, TimerKind::offer), 3000 + accept_ms));
    // Alice logs in: the waiting task is hers now.
    const Effects login = after.login("alice", true, 3200);
    CHECK(frame_types_to(login, "alice") == std::vector<std::string>{"offer"});
}

// ---- agent status (task_machine_status.cpp) ----------------------------------------------------------------------

TEST_CASE("an agent who is BUSY or AWAY is not offered a task, and READY again dispatches it at once") {
    TaskMachine m = machine();
    m.login("alice", true, 0);
    const Effects away = m.set_status("alice", "AWAY", 100);
    CHECK(published_names(away) == std::vector<std::string>{"cimrt.AGENT_STATE_CHANGED"});
    CHECK(data_of(all<effect::Publish>(away)[0])["state"] == "AWAY");
    CHECK(frame_types_to(away, "alice") == std::vector<std::string>{"status"});
    Effects e = m.consume(find_agent("c1"), 1000);
    CHECK(frame_types_to(e, "alice").empty());
    CHECK(data_of(the_publish(e, "TASK_ENQUEUED"))["agentsReady"] == 0);
    CHECK(data_of(the_publish(e, "TASK_ENQUEUED"))["agentsOnline"] == 1);
    CHECK(frame_types_to(m.set_status("alice", "BUSY", 1100), "alice") == std::vector<std::string>{"status"});
    e = m.set_status("alice", "READY", 1200);
    CHECK(frame_types_to(e, "alice") == std::vector<std::string>{"status", "offer"});
    // The same status again changes nothing: this desk is told where it stands, nothing is published.
    e = m.set_status("alice", "READY", 1300);
    CHECK(published_names(e).empty());
    CHECK(replies(e).at(0)["type"] == "status");
    CHECK(the_error(m.set_status("alice", "ready", 1400)) == "unknown status 'ready' (READY, BUSY or AWAY)");
}

TEST_CASE("the N-th offer an agent lets time out in a row sets them AWAY before the task is offered again") {
    auto s = settings(1, 1);
    s.auto_away_after_missed_offers = 2;
    TaskMachine m = machine(s);
    m.login("alice", true, 0);
    m.consume(find_agent("c1"), 10);  // to alice
    Effects e = m.timer_fired(token(1, TimerKind::offer), 10 + accept_ms);
    CHECK(frame_types_to(e, "alice") == std::vector<std::string>{"offer_withdrawn"});
    m.consume(find_agent("c2"), 40000);  // to alice: she is skipped for c1 only
    e = m.timer_fired(token(2, TimerKind::offer), 40000 + accept_ms);
    const auto frames = frames_to(e, "alice");
    REQUIRE(frames.size() == 2);
    CHECK(frames[1]["type"] == "status");
    CHECK(frames[1]["status"] == "AWAY");
    CHECK(frames[1]["reason"] == "MISSED_OFFERS");
    const json changed = data_of(the_publish(e, "cimrt.AGENT_STATE_CHANGED"));
    CHECK(changed["missedOffers"] == 2);
    CHECK(changed["previousState"] == "READY");
    CHECK(m.status_of("alice") == cim::agent::AgentStatus::away);
    // bob logs in: both waiting tasks are his to take (one at a time), alice gets nothing more.
    e = m.login("bob", true, 80000);
    CHECK(frame_types_to(e, "alice").empty());
}

TEST_CASE("a declined or accepted offer starts the count of missed offers again, 0 never sets anyone away") {
    auto s = settings(3, 1);
    s.auto_away_after_missed_offers = 2;
    TaskMachine m = machine(s);
    m.login("alice", true, 0);
    m.consume(find_agent("c1"), 10);
    m.timer_fired(token(1, TimerKind::offer), 10 + accept_ms);  // one miss
    m.consume(find_agent("c2"), 40000);
    m.decline("alice", "c2", 40001);                          // there: the count starts again
    m.consume(find_agent("c3"), 50000);
    const Effects e = m.timer_fired(token(3, TimerKind::offer), 50000 + accept_ms);
    CHECK(m.status_of("alice") == cim::agent::AgentStatus::ready);
    CHECK(published_names(e) == std::vector<std::string>{"ACCEPT_TIMEOUT", "TASK_STATE_CHANGED"});

    auto never = settings(1, 1);
    never.auto_away_after_missed_offers = 0;
    TaskMachine n = machine(never);
    n.login("alice", true, 0);
    for (int i = 0; i < 5; ++i) {
        const std::string c = "c" + std::to_string(i + 1);
        n.consume(find_agent(c), i * 40000);
        n.timer_fired(token(static_cast<std::uint64_t>(i + 1), TimerKind::offer), i * 40000 + accept_ms);
    }
    CHECK(n.status_of("alice") == cim::agent::AgentStatus::ready);
}

TEST_CASE("the chosen status outlives a logout, and login and logout are published as presence") {
    TaskMachine m = machine();
    m.login("alice", true, 0);
    m.set_status("alice", "BUSY", 10);
    Effects e = m.logout("alice", 20);
    CHECK(data_of(the_publish(e, "cimrt.AGENT_STATE_CHANGED"))["state"] == "OFFLINE");
    CHECK(data_of(the_publish(e, "cimrt.AGENT_STATE_CHANGED"))["previousState"] == "BUSY");
    e = m.login("alice", true, 30);
    CHECK(replies(e).at(0)["status"] == "BUSY");
    const json back = data_of(the_publish(e, "cimrt.AGENT_STATE_CHANGED"));
    CHECK(back["state"] == "BUSY");
    CHECK(back["reason"] == "LOGIN");
    CHECK(published_names(m.login("alice", false, 40)).empty());  // a second desk: no change of presence
}
