// cim/logger.hpp — `cim::Logger`, the plugin's line into the runtime's log.
#pragma once

#include <climits>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "cim/abi.h"
#include "cim/detail/strings.hpp"
#include "cim/detail/struct_size.hpp"

namespace cim {

/// Log levels; the values are the ABI's CIM_LOG_*.
enum class LogLevel : std::int32_t {
    trace = CIM_LOG_TRACE,
    debug = CIM_LOG_DEBUG,
    info = CIM_LOG_INFO,
    warn = CIM_LOG_WARN,
    error = CIM_LOG_ERROR,
};

/**
 * Writes lines to the runtime's log through the host's `log` callback; the host tags them with the plugin's name and
 * applies its level filter. There is no formatting: build the text with std::string / std::to_string.
 *
 * Logging never throws (every method is noexcept), so it is safe in destructors and catch blocks. If the host table
 * has no `log` callback, lines go to stderr instead of vanishing.
 *
 * Thread-safety: safe from any thread, concurrently (the host's callback is; the Logger itself is immutable).
 *
 *     log().info("connected to " + url);
 *     log().warn("retrying in " + std::to_string(delay.count()) + " ms");
 */
class Logger {
public:
    /// A logger over `host`'s log callback; `host` must outlive it (the host guarantees that until `destroy`).
    explicit Logger(const cim_host_t* host) noexcept : host_(host) {}

    /// Writes `message` at `level`.
    void log(LogLevel level, std::string_view message) const noexcept {
        if (host_ != nullptr && detail::has_field(*host_, &cim_host_t::log) && host_->log != nullptr) {
            host_->log(host_->ctx, static_cast<cim_log_level_t>(level), detail::to_abi(message));
            return;
        }
        // One fprintf per line: stdio locks the stream per call, so concurrent lines do not interleave.
        const int length = message.size() > static_cast<std::size_t>(INT_MAX) ? INT_MAX
                                                                               : static_cast<int>(message.size());
        std::fprintf(stderr, "[cim plugin] %s: %.*s\n", level_name(level), length,
                     message.data() != nullptr ? message.data() : "");
    }
    /// Writes `message` at trace level.
    void trace(std::string_view message) const noexcept { log(LogLevel::trace, message); }
    /// Writes `message` at debug level.
    void debug(std::string_view message) const noexcept { log(LogLevel::debug, message); }
    /// Writes `message` at info level.
    void info(std::string_view message) const noexcept { log(LogLevel::info, message); }
    /// Writes `message` at warn level.
    void warn(std::string_view message) const noexcept { log(LogLevel::warn, message); }
    /// Writes `message` at error level.
    void error(std::string_view message) const noexcept { log(LogLevel::error, message); }

private:
    static const char* level_name(LogLevel level) noexcept {
        switch (level) {
            case LogLevel::trace: return "trace";
            case LogLevel::debug: return "debug";
            case LogLevel::info: return "info";
            case LogLevel::warn: return "warn";
            case LogLevel::error: return "error";
        }
        return "log";
    }

    const cim_host_t* host_;
};

}  // namespace cim
