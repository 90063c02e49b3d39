// libsystemd's sd_notify in one place: the only translation unit that includes it.
#include "service_notify.hpp"

#include <ctime>

#include <systemd/sd-daemon.h>

namespace cim::cli::service_notify {

void ready(const std::string& status) {
    // unset_environment = 0: a plugin that forks keeps NOTIFY_SOCKET unread (NotifyAccess=main ignores it anyway),
    // and the later RELOADING/STOPPING messages need it.
    sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str());
}

void reloading() {
    // MONOTONIC_USEC: systemd 253's Type=notify-reload requires it with RELOADING=1; older ones ignore it.
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                      static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
    sd_notifyf(0, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu", usec);
}

void stopping() { sd_notify(0, "STOPPING=1\nSTATUS=draining and stopping"); }

}  // namespace cim::cli::service_notify
