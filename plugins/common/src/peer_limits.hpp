// How many connections the server holds, in all and per client address: one count per TCP connection (a WebSocket
// is the HTTP connection it was upgraded from, not a second one), so a limit means what it says.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace cim::web {

class PeerLimits {
public:
    PeerLimits(std::size_t max_total, std::size_t max_per_peer) : max_total_(max_total), max_per_peer_(max_per_peer) {}

    /// Counts a new connection from `peer`, or refuses it (false, nothing counted) when either limit is reached.
    /// Loop thread only.
    bool admit(const std::string& peer);
    /// Uncounts a connection admit() counted. Loop thread only.
    void release(const std::string& peer);
    /// Connections counted now. Thread-safe.
    std::size_t total() const { return total_.load(std::memory_order_relaxed); }

private:
    std::size_t max_total_;
    std::size_t max_per_peer_;
    std::atomic<std::size_t> total_{0};
    std::unordered_map<std::string, std::size_t> per_peer_;
};

}  // namespace cim::web
