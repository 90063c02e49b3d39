#include "plugin_common/random_id.hpp"

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <random>

namespace cim::common {
namespace {

// std::random_device reads the OS's entropy source; one instance behind a lock is plenty for ids made per session.
void random_bytes(std::uint8_t (&out)[16]) {
    static std::mutex mutex;
    static std::random_device device;
    std::lock_guard lock(mutex);
    for (int i = 0; i < 16; i += 4) {
        const std::uint32_t word = device();
        for (int b = 0; b < 4; ++b) out[i + b] = static_cast<std::uint8_t>(word >> (8 * b));
    }
}

std::string hex(const std::uint8_t (&bytes)[16], bool dashes) {
    std::string out;
    char digits[3];
    for (int i = 0; i < 16; ++i) {
        if (dashes && (i == 4 || i == 6 || i == 8 || i == 10)) out += '-';
        std::snprintf(digits, sizeof digits, "%02x", bytes[i]);
        out += digits;
    }
    return out;
}

}  // namespace

std::string random_hex_128() {
    std::uint8_t bytes[16];
    random_bytes(bytes);
    return hex(bytes, false);
}

std::string random_uuid() {
    std::uint8_t bytes[16];
    random_bytes(bytes);
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
    return hex(bytes, true);
}

}  // namespace cim::common
