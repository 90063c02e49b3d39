// The agent plugin (the agent manager of DESIGN §1): queues conversations that need a person, offers them to agents
// (longest idle first, within each agent's capacity), and serves the agent desk at /agent where agents accept, chat,
// whisper, read, wrap up and leave. Routing state lives here; conversation state stays with the runtime.
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <cim/sdk.hpp>

#include "plugin_common/json_fields.hpp"

#include "agent_config.hpp"
#include "desk_entries.hpp"
#include "desk_frame.hpp"
#include "login_guard.hpp"
#include "password_checker.hpp"
#include "plugin_common/event_loop.hpp"
#include "plugin_common/http_server.hpp"
#include "plugin_common/random_id.hpp"
#include "router.hpp"

std::string_view desk_page();  // plugins/agent/web/desk.html, embedded at build time

namespace cim::agent {
namespace {

using common::string_at;

std::string error_frame(const std::string& message, const std::string& conversation_id = {}) {
    nlohmann::json frame = {{"type", "error"}, {"error", message}};
    if (!conversation_id.empty()) frame["conversationId"] = conversation_id;
    return frame.dump();
}

constexpr const char* manager_id = "agent-manager";
constexpr std::size_t max_text = 4000;

}  // namespace

class AgentPlugin : public cim::Plugin {
public:
    explicit AgentPlugin(const cim::PluginContext& context)
        : cim::Plugin(context),
          config_(AgentConfig::from_json(config())),
          login_guard_(config_.login_free_attempts, config_.login_backoff, config_.login_backoff_max),
          checker_(config_.password_check_threads, config_.max_pending_logins) {
        loop_.set_log([this](cim::LogLevel level, const std::string& message) { log().log(level, message); });
        for (const AgentAccount& a : config_.agents) {
            accounts_[a.id] = a;
            router_.add_agent(a.id, a.capacity);
            // At load, so `cimrt check` shows it as well as `cimrt run`.
            if (a.demo_hash) {
                log().warn("agent '" + a.id + "' uses a demo password hash shipped with cimrt (its password is public): "
                           "anyone can log in as '" + a.id + "'; make a real one with `cimrt hash-password`");
            }
        }
        // An unknown id is checked against a real account's hash (and refused whatever the result), so it costs the
        // same time as a known one: the answer's timing does not tell which ids exist.
        if (!config_.agents.empty()) dummy_hash_ = config_.agents.front().password_hash;
    }

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = "agent";
        m.version = "1.0.0";
        m.description = "agent routing (queue, longest idle, capacity, timeouts) and the agent desk at /agent";
        m.publishes = {"TASK_ENQUEUED",      "TASK_STATE_CHANGED", "AGENT_RESERVED",   "ACCEPT_TIMEOUT",
                       "NO_AGENT_AVAILABLE", "AGENT_SUBSCRIBED",   "AGENT_UNSUBSCRIBED", "AGENT_MESSAGE",
                       "WHISPER_MESSAGE",    "MESSAGE_DELIVERY_NOTIFICATION", "WRAPUP_APPLIED", "AGENT_RESPONSE_TIMEOUT"};
        m.consumes = {"CUSTOMER_MESSAGE",   "BOT_MESSAGE",       "BOT_SUGGESTION",        "ACTION_MESSAGE",
                      "BOT_TIMEOUT",        "BOT_NOT_AVAILABLE",  "THIRD_PARTY_ACTIVITY", "ACTIVITY_REACTION", "MESSAGE_DELIVERY_NOTIFICATION",
                      "CHANNEL_SESSION_ENDED", "CHANNEL_SESSION_EXPIRED"};
        m.config_schema = AgentConfig::schema();
        return m;
    }

    void on_start() {
        web::WebSocketRoute desk;
        desk.path = "/agent/ws";
        desk.on_message = [this](const web::ConnectionPtr& c, std::string_view text) { desk_frame(c, text); };
        desk.on_close = [this](const web::ConnectionPtr& c) { desk_closed(c); };
        server_ = std::make_unique<web::HttpServer>(
            loop_, config_.listen, [this](const web::HttpRequest& r) { return answer(r); },
            std::vector<web::WebSocketRoute>{desk}, config_.server);
        loop_.start();
        server_->start();
        log().info("agent desk: http://" + config_.listen.host + ":" + std::to_string(server_->port()) + "/agent (" +
                   std::to_string(config_.agents.size()) + " agent(s) configured)");
        if (config_.agents.empty()) log().warn("no agents are configured: every queued conversation ends in NO_AGENT_AVAILABLE");
    }

    void on_stop() {
        if (server_) server_->stop();
        checker_.stop();  // before the loop: a verdict posted to a stopped loop is dropped, never run half-way
        loop_.stop();
    }

    void on_event(const cim::Event& event) {
        const std::string_view name = event.name();
        const std::string conversation_id(event.conversation_id());
        std::lock_guard lock(mutex_);
        if (name == "ACTION_MESSAGE") {
            if (string_at(event.data(), "action") == "FIND_AGENT") enqueue(event, "the bot asked for an agent");
            return;
        }
        if (name == "BOT_TIMEOUT" || name == "BOT_NOT_AVAILABLE") {
            if (config_.escalate_on_bot_timeout) {
                enqueue(event, name == "BOT_TIMEOUT" ? "the bot did not answer in time" : "the bot is not available");
            }
            return;
        }
        const auto it = conversations_.find(conversation_id);
        if (it == conversations_.end()) return;  // no agent has anything to do with it
        Conversation& c = it->second;
        if (name == "CHANNEL_SESSION_ENDED" || name == "CHANNEL_SESSION_EXPIRED") {
            customer_left(conversation_id, c, name == "CHANNEL_SESSION_EXPIRED" ? "expired" : "ended");
            return;
        }
        if (name == "CUSTOMER_MESSAGE") {
            if (!event.channel_session_id().empty()) c.channel_session_id = std::string(event.channel_session_id());
            if (!c.owners.empty() && c.response_token == 0) c.response_token = arm(TimerKind::response, conversation_id, config_.response_timeout);
        }
        auto entry = entry_of(event);
        if (!entry) return;
        // Suggestions and receipts are for those working the conversation; an offer shows the conversation so far.
        const bool owners_only = name == "BOT_SUGGESTION" || name == "MESSAGE_DELIVERY_NOTIFICATION";
        send_entry(conversation_id, c, *entry, !owners_only);
    }

    void on_timer(std::uint64_t token) {
        std::lock_guard lock(mutex_);
        const auto it = timers_.find(token);
        if (it == timers_.end()) return;  // cancelled after it fired
        const Timer timer = it->second;
        timers_.erase(it);
        switch (timer.kind) {
            case TimerKind::accept: offer_expired(timer.key); break;
            case TimerKind::queue: queue_expired(timer.key); break;
            case TimerKind::response: response_expired(timer.key); break;
        }
    }

private:
    enum class TimerKind { accept, queue, response };
    struct Timer {
        TimerKind kind;
        std::string key;  // task id (accept, queue) or conversation id (response)
    };

    // What the plugin knows of a conversation an agent has to do with (queued, offered or owned).
    struct Conversation {
        std::string customer_id;
        std::string channel_session_id;
        std::set<std::string> owners;       // agents subscribed to it
        std::string task_id;                // while queued or offered
        std::uint64_t response_token = 0;   // AGENT_RESPONSE_TIMEOUT armed
    };

    struct TaskTimers {
        std::uint64_t accept = 0;
        std::uint64_t queue = 0;
        bool queue_expired = false;  // the wait ran out while an offer was pending
        std::int64_t offer_expires_at_ms = 0;  // what a reconnecting desk is told, not a fresh countdown
    };

    // ---- HTTP -------------------------------------------------------------------------------------------------

    web::HttpResponse answer(const web::HttpRequest& request) {
        if (request.method == "GET" && (request.path == "/agent" || request.path == "/agent/")) {
            web::HttpResponse response;
            response.content_type = "text/html; charset=utf-8";
            response.body = std::string(desk_page());
            return response;
        }
        if (request.method == "GET" && request.path == "/healthz") {
            return web::HttpResponse::json(200, nlohmann::json{{"status", "ok"},
                                                               {"connections", server_->connection_count()},
                                                               {"peakQueuedBytes", server_->peak_queued_bytes()}}
                                                    .dump());
        }
        return web::HttpResponse::error(404, "no such resource: " + request.method + " " + request.path);
    }

    // ---- publishing -------------------------------------------------------------------------------------------

    cim::OutgoingEvent event_for(const char* name, const std::string& conversation_id, const Conversation& c) const {
        return std::move(cim::OutgoingEvent(name)
                             .conversation(conversation_id)
                             .channel_session(c.channel_session_id)
                             .customer(c.customer_id));
    }

    cim::OutgoingEvent from_manager(const char* name, const std::string& conversation_id, const Conversation& c) const {
        return std::move(event_for(name, conversation_id, c).emitter(cim::EmitterType::app, manager_id, "Agent manager"));
    }

    cim::OutgoingEvent from_agent(const char* name, const std::string& conversation_id, const Conversation& c,
                                  const std::string& agent_id) const {
        return std::move(event_for(name, conversation_id, c).emitter(cim::EmitterType::agent, agent_id, accounts_.at(agent_id).name));
    }

    bool publish_or_log(const cim::OutgoingEvent& event) {
        const auto result = publish(event);
        if (!result.ok()) log().warn("could not publish " + event.name() + ": " + result.error);
        return result.ok();
    }

    nlohmann::json task_json(const Task& task, const char* state, const std::string& reason = {}) const {
        nlohmann::json j = {{"id", task.id},
                            {"conversationId", task.conversation_id},
                            {"customerId", task.customer_id},
                            {"state", state},
                            {"enqueuedAt", task.enqueued_at_ms}};
        if (!task.agent_id.empty()) j["agentId"] = task.agent_id;
        if (!reason.empty()) j["reason"] = reason;
        return j;
    }

    void task_state_changed(const Task& task, const char* state, const std::string& reason = {}) {
        const Conversation& c = conversations_.at(task.conversation_id);
        publish_or_log(from_manager("TASK_STATE_CHANGED", task.conversation_id, c).data(task_json(task, state, reason)));
    }

    // ---- timers -----------------------------------------------------------------------------------------------

    std::uint64_t arm(TimerKind kind, const std::string& key, std::chrono::milliseconds delay) {
        const std::uint64_t token = next_token_++;
        timers_[token] = {kind, key};
        schedule(delay, token);
        return token;
    }

    void disarm(std::uint64_t& token) {
        if (token == 0) return;
        timers_.erase(token);
        cancel(token);
        token = 0;
    }

    // ---- routing ----------------------------------------------------------------------------------------------

    void enqueue(const cim::Event& event, const std::string& reason) {
        const std::string conversation_id(event.conversation_id());
        if (conversation_id.empty()) return;
        Conversation& c = conversations_[conversation_id];
        if (!c.task_id.empty() || !c.owners.empty()) return;  // already waiting, or already with an agent
        c.customer_id = std::string(event.customer_id());
        c.channel_session_id = std::string(event.channel_session_id());
        Task task;
        task.id = "task-" + common::random_uuid();
        task.conversation_id = conversation_id;
        task.customer_id = c.customer_id;
        task.channel_session_id = c.channel_session_id;
        task.enqueued_at_ms = host().now_ms();
        const Task& queued = router_.enqueue(std::move(task));
        c.task_id = queued.id;
        publish_or_log(from_manager("TASK_ENQUEUED", conversation_id, c).data(task_json(queued, "QUEUED", reason)));
        task_state_changed(queued, "QUEUED", reason);
        task_timers_[queued.id].queue = arm(TimerKind::queue, queued.id, config_.queue_timeout);
        dispatch();
    }

    // Offers every waiting task that fits an agent now.
    void dispatch() {
        while (auto offer = router_.next_offer(host().now_ms())) {
            const Task& task = *router_.find(offer->task_id);
            const Conversation& c = conversations_.at(task.conversation_id);
            publish_or_log(from_manager("AGENT_RESERVED", task.conversation_id, c)
                               .data({{"taskId", task.id}, {"agentId", offer->agent_id},
                                      {"agentName", accounts_.at(offer->agent_id).name}}));
            task_state_changed(task, "RESERVED");
            auto& timers = task_timers_[task.id];
            timers.accept = arm(TimerKind::accept, task.id, config_.accept_timeout);
            timers.offer_expires_at_ms = host().now_ms() + config_.accept_timeout.count();
            send_to_agent(offer->agent_id, offer_frame(task));
        }
    }

    std::string offer_frame(const Task& task) const {
        const auto timers = task_timers_.find(task.id);
        return nlohmann::json{{"type", "offer"},
                              {"conversationId", task.conversation_id},
                              {"customerId", task.customer_id},
                              {"taskId", task.id},
                              {"expiresAt", timers == task_timers_.end() ? host().now_ms() : timers->second.offer_expires_at_ms},
                              {"transcript", transcript(task.conversation_id)}}
            .dump();
    }

    nlohmann::json transcript(const std::string& conversation_id) const {
        try {
            return transcript_of(host().conversation(conversation_id));
        } catch (const std::exception& e) {
            log().warn("no transcript for " + conversation_id + ": " + e.what());
            return nlohmann::json::array();
        }
    }

    void offer_expired(const std::string& task_id) {
        Task* task = router_.find(task_id);
        if (task == nullptr || task->state != TaskState::reserved) return;
        const std::string agent_id = task->agent_id;
        const std::string conversation_id = task->conversation_id;
        const Conversation& c = conversations_.at(conversation_id);
        task_timers_[task_id].accept = 0;
        publish_or_log(from_manager("ACCEPT_TIMEOUT", conversation_id, c).data({{"taskId", task_id}, {"agentId", agent_id}}));
        send_to_agent(agent_id, withdrawn(conversation_id, "ACCEPT_TIMEOUT"));
        router_.expire_offer(task_id, host().now_ms());
        task_state_changed(*task, "QUEUED", "ACCEPT_TIMEOUT");
        dispatch();
        // The queue's wait ran out during the offer: with nobody else taking it now, nobody is available.
        if (Task* still = router_.find(task_id); still && still->state == TaskState::queued && task_timers_[task_id].queue_expired) {
            no_agent(*still);
        }
    }

    void queue_expired(const std::string& task_id) {
        Task* task = router_.find(task_id);
        if (task == nullptr) return;
        task_timers_[task_id].queue = 0;
        if (task->state == TaskState::reserved) {
            task_timers_[task_id].queue_expired = true;  // decided when the pending offer is accepted or expires
            return;
        }
        no_agent(*task);
    }

    void no_agent(Task& task) {
        const std::string task_id = task.id;
        const std::string conversation_id = task.conversation_id;
        Conversation& c = conversations_.at(conversation_id);
        publish_or_log(from_manager("NO_AGENT_AVAILABLE", conversation_id, c)
                           .data({{"taskId", task_id}, {"waitedMs", host().now_ms() - task.enqueued_at_ms}}));
        task_state_changed(task, "CLOSED", "NO_AGENT_AVAILABLE");
        drop_task(task_id, c);
        forget_if_idle(conversation_id);
    }

    void drop_task(const std::string& task_id, Conversation& c) {
        auto timers = task_timers_[task_id];
        disarm(timers.accept);
        disarm(timers.queue);
        task_timers_.erase(task_id);
        router_.remove(task_id, host().now_ms());
        c.task_id.clear();
    }

    void forget_if_idle(const std::string& conversation_id) {
        const auto it = conversations_.find(conversation_id);
        if (it != conversations_.end() && it->second.owners.empty() && it->second.task_id.empty()) {
            disarm(it->second.response_token);
            conversations_.erase(it);
        }
    }

    void customer_left(const std::string& conversation_id, Conversation& c, const std::string& how) {
        disarm(c.response_token);
        if (!c.task_id.empty()) {
            if (Task* task = router_.find(c.task_id)) {
                if (task->state == TaskState::reserved) send_to_agent(task->agent_id, withdrawn(conversation_id, "CUSTOMER_LEFT"));
                task_state_changed(*task, "CANCELED", "CUSTOMER_LEFT");
                drop_task(task->id, c);
            }
        }
        send_entry(conversation_id, c, status_entry("The customer's session " + how + ".", host().now_ms()), false);
        forget_if_idle(conversation_id);
        dispatch();  // a freed reservation may let another task through
    }

    void response_expired(const std::string& conversation_id) {
        const auto it = conversations_.find(conversation_id);
        if (it == conversations_.end()) return;
        Conversation& c = it->second;
        c.response_token = 0;
        if (c.owners.empty()) return;
        publish_or_log(from_manager("AGENT_RESPONSE_TIMEOUT", conversation_id, c)
                           .data({{"agentIds", c.owners}, {"timeoutMs", config_.response_timeout.count()}}));
    }

    // ---- desk output ------------------------------------------------------------------------------------------

    static std::string withdrawn(const std::string& conversation_id, const char* reason) {
        return nlohmann::json{{"type", "offer_withdrawn"}, {"conversationId", conversation_id}, {"reason", reason}}.dump();
    }

    void send_to_agent(const std::string& agent_id, const std::string& frame) {
        const auto it = desks_.find(agent_id);
        if (it == desks_.end()) return;
        for (const auto& connection : it->second) connection->send(frame);
    }

    // To the owners, and (when `to_offered`) to the agent the conversation is offered to, who sees it live.
    void send_entry(const std::string& conversation_id, const Conversation& c, const nlohmann::json& entry, bool to_offered) {
        const std::string frame =
            nlohmann::json{{"type", "event"}, {"conversationId", conversation_id}, {"entry", entry}}.dump();
        for (const auto& agent_id : c.owners) send_to_agent(agent_id, frame);
        if (!to_offered || c.task_id.empty()) return;
        if (const Task* task = router_.find(c.task_id); task && task->state == TaskState::reserved) {
            send_to_agent(task->agent_id, frame);
        }
    }

    // ---- desk input (the loop's thread) -----------------------------------------------------------------------

    void desk_frame(const web::ConnectionPtr& connection, std::string_view text) {
        const std::optional<DeskFrame> decoded = decode_desk_frame(text);
        if (!decoded) {
            connection->send(error_frame("malformed frame: expected a JSON object"));
            return;
        }
        const DeskFrame& frame = *decoded;
        const std::string& type = frame.type;
        if (type == "login") {
            login(connection, frame);
            return;
        }
        std::lock_guard lock(mutex_);
        const auto who = agent_of_connection_.find(connection->id());
        if (who == agent_of_connection_.end()) {
            connection->send(error_frame("log in first"));
            return;
        }
        const std::string agent_id = who->second;
        const std::string& conversation_id = frame.conversation_id;
        if (type == "accept") {
            accept(connection, agent_id, conversation_id);
            return;
        }
        // Everything else acts on a conversation the agent owns: nobody reads or writes another agent's conversation.
        const auto it = conversations_.find(conversation_id);
        if (it == conversations_.end() || it->second.owners.count(agent_id) == 0) {
            connection->send(error_frame("conversation '" + conversation_id + "' is not yours", conversation_id));
            return;
        }
        Conversation& c = it->second;
        if (type == "message" || type == "whisper") {
            say(connection, agent_id, conversation_id, c, frame, type == "whisper");
        } else if (type == "read") {
            const std::string& event_id = frame.event_id;
            if (event_id.empty()) {
                connection->send(error_frame("eventId is required", conversation_id));
                return;
            }
            publish_or_log(from_agent("MESSAGE_DELIVERY_NOTIFICATION", conversation_id, c, agent_id)
                               .refers_to(event_id)
                               .data({{"status", "READ"}}));
        } else if (type == "wrapup") {
            wrap_up(connection, agent_id, conversation_id, c, frame);
        } else if (type == "leave") {
            leave(agent_id, conversation_id, c);
        } else if (type == "transcript") {
            connection->send(nlohmann::json{{"type", "assigned"}, {"conversationId", conversation_id},
                                            {"customerId", c.customer_id}, {"transcript", transcript(conversation_id)}}
                                 .dump());
        } else {
            connection->send(error_frame("unknown frame type '" + type + "'", conversation_id));
        }
    }

    // On the loop's thread. The hash is checked on the checker's threads (slow on purpose: neither the network nor
    // routing may wait for it); the verdict comes back to the loop in login_checked().
    void login(const web::ConnectionPtr& connection, const DeskFrame& frame) {
        const std::string& agent_id = frame.agent_id;
        const auto account = accounts_.find(agent_id);
        const bool known = account != accounts_.end();
        const std::string address = connection->peer_address();
        const std::string guarded_id = known ? agent_id : std::string();
        const std::int64_t now = host().now_ms();
        if (const std::int64_t wait = login_guard_.wait_ms(guarded_id, address, now); wait > 0) {
            log().warn("login for '" + agent_id + "' from " + address + " refused: too many attempts, next in " +
                       std::to_string(wait) + " ms");
            nlohmann::json refusal = {{"type", "error"},
                                      {"error", "too many login attempts; try again in " + std::to_string((wait + 999) / 1000) + " s"},
                                      {"retryAfterMs", wait}};
            connection->send(refusal.dump());
            connection->close();
            return;
        }
        login_guard_.attempted(guarded_id, address, now);
        const std::string& hash = known ? account->second.password_hash : dummy_hash_;
        const bool queued = checker_.check(hash, frame.password, [this, connection, agent_id, known](bool matches) {
            loop_.post([this, connection, agent_id, valid = known && matches] { login_checked(connection, agent_id, valid); });
        });
        if (!queued) {
            connection->send(error_frame("the desk is busy checking other logins; try again shortly"));
            connection->close();
        }
    }

    // The loop's thread, with the checker's verdict.
    void login_checked(const web::ConnectionPtr& connection, const std::string& agent_id, bool valid) {
        const std::string address = connection->peer_address();
        if (!valid) {
            log().warn("failed agent login for '" + agent_id + "' from " + address);
            connection->send(error_frame("invalid credentials"));
            connection->close();
            return;
        }
        login_guard_.succeeded(agent_id, address);
        if (!connection->is_open()) return;  // gone while its password was checked: nothing to register
        const auto account = accounts_.find(agent_id);
        std::lock_guard lock(mutex_);
        if (agent_of_connection_.count(connection->id()) != 0) {
            connection->send(error_frame("already logged in on this connection"));
            return;
        }
        agent_of_connection_[connection->id()] = agent_id;
        auto& desks = desks_[agent_id];
        desks.push_back(connection);
        const AgentAccount& a = account->second;
        connection->send(nlohmann::json{{"type", "welcome"},
                                        {"agent", {{"id", a.id}, {"name", a.name}, {"capacity", a.capacity}}},
                                        {"wrapupCategories", config_.wrapup_categories}}
                             .dump());
        // A reconnecting desk gets back what is already the agent's.
        for (const auto& [conversation_id, c] : conversations_) {
            if (c.owners.count(agent_id) != 0) {
                connection->send(nlohmann::json{{"type", "assigned"}, {"conversationId", conversation_id},
                                                {"customerId", c.customer_id}, {"transcript", transcript(conversation_id)}}
                                     .dump());
            } else if (const Task* task = c.task_id.empty() ? nullptr : router_.find(c.task_id);
                       task && task->state == TaskState::reserved && task->agent_id == agent_id) {
                connection->send(offer_frame(*task));
            }
        }
        if (desks.size() == 1) {
            router_.set_online(agent_id, true, host().now_ms());
            log().info("agent '" + agent_id + "' is online");
            dispatch();
        }
    }

    void desk_closed(const web::ConnectionPtr& connection) {
        std::lock_guard lock(mutex_);
        const auto it = agent_of_connection_.find(connection->id());
        if (it == agent_of_connection_.end()) return;
        const std::string agent_id = it->second;
        agent_of_connection_.erase(it);
        auto& desks = desks_[agent_id];
        desks.erase(std::remove(desks.begin(), desks.end(), connection), desks.end());
        if (desks.empty()) {
            desks_.erase(agent_id);
            // Offline: no new offers. A pending offer runs out its timer and moves on; owned conversations stay.
            router_.set_online(agent_id, false, host().now_ms());
            log().info("agent '" + agent_id + "' is offline");
        }
    }

    void accept(const web::ConnectionPtr& connection, const std::string& agent_id, const std::string& conversation_id) {
        const auto it = conversations_.find(conversation_id);
        Task* task = it == conversations_.end() || it->second.task_id.empty() ? nullptr : router_.find(it->second.task_id);
        if (task == nullptr || task->state != TaskState::reserved || task->agent_id != agent_id) {
            connection->send(error_frame("conversation '" + conversation_id + "' is not offered to you", conversation_id));
            return;
        }
        Conversation& c = it->second;
        const bool subscribed = publish_or_log(
            from_agent("AGENT_SUBSCRIBED", conversation_id, c, agent_id).data({{"role", "PRIMARY"}, {"taskId", task->id}}));
        if (!subscribed) {
            connection->send(error_frame("the runtime did not accept the subscription; try again", conversation_id));
            return;
        }
        task_state_changed(*task, "ACTIVE");
        // Accepted within the offer: the agent is here, even if the queue's own wait ran out meanwhile.
        auto timers = task_timers_[task->id];
        disarm(timers.accept);
        disarm(timers.queue);
        task_timers_.erase(task->id);
        router_.accept(task->id);
        c.task_id.clear();
        c.owners.insert(agent_id);
        const std::string assigned = nlohmann::json{{"type", "assigned"}, {"conversationId", conversation_id},
                                                    {"customerId", c.customer_id}, {"transcript", transcript(conversation_id)}}
                                         .dump();
        send_to_agent(agent_id, assigned);
    }

    void say(const web::ConnectionPtr& connection, const std::string& agent_id, const std::string& conversation_id,
             Conversation& c, const DeskFrame& frame, bool whisper) {
        const std::string& text = frame.text;
        if (text.empty() || text.size() > max_text) {
            connection->send(error_frame("text is required (at most " + std::to_string(max_text) + " bytes)", conversation_id));
            return;
        }
        const AgentAccount& a = accounts_.at(agent_id);
        const nlohmann::json message = {
            {"id", "agent-" + common::random_uuid()},
            {"header", {{"sender", {{"id", a.id}, {"type", "AGENT"}, {"name", a.name}}}}},
            {"body", {{"type", "PLAIN"}, {"markdownText", text}}}};
        const std::string event_id = common::random_uuid();
        const auto result = publish(from_agent(whisper ? "WHISPER_MESSAGE" : "AGENT_MESSAGE", conversation_id, c, agent_id)
                                        .id(event_id)
                                        .data(message));
        if (!result.ok()) {
            connection->send(error_frame(result.busy() ? "busy: not sent, please retry" : "not sent: " + result.error,
                                         conversation_id));
            return;
        }
        if (!whisper) disarm(c.response_token);
        // Every desk of every owner shows it (the plugin does not receive its own events back).
        send_entry(conversation_id, c,
                   {{"eventId", event_id},
                    {"kind", whisper ? "whisper" : "message"},
                    {"from", {{"type", "AGENT"}, {"id", a.id}, {"name", a.name}}},
                    {"text", text},
                    {"timestamp", host().now_ms()}},
                   false);
    }

    void wrap_up(const web::ConnectionPtr& connection, const std::string& agent_id, const std::string& conversation_id,
                 Conversation& c, const DeskFrame& frame) {
        const std::vector<std::string>& categories = frame.categories;
        if (categories.empty()) {
            connection->send(error_frame("choose at least one wrap-up category", conversation_id));
            return;
        }
        for (const auto& category : categories) {
            if (std::find(config_.wrapup_categories.begin(), config_.wrapup_categories.end(), category) ==
                config_.wrapup_categories.end()) {
                connection->send(error_frame("unknown wrap-up category '" + category + "'", conversation_id));
                return;
            }
        }
        const AgentAccount& a = accounts_.at(agent_id);
        const nlohmann::json message = {
            {"id", "wrapup-" + common::random_uuid()},
            {"header", {{"sender", {{"id", a.id}, {"type", "AGENT"}, {"name", a.name}}}}},
            {"body",
             {{"type", "WRAPUP"},
              {"markdownText", ""},
              {"wrapups", {{{"categories", categories}, {"note", frame.note}}}}}}};
        if (publish_or_log(from_agent("WRAPUP_APPLIED", conversation_id, c, agent_id).data(message))) {
            std::string list;
            for (const auto& category : categories) list += (list.empty() ? "" : ", ") + category;
            send_entry(conversation_id, c, status_entry(a.name + " wrapped up: " + list, host().now_ms()), false);
        } else {
            connection->send(error_frame("the wrap-up was not recorded; try again", conversation_id));
        }
    }

    void leave(const std::string& agent_id, const std::string& conversation_id, Conversation& c) {
        if (!publish_or_log(from_agent("AGENT_UNSUBSCRIBED", conversation_id, c, agent_id).data({{"role", "PRIMARY"}}))) {
            send_to_agent(agent_id, error_frame("leaving was not recorded; try again", conversation_id));
            return;
        }
        c.owners.erase(agent_id);
        router_.release(agent_id, host().now_ms());
        send_to_agent(agent_id, nlohmann::json{{"type", "closed"}, {"conversationId", conversation_id}}.dump());
        forget_if_idle(conversation_id);
        dispatch();
    }

    AgentConfig config_;
    std::unordered_map<std::string, AgentAccount> accounts_;
    std::string dummy_hash_;
    web::EventLoop loop_;  // before the server and the checker, so it is destroyed after them
    LoginGuard login_guard_;  // the loop's thread only
    PasswordChecker checker_;

    std::mutex mutex_;  // everything below: on_event and on_timer (workers) and the desks (the loop's thread)
    Router router_;
    std::unordered_map<std::string, Conversation> conversations_;
    std::unordered_map<std::string, TaskTimers> task_timers_;
    std::unordered_map<std::uint64_t, Timer> timers_;
    std::uint64_t next_token_ = 1;
    std::unordered_map<std::string, std::vector<web::ConnectionPtr>> desks_;  // online agents' open desks
    std::unordered_map<std::uint64_t, std::string> agent_of_connection_;

    std::unique_ptr<web::HttpServer> server_;
};

}  // namespace cim::agent

CIM_PLUGIN(cim::agent::AgentPlugin);
