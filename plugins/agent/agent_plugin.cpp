// The agent plugin (the agent manager of DESIGN §1), the thin room of three: it feeds the task machine
// (task_machine.hpp: routing, timers, what to tell whom) with events, timers and the desk's commands, and runs the
// effects the machine returns. One lock, around the machine's step only; publishing, querying the host, timers,
// persistence and socket writes all happen after it, in the order the steps produced them.
#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include <cim/sdk.hpp>

#include "agent_config.hpp"
#include "desk_entries.hpp"
#include "desk_frame.hpp"
#include "desk_login.hpp"
#include "desk_sessions.hpp"
#include "effect_runner.hpp"
#include "plugin_common/event_loop.hpp"
#include "plugin_common/frame_dispatch.hpp"
#include "plugin_common/http_server.hpp"
#include "plugin_common/json_fields.hpp"
#include "plugin_common/random_id.hpp"
#include "task_machine.hpp"
#include "task_persistence.hpp"

std::string_view desk_page();  // plugins/agent/web/desk.html, embedded at build time

namespace cim::agent {
namespace {

MachineSettings machine_settings(const AgentConfig& config) {
    MachineSettings s{{}, config.wrapup_categories, config.accept_timeout, config.queue_timeout, config.response_timeout,
                      config.escalate_on_bot_timeout, config.auto_away_after_missed_offers};
    for (const AgentAccount& a : config.agents) s.agents.push_back({a.id, a.name, a.capacity});
    return s;
}

}  // namespace

class AgentPlugin : public cim::Plugin {
public:
    explicit AgentPlugin(const cim::PluginContext& context)
        : cim::Plugin(context),
          config_(AgentConfig::from_json(config())),
          login_(config_, loop_, log()),
          machine_(machine_settings(config_), [] { return common::random_uuid(); }),
          sessions_(config_.session_timeout),
          frames_(desk_frames()) {
        loop_.set_log([this](cim::LogLevel level, const std::string& message) { log().log(level, message); });
    }

    static cim::Manifest manifest() {
        cim::Manifest m;
        m.name = "agent";
        m.version = "1.0.0";
        m.description = "agent routing (queue, longest idle, capacity, timeouts) and the agent desk at /agent";
        m.publishes = {"TASK_ENQUEUED",      "TASK_STATE_CHANGED", "AGENT_RESERVED",   "ACCEPT_TIMEOUT",
                       "NO_AGENT_AVAILABLE", "AGENT_SUBSCRIBED",   "AGENT_UNSUBSCRIBED", "AGENT_MESSAGE",
                       "WHISPER_MESSAGE",    "MESSAGE_DELIVERY_NOTIFICATION", "WRAPUP_APPLIED", "AGENT_RESPONSE_TIMEOUT",
                       agent_state_changed};
        m.custom_events = {{agent_state_changed, cim::EventType::notification,
                            "an agent's status (READY, BUSY, AWAY) or presence (OFFLINE) changed; payload: the agent"}};
        m.consumes = {"CUSTOMER_MESSAGE",   "BOT_MESSAGE",       "BOT_SUGGESTION",        "ACTION_MESSAGE",
                      "BOT_TIMEOUT",        "BOT_NOT_AVAILABLE",  "THIRD_PARTY_ACTIVITY", "ACTIVITY_REACTION", "MESSAGE_DELIVERY_NOTIFICATION",
                      "CHANNEL_SESSION_ENDED", "CHANNEL_SESSION_EXPIRED"};
        m.config_schema = AgentConfig::schema();
        return m;
    }

    void on_start() {
        TaskPersistence::Loaded loaded = persistence_->load();
        step(nullptr, [&](std::int64_t now) { return machine_.restore(loaded.tasks, loaded.queue, now); });
        web::WebSocketRoute desk;
        desk.path = "/agent/ws";
        desk.on_message = [this](const web::ConnectionPtr& c, std::string_view text) { frames_.dispatch(c, text); };
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
        login_.stop();  // before the loop: a verdict posted to a stopped loop is dropped, never run half-way
        loop_.stop();
    }

    void on_event(const cim::Event& event) {
        ConsumedEvent consumed{std::string(event.name()), std::string(event.conversation_id()),
                               std::string(event.channel_session_id()), std::string(event.customer_id()), {}, {}};
        if (consumed.name == "ACTION_MESSAGE") {
            consumed.action = common::string_at(event.data(), "action");
        } else if (involved(consumed.conversation_id)) {
            consumed.entry = entry_of(event);  // parsed only for conversations an agent has to do with
        }
        step(nullptr, [&](std::int64_t now) { return machine_.consume(consumed, now); });
    }

    void on_timer(std::uint64_t token) {
        step(nullptr, [&](std::int64_t now) { return machine_.timer_fired(token, now); });
    }

private:
    // What one step produced, with the desks its frames go to resolved when it was made: a desk that logs in later
    // does not get frames of an earlier step ahead of its welcome.
    struct Job {
        Effect effect;
        std::vector<web::ConnectionPtr> to;
    };
    struct Batch {
        web::ConnectionPtr origin;  // the desk whose command it answers, if any
        std::vector<Job> jobs;
    };

    // ---- the lock: around the machine's step only ---------------------------------------------------------------

    // Runs `input` (a step of the machine; it may also change the desk registry) under the lock, then the effects
    // outside it. One thread at a time runs effects, in the order the steps were taken; others only queue theirs.
    void step(const web::ConnectionPtr& origin, const std::function<Effects(std::int64_t now)>& input) {
        const std::int64_t now = host().now_ms();
        {
            std::lock_guard lock(mutex_);
            Batch batch{origin, {}};
            for (Effect& e : input(now)) {
                std::vector<web::ConnectionPtr> to = recipients(e, origin);
                batch.jobs.push_back({std::move(e), std::move(to)});
            }
            pending_.push_back(std::move(batch));
            if (running_) return;
            running_ = true;
        }
        for (;;) {
            Batch batch;
            {
                std::lock_guard lock(mutex_);
                if (pending_.empty()) {
                    running_ = false;
                    return;
                }
                batch = std::move(pending_.front());
                pending_.pop_front();
            }
            const auto outcome = [&](const PendingPublish& pending, const PublishOutcome& result) {
                step(batch.origin, [&](std::int64_t at) { return machine_.published(pending, result, at); });
            };
            for (Job& job : batch.jobs) {
                try {
                    runner_.run(job.effect, job.to, outcome);
                } catch (const std::exception& e) {
                    log().error(std::string("an effect of the agent's routing failed: ") + e.what());
                }
            }
        }
    }

    // Under the lock.
    std::vector<web::ConnectionPtr> recipients(const Effect& e, const web::ConnectionPtr& origin) const {
        if (const auto* send = std::get_if<effect::SendToDesk>(&e)) {
            const auto it = desks_.find(send->agent_id);
            return it == desks_.end() ? std::vector<web::ConnectionPtr>{} : it->second;
        }
        if (std::holds_alternative<effect::Reply>(e) && origin) return {origin};
        return {};
    }

    bool involved(const std::string& conversation_id) {
        std::lock_guard lock(mutex_);
        return machine_.involved(conversation_id);
    }

    // ---- HTTP and the desk (the loop's thread) -------------------------------------------------------------------

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

    using Command = std::function<Effects(TaskMachine&, const std::string& agent, const DeskFrame&, std::int64_t now)>;

    common::FrameDispatch desk_frames() {
        common::FrameDispatch frames(
            [this](const web::ConnectionPtr& c) {
                std::lock_guard lock(mutex_);
                return agent_of_connection_.count(c->id()) != 0;
            },
            "log in first");
        const auto command = [this](Command run) {
            return [this, run = std::move(run)](const web::ConnectionPtr& c, const nlohmann::json& json) {
                const DeskFrame f = decode_desk_frame(json);
                step(c, [&](std::int64_t now) { return run(machine_, agent_of_connection_.at(c->id()), f, now); });
            };
        };
        using F = const DeskFrame&;
        using A = const std::string&;
        frames.open("login", [this](const web::ConnectionPtr& c, const nlohmann::json& f) {
                  login_.attempt(c, decode_desk_frame(f), host().now_ms(),
                                 [this](const web::ConnectionPtr& desk, const std::string& agent) {
                                     logged_in(desk, agent, sessions_.issue(agent, host().now_ms()));
                                 });
              })
            .open("resume", [this](const web::ConnectionPtr& c, const nlohmann::json& f) { resume(c, decode_desk_frame(f)); })
            .session("status", command([](TaskMachine& m, A a, F f, std::int64_t t) { return m.set_status(a, f.status, t); }))
            .session("accept", command([](TaskMachine& m, A a, F f, std::int64_t t) { return m.accept(a, f.conversation_id, t); }))
            .session("decline", command([](TaskMachine& m, A a, F f, std::int64_t t) { return m.decline(a, f.conversation_id, t); }))
            .session("message", command([](TaskMachine& m, A a, F f, std::int64_t t) { return m.say(a, f.conversation_id, f.text, false, t); }))
            .session("whisper", command([](TaskMachine& m, A a, F f, std::int64_t t) { return m.say(a, f.conversation_id, f.text, true, t); }))
            .session("read", command([](TaskMachine& m, A a, F f, std::int64_t t) { return m.read(a, f.conversation_id, f.event_id, t); }))
            .session("wrapup", command([](TaskMachine& m, A a, F f, std::int64_t t) {
                return m.wrap_up(a, f.conversation_id, f.categories, f.note, t);
            }))
            .session("leave", command([](TaskMachine& m, A a, F f, std::int64_t t) { return m.leave(a, f.conversation_id, t); }))
            .session("transcript", command([](TaskMachine& m, A a, F f, std::int64_t t) { return m.transcript(a, f.conversation_id, t); }));
        return frames;
    }

    // A valid login (desk_login.cpp checked the password, or resume() the session token): the desk is registered
    // and gets the agent's work; its welcome carries the session a reload comes back with.
    void logged_in(const web::ConnectionPtr& connection, const std::string& agent_id, const nlohmann::json& session) {
        step(connection, [&](std::int64_t now) -> Effects {
            if (!agent_of_connection_.emplace(connection->id(), agent_id).second) {
                return {effect::Reply{desk_error_frame("already logged in on this connection"), {}}};
            }
            auto& desks = desks_[agent_id];
            desks.push_back(connection);
            Effects effects = machine_.login(agent_id, desks.size() == 1, now);
            for (Effect& e : effects) {
                auto* reply = std::get_if<effect::Reply>(&e);
                if (reply != nullptr && reply->frame.value("type", "") == "welcome") reply->frame["session"] = session;
            }
            return effects;
        });
    }

    // A reloaded desk presents its session token instead of the password (desk_sessions.hpp). Refused: the desk
    // is told why (`session_refused`) and stays open for a password login.
    void resume(const web::ConnectionPtr& connection, const DeskFrame& frame) {
        DeskSessions::Redeemed redeemed = sessions_.redeem(frame.token, host().now_ms());
        if (redeemed.agent_id.empty() || !machine_.knows_agent(redeemed.agent_id)) {  // the accounts are fixed: no lock
            connection->send(session_refused_frame(redeemed.error.empty() ? "please log in again" : redeemed.error).dump());
            return;
        }
        logged_in(connection, redeemed.agent_id, redeemed.session);
    }

    void desk_closed(const web::ConnectionPtr& connection) {
        step(nullptr, [&](std::int64_t now) -> Effects {
            const auto it = agent_of_connection_.find(connection->id());
            if (it == agent_of_connection_.end()) return {};
            const std::string agent_id = it->second;
            agent_of_connection_.erase(it);
            auto& desks = desks_[agent_id];
            desks.erase(std::remove(desks.begin(), desks.end(), connection), desks.end());
            if (!desks.empty()) return {};
            desks_.erase(agent_id);
            return machine_.logout(agent_id, now);
        });
    }

    AgentConfig config_;
    web::EventLoop loop_;  // before the server and the login's checker, so it is destroyed after them
    DeskLogin login_;
    // The runtime keeps the routing state when it can (ABI 1.2): a restart then loses no queue place, offer or owner.
    std::unique_ptr<TaskPersistence> persistence_ =
        host().has_state() ? std::unique_ptr<TaskPersistence>(std::make_unique<HostTaskPersistence>(host()))
                           : std::make_unique<MemoryTaskPersistence>();
    EffectRunner runner_{host(), *persistence_};

    std::mutex mutex_;  // the machine, the desk registry and the queue of effects; never held while they run
    TaskMachine machine_;
    std::unordered_map<std::string, std::vector<web::ConnectionPtr>> desks_;  // online agents' open desks
    std::unordered_map<std::uint64_t, std::string> agent_of_connection_;
    std::deque<Batch> pending_;
    bool running_ = false;  // a thread is running effects

    DeskSessions sessions_;         // the loop's thread only
    common::FrameDispatch frames_;  // after everything its handlers use
    std::unique_ptr<web::HttpServer> server_;
};

}  // namespace cim::agent

CIM_PLUGIN(cim::agent::AgentPlugin);
