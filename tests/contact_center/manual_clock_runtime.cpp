// `cimrt run` for tests that kill it and need time to move by hand: runs the runtime of CONFIG with a manual clock
// starting at START_MS (ms since the epoch), so a test can SIGKILL it, start it again where the clock stood, and step
// offer and queue timeouts instead of waiting for them. `cimrt run` itself only has the wall clock.
//
// Protocol, one line each: stdin "advance <ms>" moves the clock, waits until what the due timers published is
// delivered, and answers "advanced #<n> now=<ms>" on stderr (n counts from 1). stderr "running now=<ms>" once started.
// SIGTERM and SIGINT stop it as `cimrt run` stops (drain, write out journal and plugin state), exit code 0.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "bus/clock.hpp"
#include "config/runtime_config.hpp"
#include "runtime/runtime_impl.hpp"

namespace {

/// Reads one line of stdin (without the newline); false at end of file.
bool read_line(std::string& line) {
    line.clear();
    char c = 0;
    while (true) {
        const ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n <= 0) return !line.empty();
        if (c == '\n') return true;
        line.push_back(c);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s CONFIG START_MS\n", argv[0]);
        return 64;
    }
    // Blocked before any runtime thread exists, so every thread inherits the mask and only the signalfd sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    const int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
    try {
        auto clock = std::make_unique<cim::core::ManualClock>(std::stoll(argv[2]));
        auto* manual = clock.get();
        cim::runtime::RuntimeOptions quiet;
        quiet.log_to_stderr = false;
        auto runtime = cim::runtime::make_runtime(cim::core::load_config_file(argv[1]), quiet, std::move(clock));
        for (const auto& warning : runtime->start()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
        std::fprintf(stderr, "running now=%lld\n", static_cast<long long>(manual->now_ms()));
        std::fflush(stderr);

        pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {signal_fd, POLLIN, 0}};
        int advances = 0;
        bool input_open = true;
        while (true) {
            fds[0].fd = input_open ? STDIN_FILENO : -1;
            if (::poll(fds, 2, -1) < 0) continue;  // EINTR
            if (fds[1].revents & POLLIN) break;
            if (!(fds[0].revents & (POLLIN | POLLHUP))) continue;
            std::string line;
            if (!read_line(line)) {
                input_open = false;  // keeps running until a signal, as `cimrt run` does
                continue;
            }
            if (line.rfind("advance ", 0) != 0) {
                std::fprintf(stderr, "unknown command: %s\n", line.c_str());
                continue;
            }
            manual->advance(std::stoll(line.substr(8)));
            runtime->drain();
            std::fprintf(stderr, "advanced #%d now=%lld\n", ++advances, static_cast<long long>(manual->now_ms()));
            std::fflush(stderr);
        }
        runtime->stop();
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cimrt: %s\n", e.what());
        return 1;
    }
}
