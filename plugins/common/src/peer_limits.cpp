#include "peer_limits.hpp"

namespace cim::web {

bool PeerLimits::admit(const std::string& peer) {
    if (total_.load(std::memory_order_relaxed) >= max_total_) return false;
    std::size_t& mine = per_peer_[peer];
    if (mine >= max_per_peer_) return false;  // the entry exists already: mine > 0, nothing to clean up
    ++mine;
    total_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void PeerLimits::release(const std::string& peer) {
    const auto it = per_peer_.find(peer);
    if (it == per_peer_.end()) return;
    if (--it->second == 0) per_peer_.erase(it);  // an address with no connection costs nothing
    total_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace cim::web
