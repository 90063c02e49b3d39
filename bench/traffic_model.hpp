// The benchmark's traffic: N concurrent conversations, each a realistic contact-center sequence (session start,
// customer / bot / agent messages with delivery notifications and reactions, agent subscribe, wrap-up, survey, end),
// with CIM message payloads of 200-600 bytes. Events are interleaved across conversations, as live traffic is.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace cim::bench {

/// One event in its JSON wire form, split around its id (and the id it refers to) so each publish stamps fresh ids.
struct WireEvent {
    std::string after_id;   ///< the text after the id up to the refersTo value (or to the end)
    std::string after_ref;  ///< the text after the refersTo value; empty when the event refers to nothing
    long refers_to = -1;    ///< index of the event this one updates (a reaction, a delivery notification), or -1
    std::string conversation_id;

    /// The wire text with `id`, referring to `referred_id`.
    std::string with_ids(const std::string& id, const std::string& referred_id) const {
        std::string text = "{\"id\":\"";
        text.reserve(after_id.size() + after_ref.size() + 64);
        text += id;
        text += after_id;
        if (refers_to >= 0) {
            text += referred_id;
            text += after_ref;
        }
        return text;
    }
};

/// Events per conversation in the model.
constexpr std::size_t events_per_conversation = 18;

/// `total` events from conversations of which `concurrent` are open at any time, interleaved round-robin. The
/// payload text of every message is padded so CIM messages are 200-600 bytes.
std::vector<WireEvent> make_traffic(std::size_t total, std::size_t concurrent);

/// The benchmark's event id: "b-<seq>-<ns>", ns = steady_clock at publish (what the sinks read latency from).
std::string stamped_id(std::size_t seq);

}  // namespace cim::bench
