// Checks an agent's password against its salted hash (libsodium's crypto_pwhash_str: argon2id with its salt and cost
// in the string, compared in constant time).
#pragma once

#include <string>

namespace cim::agent {

/// True when `password` matches `hash`. Deliberately slow (tens of milliseconds): guessing is expensive.
bool password_matches(const std::string& hash, const std::string& password);

}  // namespace cim::agent
