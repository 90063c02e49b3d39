// The task machine's inputs about an agent rather than a conversation: presence (login, logout) and the status the
// agent chooses or that missed offers set (agent_status.hpp). Every change is published as
// cimrt.AGENT_STATE_CHANGED and shown on all of the agent's desks; only READY agents are offered conversations.
#include "task_machine.hpp"

namespace cim::agent {

Effects TaskMachine::login(const std::string& agent_id, bool first_desk, std::int64_t now) {
    const auto account = agents_.find(agent_id);
    if (account == agents_.end()) return finish();
    const AgentStatus status = statuses_.of(agent_id);
    reply(welcome_frame(account->second, settings_.wrapup_categories, to_string(status)));
    // A desk that logs in (again, or after a restart) gets back what is already the agent's.
    for (const auto& [conversation_id, c] : conversations_) {
        if (c.owners.count(agent_id) != 0) {
            reply(assigned_frame(conversation_id, c.customer_id), conversation_id);
        } else if (const Task* task = offered_to(agent_id, conversation_id)) {
            reply(offer_frame(conversation_id, c.customer_id, task->id, c.offer_deadline_ms), conversation_id);
        }
    }
    if (first_desk) {
        router_.set_online(agent_id, true, now);
        router_.set_ready(agent_id, status == AgentStatus::ready, now);
        log(cim::LogLevel::info, "agent '" + agent_id + "' is online (" + to_string(status) + ")");
        state_changed(agent_id, "OFFLINE", to_string(status), "LOGIN", true);
        dispatch(now);
    }
    return finish();
}

Effects TaskMachine::logout(const std::string& agent_id, std::int64_t now) {
    if (!knows_agent(agent_id)) return finish();
    // Offline: no new offers. A pending offer runs out its timer and moves on; owned conversations stay.
    router_.set_online(agent_id, false, now);
    log(cim::LogLevel::info, "agent '" + agent_id + "' is offline");
    state_changed(agent_id, to_string(statuses_.of(agent_id)), "OFFLINE", "LOGOUT", true);
    return finish();
}

Effects TaskMachine::set_status(const std::string& agent_id, const std::string& status, std::int64_t now) {
    if (!knows_agent(agent_id)) return finish();
    const auto chosen = agent_status_from_string(status);
    if (!chosen) {
        reply(desk_error_frame("unknown status '" + status + "' (READY, BUSY or AWAY)"));
        return finish();
    }
    const AgentStatus previous = statuses_.of(agent_id);
    if (!statuses_.choose(agent_id, *chosen)) {
        reply(status_frame(to_string(*chosen), "CHOSEN"));  // nothing changed: this desk is told where it stands
        return finish();
    }
    router_.set_ready(agent_id, *chosen == AgentStatus::ready, now);
    state_changed(agent_id, to_string(previous), to_string(*chosen), "CHOSEN", true);
    send_to_agent(agent_id, status_frame(to_string(*chosen), "CHOSEN"));  // every desk of the agent shows it
    if (*chosen == AgentStatus::ready) dispatch(now);
    return finish();
}

// An offer to `agent_id` ran out: the N-th in a row sets a READY agent AWAY, so the queue stops waiting on them.
void TaskMachine::missed_offer(const std::string& agent_id, std::int64_t now) {
    if (!knows_agent(agent_id) || !statuses_.missed(agent_id)) return;
    router_.set_ready(agent_id, false, now);
    const int missed = statuses_.missed_in_a_row(agent_id);
    state_changed(agent_id, "READY", "AWAY", "MISSED_OFFERS", false);
    log(cim::LogLevel::info, "agent '" + agent_id + "' is set AWAY after " + std::to_string(missed) +
                                 " missed offers in a row");
    send_to_agent(agent_id, status_frame("AWAY", "MISSED_OFFERS",
                                         "You were set to Away: you missed " + std::to_string(missed) +
                                             " offers in a row. Choose Ready when you are back."));
}

void TaskMachine::state_changed(const std::string& agent_id, const char* previous, const char* state,
                                const char* reason, bool by_agent) {
    const DeskAgent& agent = agents_.at(agent_id);
    nlohmann::json data = {{"agentId", agent_id},          {"agentName", agent.name},
                           {"state", state},               {"previousState", previous},
                           {"reason", reason},             {"load", router_.load(agent_id)},
                           {"capacity", agent.capacity}};
    if (std::string_view(reason) == "MISSED_OFFERS") data["missedOffers"] = statuses_.missed_in_a_row(agent_id);
    cim::OutgoingEvent event(agent_state_changed);
    if (by_agent) {
        event.emitter(cim::EmitterType::agent, agent_id, agent.name);
    } else {
        event.emitter(cim::EmitterType::app, "agent-manager", "Agent manager");
    }
    publish(std::move(event.data(data)));
}

}  // namespace cim::agent
