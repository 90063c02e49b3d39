#include "webhook_signature.hpp"

#include <stdexcept>

#include <sodium.h>

namespace cim::channel {

std::string webhook_signature(std::string_view secret, std::int64_t timestamp_s, std::string_view body) {
    static const bool ready = sodium_init() >= 0;
    if (!ready) throw std::runtime_error("libsodium could not be initialised");
    const std::string prefix = std::to_string(timestamp_s) + ".";
    // The streaming API takes a key of any length (the one-shot crypto_auth_hmacsha256 wants exactly 32 bytes).
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(prefix.data()), prefix.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_final(&state, mac);
    char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    return std::string("v1=") + hex;
}

}  // namespace cim::channel
