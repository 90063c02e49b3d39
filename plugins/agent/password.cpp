#include "password.hpp"

#include <sodium.h>

namespace cim::agent {

bool password_matches(const std::string& hash, const std::string& password) {
    static const bool ready = sodium_init() >= 0;
    if (!ready) return false;
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace cim::agent
