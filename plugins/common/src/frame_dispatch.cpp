#include "plugin_common/frame_dispatch.hpp"

#include "plugin_common/json_fields.hpp"

namespace cim::common {

nlohmann::json error_frame(std::string_view message, std::string_view conversation_id) {
    nlohmann::json frame = {{"type", "error"}, {"error", message}};
    if (!conversation_id.empty()) frame["conversationId"] = conversation_id;
    return frame;
}

FrameDispatch& FrameDispatch::open(std::string type, Handler handler) {
    routes_[std::move(type)] = Route{false, std::move(handler)};
    return *this;
}

FrameDispatch& FrameDispatch::session(std::string type, Handler handler) {
    routes_[std::move(type)] = Route{true, std::move(handler)};
    return *this;
}

void FrameDispatch::dispatch(const web::ConnectionPtr& connection, std::string_view text) const {
    const nlohmann::json frame = nlohmann::json::parse(text, nullptr, false);
    if (frame.is_discarded() || !frame.is_object()) {
        connection->send(error_frame("malformed frame: expected a JSON object").dump());
        return;
    }
    const std::string type = string_at(frame, "type");
    const auto route = routes_.find(type);
    if (route == routes_.end()) {
        // Answered the same with or without a session: a protocol error, and saying so tells a stranger nothing.
        connection->send(error_frame("unknown frame type '" + type + "'").dump());
        return;
    }
    if (route->second.needs_session && !has_session_(connection)) {
        connection->send(error_frame(session_refusal_).dump());
        return;
    }
    route->second.handler(connection, frame);
}

}  // namespace cim::common
