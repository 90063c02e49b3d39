// A desk's session tokens (plugins/agent/desk_sessions.hpp): issued at a password login, presented by a reloaded
// desk, refused once expired or when never issued — time is the `now` each call is given.
#include "desk_sessions.hpp"

#include <catch2/catch.hpp>

#include <string>

using cim::agent::DeskSessions;
using namespace std::chrono_literals;

TEST_CASE("a session token lets its agent back in until it expires, and says why it no longer does") {
    DeskSessions sessions(1h);
    const nlohmann::json issued = sessions.issue("alice", 1000);
    const std::string token = issued["token"];
    CHECK(token.size() == 32);
    CHECK(issued["expiresAt"] == 1000 + 3600000);
    CHECK(sessions.issue("alice", 1000)["token"] != token);  // every login its own

    auto back = sessions.redeem(token, 2000);
    CHECK(back.agent_id == "alice");
    CHECK(back.session == issued);
    CHECK(sessions.redeem(token, 3000).agent_id == "alice");  // not spent: a resume lost on the way can try again

    back = sessions.redeem(token, 1000 + 3600000);
    CHECK(back.agent_id.empty());
    CHECK(back.error == "your session has expired; please log in again");
    CHECK(sessions.redeem("0123456789abcdef0123456789abcdef", 2000).error ==
          "your session is unknown (the runtime may have restarted); please log in again");
    CHECK(sessions.redeem("", 2000).agent_id.empty());
}

TEST_CASE("expired sessions are dropped one lifetime after they expired") {
    DeskSessions sessions(1h);
    const std::string token = sessions.issue("alice", 0)["token"];
    sessions.issue("bob", 2 * 3600000 - 1);  // alice's expired, still remembered
    CHECK(sessions.size() == 2);
    CHECK(sessions.redeem(token, 2 * 3600000 - 1).error == "your session has expired; please log in again");
    sessions.issue("carol", 2 * 3600000);  // now it is gone
    CHECK(sessions.size() == 2);
    CHECK(sessions.redeem(token, 2 * 3600000).error ==
          "your session is unknown (the runtime may have restarted); please log in again");
}
