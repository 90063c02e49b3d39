#include "desk_sessions.hpp"

#include <sodium.h>

#include <array>

#include "plugin_common/random_id.hpp"

namespace cim::agent {
namespace {

std::string digest_of(const std::string& token) {
    std::array<unsigned char, crypto_generichash_BYTES> out{};
    crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                       nullptr, 0);
    return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

}  // namespace

nlohmann::json DeskSessions::issue(const std::string& agent_id, std::int64_t now_ms) {
    drop_expired(now_ms);
    const std::string token = common::random_hex_128();
    const std::int64_t expires_at = now_ms + lifetime_.count();
    by_digest_[digest_of(token)] = Session{agent_id, expires_at};
    return {{"token", token}, {"expiresAt", expires_at}};
}

DeskSessions::Redeemed DeskSessions::redeem(const std::string& token, std::int64_t now_ms) {
    const auto it = token.empty() ? by_digest_.end() : by_digest_.find(digest_of(token));
    if (it == by_digest_.end()) {
        return {{}, "your session is unknown (the runtime may have restarted); please log in again", nullptr};
    }
    const Session session = it->second;
    if (now_ms >= session.expires_at_ms) return {{}, "your session has expired; please log in again", nullptr};
    return {session.agent_id, {}, {{"token", token}, {"expiresAt", session.expires_at_ms}}};
}

// An expired session is kept one lifetime more, so its desk is told "expired" rather than "unknown".
void DeskSessions::drop_expired(std::int64_t now_ms) {
    std::erase_if(by_digest_,
                  [&](const auto& entry) { return now_ms >= entry.second.expires_at_ms + lifetime_.count(); });
}

}  // namespace cim::agent
