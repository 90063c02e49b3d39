#include "event/wire_json.hpp"

#include <cctype>
#include <cstdint>
#include <set>
#include <string>

#include "event/event_error.hpp"
#include "event/event_validation.hpp"

namespace cim::core {
namespace {

// A single-pass reader for one event object. The header is read into typed fields; `data` is scanned for
// well-formedness and kept as its exact source text, never built into a DOM: ingest is the only place an event is
// parsed, and the payload is the plugins' business.
class WireReader {
public:
    explicit WireReader(std::string_view text) : text_(text) {}

    Event read_event() {
        Event event;
        skip_whitespace();
        if (peek() != '{') fail("expected '{': an event is a JSON object");
        std::set<std::string, std::less<>> seen;
        for_each_member([&](const std::string& key) {
            if (!seen.insert(key).second) throw EventError(key, "duplicate field");
            read_field(key, event);
        });
        skip_whitespace();
        if (pos_ != text_.size()) fail("unexpected text after the event");
        return event;
    }

private:
    void read_field(const std::string& key, Event& event) {
        if (key == "id") {
            event.id = read_string_field(key);
        } else if (key == "name") {
            event.name = read_string_field(key);
        } else if (key == "type") {
            const std::string type = read_string_field(key);
            if (!parse_event_type(type, event.type)) throw EventError("type", "unknown event type '" + type + "'");
        } else if (key == "timestamp") {
            event.timestamp_ms = read_timestamp();
        } else if (key == "conversationId") {
            event.conversation_id = read_string_field(key);
        } else if (key == "channelSessionId") {
            event.channel_session_id = read_string_field(key);
        } else if (key == "customerId") {
            event.customer_id = read_string_field(key);
        } else if (key == "refersTo") {
            event.refers_to = read_string_field(key);
        } else if (key == "emitter") {
            read_emitter(event.emitter);
        } else if (key == "data") {
            const std::size_t start = pos_;
            skip_value(0);
            const std::string_view raw = text_.substr(start, pos_ - start);
            if (raw != "null") event.data = std::string(raw);  // null and absent mean the same: no payload
        } else {
            throw EventError(key, "unknown field (an event has id, name, type, timestamp, conversationId, "
                                  "channelSessionId, customerId, emitter, refersTo, data)");
        }
    }

    void read_emitter(Emitter& emitter) {
        skip_whitespace();
        if (peek() != '{') throw EventError("emitter", "expected an object {id, type, name}");
        std::set<std::string, std::less<>> seen;
        for_each_member([&](const std::string& key) {
            const std::string field = "emitter." + key;
            if (!seen.insert(key).second) throw EventError(field, "duplicate field");
            if (key == "id") {
                emitter.id = read_string_field(field);
            } else if (key == "name") {
                emitter.name = read_string_field(field);
            } else if (key == "type") {
                const std::string type = read_string_field(field);
                if (!parse_emitter_type(type, emitter.type)) {
                    throw EventError(field, "unknown emitter type '" + type +
                                                "' (CUSTOMER, AGENT, BOT, APP, SYSTEM or CONNECTOR)");
                }
            } else {
                throw EventError(field, "unknown field (an emitter has id, type, name)");
            }
        });
    }

    // Walks the members of the object that starts at the current '{': `member(key)` is called with the read key and
    // the position on its value, which it must consume. The one place the object grammar is written.
    template <typename Member>
    void for_each_member(Member member) {
        ++pos_;  // the '{'
        skip_whitespace();
        if (peek() == '}') {
            ++pos_;
            return;
        }
        for (;;) {
            skip_whitespace();
            if (peek() != '"') fail("expected a field name");
            const std::string key = read_string();
            expect_colon();
            member(key);
            skip_whitespace();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') {
                ++pos_;
                return;
            }
            fail("expected ',' or '}'");
        }
    }

    std::string read_string_field(const std::string& field) {
        skip_whitespace();
        if (peek() != '"') {
            const std::size_t start = pos_;
            skip_value(0);  // malformed JSON still reports as such, before the type complaint
            throw EventError(field, "expected a string, got " + describe(text_.substr(start, pos_ - start)));
        }
        return read_string();
    }

    std::int64_t read_timestamp() {
        skip_whitespace();
        const std::size_t start = pos_;
        skip_value(0);
        const std::string_view raw = text_.substr(start, pos_ - start);
        std::int64_t value = 0;
        bool integer = !raw.empty();
        for (char c : raw) {
            if (c < '0' || c > '9' || value > (INT64_MAX - 9) / 10) {
                integer = false;
                break;
            }
            value = value * 10 + (c - '0');
        }
        if (!integer) {
            throw EventError("timestamp", "expected an integer (ms since the epoch), got " + describe(raw));
        }
        return value;
    }

    static std::string describe(std::string_view raw) {
        if (raw.empty()) return "nothing";
        switch (raw.front()) {
            case '"': return "a string";
            case '{': return "an object";
            case '[': return "an array";
            case 't':
            case 'f': return "a boolean";
            case 'n': return "null";
            default: return "the number " + std::string(raw);
        }
    }

    // Scans one JSON value of any kind, checking its syntax. Depth-limited: hostile nesting must not blow the stack.
    void skip_value(int depth) {
        if (depth > 256) fail("nesting deeper than 256 levels");
        skip_whitespace();
        const char c = peek();
        if (c == '"') {
            skip_string();
        } else if (c == '{') {
            for_each_member([&](const std::string&) { skip_value(depth + 1); });
        } else if (c == '[') {
            ++pos_;
            skip_whitespace();
            if (peek() == ']') {
                ++pos_;
                return;
            }
            for (;;) {
                skip_value(depth + 1);
                skip_whitespace();
                if (peek() == ',') {
                    ++pos_;
                    continue;
                }
                if (peek() == ']') {
                    ++pos_;
                    return;
                }
                fail("expected ',' or ']'");
            }
        } else if (c == 't') {
            expect_word("true");
        } else if (c == 'f') {
            expect_word("false");
        } else if (c == 'n') {
            expect_word("null");
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            skip_number();
        } else {
            fail(pos_ >= text_.size() ? "unexpected end of input" : "expected a value");
        }
    }

    void skip_number() {
        auto digits = [&] {
            const std::size_t start = pos_;
            while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
            if (pos_ == start) fail("expected a digit");
        };
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
        } else {
            digits();
        }
        if (peek() == '.') {
            ++pos_;
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            digits();
        }
    }

    void skip_string() {
        ++pos_;  // the opening quote
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == '"') {
                ++pos_;
                return;
            }
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
            if (c == '\\') {
                ++pos_;
                const char e = peek();
                if (e == 'u') {
                    for (int i = 0; i < 4; ++i) {
                        ++pos_;
                        if (!std::isxdigit(static_cast<unsigned char>(peek()))) fail("expected 4 hex digits after \\u");
                    }
                } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos || e == '\0') {
                    fail("invalid escape");
                }
            }
            ++pos_;
        }
        fail("unterminated string");
    }

    std::string read_string() {
        ++pos_;  // the opening quote
        std::string out;
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) {
                --pos_;
                fail("control character in a string");
            }
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            const char e = peek();
            ++pos_;
            switch (e) {
                case '"': out.push_back('"'); break;
                case '\\': out.push_back('\\'); break;
                case '/': out.push_back('/'); break;
                case 'b': out.push_back('\b'); break;
                case 'f': out.push_back('\f'); break;
                case 'n': out.push_back('\n'); break;
                case 'r': out.push_back('\r'); break;
                case 't': out.push_back('\t'); break;
                case 'u': append_utf8(out, read_code_point()); break;
                default: --pos_; fail("invalid escape");
            }
        }
        fail("unterminated string");
    }

    std::uint32_t read_hex4() {
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = peek();
            std::uint32_t digit = 0;
            if (h >= '0' && h <= '9') digit = static_cast<std::uint32_t>(h - '0');
            else if (h >= 'a' && h <= 'f') digit = static_cast<std::uint32_t>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') digit = static_cast<std::uint32_t>(h - 'A' + 10);
            else fail("expected 4 hex digits after \\u");
            value = value * 16 + digit;
            ++pos_;
        }
        return value;
    }

    // \uXXXX, joining a UTF-16 surrogate pair into one code point.
    std::uint32_t read_code_point() {
        const std::uint32_t first = read_hex4();
        if (first < 0xD800 || first > 0xDFFF) return first;
        if (first > 0xDBFF) fail("lone low surrogate in \\u escape");
        if (peek() != '\\' || pos_ + 1 >= text_.size() || text_[pos_ + 1] != 'u') fail("high surrogate without its pair");
        pos_ += 2;
        const std::uint32_t second = read_hex4();
        if (second < 0xDC00 || second > 0xDFFF) fail("high surrogate without its pair");
        return 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
    }

    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    void expect_colon() {
        skip_whitespace();
        if (peek() != ':') fail("expected ':'");
        ++pos_;
    }

    void expect_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) fail("expected a value");
        pos_ += word.size();
    }

    void skip_whitespace() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
            ++pos_;
        }
    }

    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    [[noreturn]] void fail(const std::string& what) const {
        throw EventError("", "malformed JSON at byte " + std::to_string(pos_) + ": " + what);
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    for (char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    static constexpr char hex[] = "0123456789abcdef";
                    out += "\\u00";
                    out.push_back(hex[(c >> 4) & 0x0F]);
                    out.push_back(hex[c & 0x0F]);
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    if (value.empty()) return;
    if (out.size() > 1) out.push_back(',');
    append_json_string(out, name);
    out.push_back(':');
    append_json_string(out, value);
}

}  // namespace

Event parse_event_json(std::string_view text, const Catalogue& catalogue) {
    Event event = WireReader(text).read_event();
    validate_event(event, catalogue);
    return event;
}

std::string to_event_json(const Event& event) {
    std::string out = "{";
    out.reserve(128 + event.data.size());
    append_field(out, "id", event.id);
    append_field(out, "name", event.name);
    append_field(out, "type", to_string(event.type));
    if (event.timestamp_ms != 0) {
        if (out.size() > 1) out.push_back(',');
        out += "\"timestamp\":" + std::to_string(event.timestamp_ms);
    }
    append_field(out, "conversationId", event.conversation_id);
    append_field(out, "channelSessionId", event.channel_session_id);
    append_field(out, "customerId", event.customer_id);
    if (!event.emitter.id.empty() || event.emitter.type != EmitterType::unset || !event.emitter.name.empty()) {
        if (out.size() > 1) out.push_back(',');
        std::string emitter = "{";
        append_field(emitter, "id", event.emitter.id);
        append_field(emitter, "type", to_string(event.emitter.type));
        append_field(emitter, "name", event.emitter.name);
        out += "\"emitter\":" + emitter + "}";
    }
    append_field(out, "refersTo", event.refers_to);
    if (!event.data.empty()) {
        if (out.size() > 1) out.push_back(',');
        out += "\"data\":" + event.data;
    }
    out.push_back('}');
    return out;
}

}  // namespace cim::core
