// SessionTracker::snapshot / restore_snapshot: the tracker's state in a compact binary form (docs/store.md,
// "Snapshots"). Binary rather than JSON because start-up time is what a snapshot is for: restoring 10k conversations
// must cost milliseconds. Little-endian fixed-width integers, strings as length + bytes, and a trailing FNV-1a
// checksum of everything before it, so a torn or damaged body is refused instead of restoring a wrong state.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "sessions/session_tracker.hpp"

namespace cim::core {
namespace {

constexpr std::uint32_t snapshot_format = 1;
constexpr char magic[8] = {'C', 'I', 'M', 'T', 'R', 'A', 'C', 'K'};

std::uint64_t checksum(std::string_view bytes) {
    std::uint64_t hash = 1469598103934665603ULL;
    for (const char c : bytes) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL;
    }
    return hash;
}

class Writer {
public:
    template <typename T>
    void put(T value) {
        static_assert(std::is_trivially_copyable_v<T>);
        char bytes[sizeof(T)];
        std::memcpy(bytes, &value, sizeof(T));
        out_.append(bytes, sizeof(T));
    }
    void put(std::string_view text) {
        put(static_cast<std::uint32_t>(text.size()));
        out_.append(text.data(), text.size());
    }
    void put(const std::vector<std::uint64_t>& hashes) {
        put(static_cast<std::uint64_t>(hashes.size()));
        out_.append(reinterpret_cast<const char*>(hashes.data()), hashes.size() * sizeof(std::uint64_t));
    }
    void raw(std::string_view bytes) { out_.append(bytes.data(), bytes.size()); }
    std::string finish() {
        put(checksum(out_));
        return std::move(out_);
    }

private:
    std::string out_;
};

class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    template <typename T>
    T get() {
        need(sizeof(T));
        T value;
        std::memcpy(&value, in_.data() + at_, sizeof(T));
        at_ += sizeof(T);
        return value;
    }
    std::string text() {
        const auto size = get<std::uint32_t>();
        need(size);
        std::string value(in_.substr(at_, size));
        at_ += size;
        return value;
    }
    std::vector<std::uint64_t> hashes() {
        const auto count = get<std::uint64_t>();
        if (count > (in_.size() - at_) / sizeof(std::uint64_t)) throw SnapshotError("snapshot: truncated id list");
        std::vector<std::uint64_t> value(count);
        std::memcpy(value.data(), in_.data() + at_, count * sizeof(std::uint64_t));
        at_ += count * sizeof(std::uint64_t);
        return value;
    }
    void expect(std::string_view bytes) {
        need(bytes.size());
        if (in_.substr(at_, bytes.size()) != bytes) throw SnapshotError("snapshot: not a session tracker snapshot");
        at_ += bytes.size();
    }
    bool done() const { return at_ == in_.size(); }

private:
    void need(std::size_t bytes) const {
        if (in_.size() - at_ < bytes) throw SnapshotError("snapshot: truncated");
    }
    std::string_view in_;
    std::size_t at_ = 0;
};

template <typename Enum>
Enum checked(std::uint8_t value, std::uint8_t last, const char* what) {
    if (value > last) throw SnapshotError(std::string("snapshot: bad ") + what);
    return static_cast<Enum>(value);
}

}  // namespace

std::string SessionTracker::snapshot() const {
    Writer w;
    w.raw(std::string_view(magic, sizeof magic));
    w.put(snapshot_format);
    w.put(static_cast<std::uint64_t>(conversations_.size()));
    for (const auto& [id, c] : conversations_) {
        w.put(std::string_view(c.id));
        w.put(std::string_view(c.customer_id));
        w.put(static_cast<std::uint8_t>(c.state));
        w.put(static_cast<std::uint8_t>((c.customer_unresponsive ? 1 : 0) | (c.ever_active ? 2 : 0)));
        w.put(c.closed_at_ms);
        w.put(static_cast<std::uint32_t>(c.channel_sessions.size()));
        for (const ChannelSession& s : c.channel_sessions) {
            w.put(std::string_view(s.id));
            w.put(static_cast<std::uint8_t>(s.state));
            w.put(static_cast<std::uint8_t>((s.interactive ? 1 : 0) | (s.on_hold ? 2 : 0)));
            w.put(s.last_customer_activity_ms);
        }
        w.put(static_cast<std::uint32_t>(c.participants.size()));
        for (const Participant& p : c.participants) {
            w.put(std::string_view(p.id));
            w.put(static_cast<std::uint32_t>(p.type));
            w.put(static_cast<std::uint8_t>(p.role));
            w.put(static_cast<std::uint8_t>(p.active ? 1 : 0));
        }
        w.put(c.seen_event_ids);
        w.put(c.activity_ids);
    }
    w.put(seen_without_conversation_);
    std::vector<std::uint64_t> evicted = evicted_sorted_;
    evicted.insert(evicted.end(), evicted_recent_.begin(), evicted_recent_.end());
    std::sort(evicted.begin(), evicted.end());
    w.put(evicted);
    return w.finish();
}

void SessionTracker::restore_snapshot(std::string_view body) {
    if (body.size() < sizeof magic + sizeof(std::uint64_t)) throw SnapshotError("snapshot: truncated");
    const std::string_view content = body.substr(0, body.size() - sizeof(std::uint64_t));
    std::uint64_t stored = 0;
    std::memcpy(&stored, body.data() + content.size(), sizeof stored);
    if (stored != checksum(content)) throw SnapshotError("snapshot: checksum mismatch (damaged)");

    Reader r(content);
    r.expect(std::string_view(magic, sizeof magic));
    if (const auto format = r.get<std::uint32_t>(); format != snapshot_format) {
        throw SnapshotError("snapshot: format " + std::to_string(format) + ", this runtime reads " +
                            std::to_string(snapshot_format));
    }
    deadlines_.clear();
    graveyard_.clear();
    conversations_.clear();
    recent_ = nullptr;
    const auto count = r.get<std::uint64_t>();
    conversations_.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
        std::string id = r.text();
        auto [it, created] = conversations_.try_emplace(id);
        if (!created) throw SnapshotError("snapshot: conversation " + id + " twice");
        Conversation& c = it->second;
        c.id = std::move(id);
        c.customer_id = r.text();
        c.state = checked<ConversationState>(r.get<std::uint8_t>(), 5, "conversation state");
        const auto flags = r.get<std::uint8_t>();
        c.customer_unresponsive = (flags & 1) != 0;
        c.ever_active = (flags & 2) != 0;
        c.closed_at_ms = r.get<std::int64_t>();
        c.channel_sessions.resize(r.get<std::uint32_t>());
        for (ChannelSession& s : c.channel_sessions) {
            s.id = r.text();
            s.state = checked<ChannelSessionState>(r.get<std::uint8_t>(), 2, "session state");
            const auto session_flags = r.get<std::uint8_t>();
            s.interactive = (session_flags & 1) != 0;
            s.on_hold = (session_flags & 2) != 0;
            s.last_customer_activity_ms = r.get<std::int64_t>();
        }
        c.participants.resize(r.get<std::uint32_t>());
        for (Participant& p : c.participants) {
            p.id = r.text();
            p.type = static_cast<EmitterType>(r.get<std::uint32_t>());
            p.role = checked<ParticipantRole>(r.get<std::uint8_t>(), 3, "participant role");
            p.active = r.get<std::uint8_t>() != 0;
        }
        c.seen_event_ids = r.hashes();
        c.activity_ids = r.hashes();
    }
    seen_without_conversation_ = r.hashes();
    evicted_sorted_ = r.hashes();
    evicted_recent_.clear();
    if (!r.done()) throw SnapshotError("snapshot: trailing bytes");
    for (auto& [id, c] : conversations_) schedule(c);
}

}  // namespace cim::core
