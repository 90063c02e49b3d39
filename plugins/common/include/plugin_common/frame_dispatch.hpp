// The first step of every JSON-over-WebSocket protocol the plugins speak (the web chat's /ws, the agent desk's
// /agent/ws): parse a text message as a JSON object, read its string member "type", run the handler registered for it,
// and answer what does not fit with an error frame the page can show. One table per protocol, written once, so both
// sockets refuse a malformed or unknown frame in the same words.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "plugin_common/http_server.hpp"

namespace cim::common {

/// `{"type":"error","error":message}`, plus `conversationId` when one is given: the refusal of a frame.
nlohmann::json error_frame(std::string_view message, std::string_view conversation_id = {});

/**
 * A table from frame type to handler. A frame whose route needs a session (a visitor's `hello`, an agent's login) is
 * refused with the table's `session_refusal` on a connection without one, before its handler runs.
 *
 * Thread-safety: fill it before the server starts; dispatch() is then const and may run on any thread.
 *
 *     common::FrameDispatch frames([this](const auto& c) { return logged_in(c); }, "log in first");
 *     frames.open("login", [this](const auto& c, const nlohmann::json& f) { login(c, f); })
 *           .session("leave", [this](const auto& c, const nlohmann::json& f) { leave(c, f); });
 *     route.on_message = [&](const web::ConnectionPtr& c, std::string_view text) { frames.dispatch(c, text); };
 */
class FrameDispatch {
public:
    using Handler = std::function<void(const web::ConnectionPtr&, const nlohmann::json& frame)>;
    using SessionCheck = std::function<bool(const web::ConnectionPtr&)>;

    FrameDispatch(SessionCheck has_session, std::string session_refusal)
        : has_session_(std::move(has_session)), session_refusal_(std::move(session_refusal)) {}

    /// Registers a frame type any connection may send (the one that starts a session).
    FrameDispatch& open(std::string type, Handler handler);
    /// Registers a frame type only a connection with a session may send.
    FrameDispatch& session(std::string type, Handler handler);

    /**
     * Handles one text message. Refusals, each as an error frame sent on `connection`: "malformed frame: expected a
     * JSON object"; "unknown frame type '<type>'" (the same for a missing or non-string type, read as ""); the
     * session refusal. Never throws for any text; a handler's exception propagates.
     */
    void dispatch(const web::ConnectionPtr& connection, std::string_view text) const;

private:
    struct Route {
        bool needs_session = true;
        Handler handler;
    };

    SessionCheck has_session_;
    std::string session_refusal_;
    std::unordered_map<std::string, Route> routes_;
};

}  // namespace cim::common
