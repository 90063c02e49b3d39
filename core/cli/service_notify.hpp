// Telling systemd where `cimrt run` stands, for a unit with Type=notify (packaging/cimrt.service).
#pragma once

#include <string>

namespace cim::cli {

/// The service manager's readiness protocol (sd_notify). Outside systemd — NOTIFY_SOCKET unset — every call does
/// nothing, so `cimrt run` behaves the same from a terminal. Thread-safe: each call is one datagram.
namespace service_notify {

/// Started: the store is open, conversations are restored, every plugin started. `status` is shown by
/// `systemctl status`.
void ready(const std::string& status);
/// A reload begins (SIGHUP or `cimrt reload`); systemd holds further reloads until the next ready().
void reloading();
/// The runtime drains and stops.
void stopping();

}  // namespace service_notify
}  // namespace cim::cli
