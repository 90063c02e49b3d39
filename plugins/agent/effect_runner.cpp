#include "effect_runner.hpp"

#include <algorithm>
#include <chrono>

#include "desk_entries.hpp"

namespace cim::agent {

void EffectRunner::run(Effect& effect, const std::vector<web::ConnectionPtr>& to, const Outcome& outcome) const {
    if (auto* p = std::get_if<effect::Publish>(&effect)) {
        const auto result = host_.publish(p->event);
        if (!result.ok()) host_.log().warn("could not publish " + p->event.name() + ": " + result.error);
        if (p->pending) outcome(*p->pending, PublishOutcome{result.ok(), result.busy(), result.error});
    } else if (auto* s = std::get_if<effect::SendToDesk>(&effect)) {
        send(to, s->frame, s->transcript_of);
    } else if (auto* r = std::get_if<effect::Reply>(&effect)) {
        send(to, r->frame, r->transcript_of);
    } else if (const auto* arm = std::get_if<effect::ArmTimer>(&effect)) {
        if (persistent_timers_) {
            // Kept by the runtime in the conversation's state: it fires after a restart too (at once when it fell
            // due while the runtime was down), and scheduling the token again moves it.
            host_.schedule_at(arm->conversation_id, arm->deadline_ms, arm->token);
        } else {
            host_.cancel(arm->token);  // one pending timer per token
            const std::int64_t delay = std::max<std::int64_t>(0, arm->deadline_ms - host_.now_ms());
            host_.schedule(std::chrono::milliseconds(delay), arm->token);
        }
    } else if (const auto* disarm = std::get_if<effect::DisarmTimer>(&effect)) {
        host_.cancel(disarm->token);
    } else if (const auto* put = std::get_if<effect::PersistTask>(&effect)) {
        persistence_.put_task(put->conversation_id, put->task);
    } else if (const auto* forget = std::get_if<effect::ForgetTask>(&effect)) {
        persistence_.erase_task(forget->conversation_id);
    } else if (const auto* queue = std::get_if<effect::PersistQueue>(&effect)) {
        persistence_.put_queue(queue->queue);
    } else if (const auto* line = std::get_if<effect::Log>(&effect)) {
        host_.log().log(line->level, line->message);
    }
}

void EffectRunner::send(const std::vector<web::ConnectionPtr>& to, nlohmann::json& frame,
                        const std::string& transcript_of) const {
    if (to.empty()) return;  // nobody to show it to: not even the transcript is asked for
    if (!transcript_of.empty()) add_transcript(frame, transcript(transcript_of));
    const std::string text = frame.dump();
    for (const auto& connection : to) connection->send(text);
}

nlohmann::json EffectRunner::transcript(const std::string& conversation_id) const {
    try {
        return transcript_of(host_.conversation(conversation_id));
    } catch (const std::exception& e) {
        host_.log().warn("no transcript for " + conversation_id + ": " + e.what());
        return nlohmann::json::array();
    }
}

}  // namespace cim::agent
