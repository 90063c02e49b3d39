#include "event/wire_json.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>

#include "event/event_error.hpp"
#include "event/event_validation.hpp"

namespace cim::core {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------------------------

// The header fields a wire event may carry, in wire order; the index is the field's bit in the reader's duplicate set.
enum class WireField : unsigned {
    id,
    name,
    type,
    timestamp,
    conversation_id,
    channel_session_id,
    customer_id,
    emitter,
    refers_to,
    data,
    journal_seq,
};

struct WireFieldName {
    std::string_view name;
    WireField field;
};

constexpr WireFieldName event_fields[] = {
    {"id", WireField::id},
    {"name", WireField::name},
    {"type", WireField::type},
    {"timestamp", WireField::timestamp},
    {"conversationId", WireField::conversation_id},
    {"channelSessionId", WireField::channel_session_id},
    {"customerId", WireField::customer_id},
    {"emitter", WireField::emitter},
    {"refersTo", WireField::refers_to},
    {"data", WireField::data},
    {"journalSeq", WireField::journal_seq},
};

enum class EmitterField : unsigned { id, type, name };

struct EmitterFieldName {
    std::string_view name;
    EmitterField field;
};

constexpr EmitterFieldName emitter_fields[] = {
    {"id", EmitterField::id},
    {"type", EmitterField::type},
    {"name", EmitterField::name},
};

// What a JSON value is, told by its first byte; `none` when no value can start there.
enum class ValueKind { none, object, array, string, number, boolean, null };

ValueKind kind_starting_with(char c) {
    switch (c) {
        case '{': return ValueKind::object;
        case '[': return ValueKind::array;
        case '"': return ValueKind::string;
        case 't':
        case 'f': return ValueKind::boolean;
        case 'n': return ValueKind::null;
        case '-': return ValueKind::number;
        default: return c >= '0' && c <= '9' ? ValueKind::number : ValueKind::none;
    }
}

std::string_view with_article(ValueKind kind) {
    switch (kind) {
        case ValueKind::object: return "an object";
        case ValueKind::array: return "an array";
        case ValueKind::string: return "a string";
        case ValueKind::number: return "a number";
        case ValueKind::boolean: return "a boolean";
        case ValueKind::null: return "null";
        case ValueKind::none: break;
    }
    return "nothing";
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// Producers get the camelCase wrong more often than anything else ("conversationID"), so the error says the fix.
template <typename FieldNames>
EventError unknown_field(const std::string& path, std::string_view key, const FieldNames& known) {
    std::string message = "unknown field";
    for (const auto& candidate : known) {
        if (equals_ignoring_case(candidate.name, key)) {
            message += " (did you mean '" + std::string(candidate.name) + "'?)";
            break;
        }
    }
    return EventError(path, message);
}

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

unsigned hex_value(char c) {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    return static_cast<unsigned>(c - 'A' + 10);
}

void append_utf8(std::string& out, std::uint32_t code_point) {
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xC0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xE0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
}

// The length of the well-formed UTF-8 sequence at the start of `bytes`, or 0 (Unicode 15, table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF). Consumers parse `data` with strict parsers, so it is refused here.
std::size_t utf8_sequence_length(std::string_view bytes) {
    const auto byte = [&bytes](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    unsigned char second_min = 0x80;
    unsigned char second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_min = 0xA0;
        if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_min = 0x90;
        if (lead == 0xF4) second_max = 0x8F;
    } else {
        return 0;
    }
    if (bytes.size() < length) return 0;
    if (byte(1) < second_min || byte(1) > second_max) return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    }
    return length;
}

// A single pass over the event object: header fields are decoded into the Event, `data` is checked for syntax while
// it is skipped and kept as the exact source text. No DOM is built; nothing is read twice.
class EventReader {
public:
    explicit EventReader(std::string_view text) : text_(text) {}

    Event read_event() {
        skip_whitespace();
        if (peek() != '{') {
            const ValueKind kind = kind_starting_with(peek());
            skip_value();  // a malformed document is reported as such before its shape is
            throw EventError("", "an event must be a JSON object, not " + std::string(with_article(kind)));
        }
        ++pos_;
        Event event;
        unsigned seen = 0;
        skip_whitespace();
        if (peek() == '}') {
            ++pos_;
        } else {
            for (;;) {
                const std::string key = read_member_name();
                read_event_field(key, event, seen);
                if (!next_member('}')) break;
            }
        }
        skip_whitespace();
        if (pos_ != text_.size()) fail("unexpected text after the event object");
        return event;
    }

    /// Checks that the whole text is one well-formed JSON value (the rules `data` is read with).
    void check_single_value() {
        skip_whitespace();
        skip_value();
        skip_whitespace();
        if (pos_ != text_.size()) fail("unexpected text after the value");
    }

private:
    // ---- the header ----

    void read_event_field(const std::string& key, Event& event, unsigned& seen) {
        const WireField* field = nullptr;
        for (const auto& candidate : event_fields) {
            if (candidate.name == key) field = &candidate.field;
        }
        if (field == nullptr) throw unknown_field(key, key, event_fields);
        mark_seen(seen, static_cast<unsigned>(*field), key);

        switch (*field) {
            case WireField::id: read_string_field(key, event.id); break;
            case WireField::name: read_string_field(key, event.name); break;
            case WireField::type: read_event_type(key, event.type); break;
            case WireField::timestamp: read_timestamp(key, event.timestamp_ms); break;
            case WireField::conversation_id: read_string_field(key, event.conversation_id); break;
            case WireField::channel_session_id: read_string_field(key, event.channel_session_id); break;
            case WireField::customer_id: read_string_field(key, event.customer_id); break;
            case WireField::emitter: read_emitter(key, event.emitter); break;
            case WireField::refers_to: read_string_field(key, event.refers_to); break;
            case WireField::data: {
                const std::size_t start = pos_;
                skip_value();
                event.data = std::string(text_.substr(start, pos_ - start));
                break;
            }
            case WireField::journal_seq:
                read_timestamp(key, event.journal_seq);  // the same rule: an integer
                if (event.journal_seq < 0) throw EventError(key, "must not be negative");
                break;
        }
    }

    void read_emitter(const std::string& path, Emitter& emitter) {
        if (skip_null()) return;
        if (peek() != '{') type_mismatch(path, "expected an object");
        ++pos_;
        unsigned seen = 0;
        skip_whitespace();
        if (peek() == '}') {
            ++pos_;
            return;
        }
        for (;;) {
            const std::string key = read_member_name();
            const std::string field_path = path + "." + key;
            const EmitterField* field = nullptr;
            for (const auto& candidate : emitter_fields) {
                if (candidate.name == key) field = &candidate.field;
            }
            if (field == nullptr) throw unknown_field(field_path, key, emitter_fields);
            mark_seen(seen, static_cast<unsigned>(*field), field_path);
            switch (*field) {
                case EmitterField::id: read_string_field(field_path, emitter.id); break;
                case EmitterField::type: read_emitter_type(field_path, emitter.type); break;
                case EmitterField::name: read_string_field(field_path, emitter.name); break;
            }
            if (!next_member('}')) return;
        }
    }

    // null stands for an absent field: producers that serialise every member of their class (Jackson's default,
    // which the public CIM services use) write `"refersTo": null` rather than leaving it out.
    void read_string_field(const std::string& path, std::string& out) {
        if (skip_null()) return;
        if (peek() != '"') type_mismatch(path, "expected a string");
        scan_string(&out);
    }

    void read_event_type(const std::string& path, EventType& out) {
        std::string spelling;
        read_string_field(path, spelling);
        if (spelling.empty()) return;
        if (!parse_event_type(spelling, out)) throw EventError(path, "unknown event type '" + spelling + "'");
    }

    void read_emitter_type(const std::string& path, EmitterType& out) {
        std::string spelling;
        read_string_field(path, spelling);
        if (spelling.empty()) return;
        if (!parse_emitter_type(spelling, out)) throw EventError(path, "unknown emitter type '" + spelling + "'");
    }

    void read_timestamp(const std::string& path, std::int64_t& out) {
        if (skip_null()) return;
        if (kind_starting_with(peek()) != ValueKind::number) type_mismatch(path, "expected an integer");
        const std::string_view number = scan_number();
        if (number.find_first_of(".eE") != std::string_view::npos) throw EventError(path, "expected an integer");
        // scan_number() proved the text is one integer, so range is the only thing from_chars can object to.
        if (std::from_chars(number.data(), number.data() + number.size(), out).ec == std::errc::result_out_of_range) {
            throw EventError(path, "out of range");
        }
    }

    // A header field holding the wrong kind of value. The value must still start like one, or the document is
    // malformed, which is the more useful thing to report.
    [[noreturn]] void type_mismatch(const std::string& path, std::string_view expectation) const {
        if (kind_starting_with(peek()) == ValueKind::none) fail("expected a value");
        throw EventError(path, std::string(expectation));
    }

    static void mark_seen(unsigned& seen, unsigned bit, const std::string& path) {
        if ((seen & (1u << bit)) != 0) throw EventError(path, "duplicate field");
        seen |= 1u << bit;
    }

    // ---- structure ----

    // At a member's name (after '{' or ','): reads the name and its ':', leaving the position at the value.
    std::string read_member_name() {
        skip_whitespace();
        if (peek() != '"') fail("expected a field name in quotes");
        std::string name;
        scan_string(&name);
        skip_whitespace();
        if (peek() != ':') fail("expected ':'");
        ++pos_;
        skip_whitespace();
        return name;
    }

    // After a member's value: true when a ',' announces another member, false when `closer` ends the object.
    bool next_member(char closer) {
        skip_whitespace();
        const char c = peek();
        if (c == ',') {
            ++pos_;
            return true;
        }
        if (c != closer) fail("expected ',' or '}'");
        ++pos_;
        return false;
    }

    // Checks the syntax of one value and moves past it. Iterative, with the open containers on a stack of their
    // closing brackets, so a deeply nested `data` cannot exhaust the call stack.
    void skip_value() {
        std::string closers;
        for (;;) {
            skip_whitespace();
            bool complete = true;
            switch (peek()) {
                case '{':
                    ++pos_;
                    skip_whitespace();
                    if (peek() == '}') {
                        ++pos_;
                    } else {
                        closers += '}';
                        read_member_name();
                        complete = false;
                    }
                    break;
                case '[':
                    ++pos_;
                    skip_whitespace();
                    if (peek() == ']') {
                        ++pos_;
                    } else {
                        closers += ']';
                        complete = false;
                    }
                    break;
                default:
                    skip_scalar();
            }
            if (!complete) continue;  // the container's first value follows

            for (;;) {  // close every container this value completes, or step to the next element
                if (closers.empty()) return;
                skip_whitespace();
                const char c = peek();
                if (c == closers.back()) {
                    ++pos_;
                    closers.pop_back();
                    continue;
                }
                if (c != ',') fail(closers.back() == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
                ++pos_;
                if (closers.back() == '}') read_member_name();
                break;
            }
        }
    }

    void skip_scalar() {
        switch (kind_starting_with(peek())) {
            case ValueKind::string: scan_string(nullptr); return;
            case ValueKind::number: scan_number(); return;
            case ValueKind::boolean: skip_literal(peek() == 't' ? "true" : "false"); return;
            case ValueKind::null: skip_literal("null"); return;
            case ValueKind::object:
            case ValueKind::array:
            case ValueKind::none: break;
        }
        fail("expected a value");
    }

    bool skip_null() {
        if (peek() != 'n') return false;
        skip_literal("null");
        return true;
    }

    void skip_literal(std::string_view literal) {
        if (text_.substr(pos_, literal.size()) != literal) fail("expected '" + std::string(literal) + "'");
        pos_ += literal.size();
    }

    // RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?  Returns the number's text.
    std::string_view scan_number() {
        const std::size_t start = pos_;
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
        } else {
            skip_digits();
        }
        if (pos_ < text_.size() && text_[pos_] == '.') {
            ++pos_;
            skip_digits();
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            ++pos_;
            if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
            skip_digits();
        }
        return text_.substr(start, pos_ - start);
    }

    void skip_digits() {
        if (!is_digit(peek())) fail("expected a digit");
        while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    }

    static bool is_digit(char c) { return c >= '0' && c <= '9'; }

    // At the opening quote: checks the string and moves past it, decoding it into `decoded` unless that is null.
    void scan_string(std::string* decoded) {
        const std::size_t opening_quote = pos_;
        ++pos_;
        for (;;) {
            // Copy the run of bytes that need no decoding in one go: that is nearly every byte of a real string.
            const std::size_t run_start = pos_;
            while (pos_ < text_.size()) {
                const auto c = static_cast<unsigned char>(text_[pos_]);
                if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
                ++pos_;
            }
            if (decoded != nullptr) decoded->append(text_.substr(run_start, pos_ - run_start));
            if (pos_ >= text_.size()) fail_at(opening_quote, "unterminated string");

            const auto c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') {
                ++pos_;
                return;
            }
            if (c == '\\') {
                scan_escape(decoded, opening_quote);
            } else if (c < 0x20) {
                fail("control character in a string (escape it)");
            } else {
                const std::size_t length = utf8_sequence_length(text_.substr(pos_));
                if (length == 0) fail("invalid UTF-8");
                if (decoded != nullptr) decoded->append(text_.substr(pos_, length));
                pos_ += length;
            }
        }
    }

    void scan_escape(std::string* decoded, std::size_t opening_quote) {
        const std::size_t backslash = pos_;
        ++pos_;
        if (pos_ >= text_.size()) fail_at(opening_quote, "unterminated string");
        const char escaped = text_[pos_];
        char replacement = 0;
        switch (escaped) {
            case '"': replacement = '"'; break;
            case '\\': replacement = '\\'; break;
            case '/': replacement = '/'; break;
            case 'b': replacement = '\b'; break;
            case 'f': replacement = '\f'; break;
            case 'n': replacement = '\n'; break;
            case 'r': replacement = '\r'; break;
            case 't': replacement = '\t'; break;
            case 'u': {
                ++pos_;
                std::uint32_t code_point = read_hex4();
                if (code_point >= 0xDC00 && code_point <= 0xDFFF) fail_at(backslash, "unpaired surrogate");
                if (code_point >= 0xD800 && code_point <= 0xDBFF) {
                    // Outside the BMP, JSON spells a character as a UTF-16 pair: \uD83D\uDE00 is U+1F600.
                    if (text_.substr(pos_, 2) != "\\u") fail_at(backslash, "unpaired surrogate");
                    pos_ += 2;
                    const std::uint32_t low = read_hex4();
                    if (low < 0xDC00 || low > 0xDFFF) fail_at(backslash, "unpaired surrogate");
                    code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
                }
                if (decoded != nullptr) append_utf8(*decoded, code_point);
                return;
            }
            default:
                pos_ = backslash;
                if (escaped > ' ' && escaped <= '~') fail("invalid escape '\\" + std::string(1, escaped) + "'");
                fail("invalid escape");
        }
        ++pos_;
        if (decoded != nullptr) *decoded += replacement;
    }

    std::uint32_t read_hex4() {
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i) {
            if (pos_ >= text_.size() || !is_hex_digit(text_[pos_])) fail("expected 4 hex digits after \\u");
            value = value * 16 + hex_value(text_[pos_]);
            ++pos_;
        }
        return value;
    }

    // ---- position ----

    void skip_whitespace() {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            ++pos_;
        }
    }

    char peek() const {
        if (pos_ >= text_.size()) fail("unexpected end of input");
        return text_[pos_];
    }

    [[noreturn]] void fail(std::string_view what) const { fail_at(pos_, what); }

    // Offsets count bytes from 0, as editors' "go to byte" and `head -c` do.
    [[noreturn]] static void fail_at(std::size_t byte, std::string_view what) {
        throw EventError("", "malformed JSON at byte " + std::to_string(byte) + ": " + std::string(what));
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------------------------

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    std::size_t run_start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c != '"' && c != '\\' && c >= 0x20) continue;
        out.append(text.substr(run_start, i - run_start));
        run_start = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default: {
                constexpr char hex[] = "0123456789abcdef";
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0x0F];
            }
        }
    }
    out.append(text.substr(run_start));
    out += '"';
}

// Appends the members of one JSON object, writing the separators; the caller writes the braces.
class MemberWriter {
public:
    explicit MemberWriter(std::string& out) : out_(out) {}

    void name(std::string_view member) {
        if (!first_) out_ += ',';
        first_ = false;
        out_ += '"';
        out_ += member;  // member names are our own and need no escaping
        out_ += "\":";
    }

    void string_if_present(std::string_view member, std::string_view value) {
        if (value.empty()) return;
        name(member);
        append_json_string(out_, value);
    }

private:
    std::string& out_;
    bool first_ = true;
};

// Every byte sequence of a header string must be UTF-8: consumers parse and print these with strict parsers.
void check_utf8(std::string_view field, std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t length = utf8_sequence_length(text.substr(i));
        if (length == 0) throw EventError(std::string(field), "invalid UTF-8 at byte " + std::to_string(i));
        i += length;
    }
}

}  // namespace

void check_event_text(const Event& event) {
    check_utf8("id", event.id);
    check_utf8("name", event.name);
    check_utf8("conversationId", event.conversation_id);
    check_utf8("channelSessionId", event.channel_session_id);
    check_utf8("customerId", event.customer_id);
    check_utf8("emitter.id", event.emitter.id);
    check_utf8("emitter.name", event.emitter.name);
    check_utf8("refersTo", event.refers_to);
    if (event.data.empty()) return;
    try {
        EventReader(event.data).check_single_value();
    } catch (const EventError& e) {
        throw EventError("data", e.what());
    }
}

Event parse_event_json(std::string_view text, const Catalogue& catalogue) {
    Event event = EventReader(text).read_event();
    validate_event(event, catalogue);
    return event;
}

std::string to_event_json(const Event& event) {
    std::string out;
    out.reserve(192 + event.data.size());
    out += '{';
    MemberWriter members(out);
    members.string_if_present("id", event.id);
    members.string_if_present("name", event.name);
    members.string_if_present("type", to_string(event.type));
    if (event.timestamp_ms != 0) {
        members.name("timestamp");
        out += std::to_string(event.timestamp_ms);
    }
    members.string_if_present("conversationId", event.conversation_id);
    members.string_if_present("channelSessionId", event.channel_session_id);
    members.string_if_present("customerId", event.customer_id);
    const std::string_view emitter_type = to_string(event.emitter.type);
    if (!event.emitter.id.empty() || !emitter_type.empty() || !event.emitter.name.empty()) {
        members.name("emitter");
        out += '{';
        MemberWriter emitter(out);
        emitter.string_if_present("id", event.emitter.id);
        emitter.string_if_present("type", emitter_type);
        emitter.string_if_present("name", event.emitter.name);
        out += '}';
    }
    members.string_if_present("refersTo", event.refers_to);
    if (!event.data.empty()) {
        members.name("data");
        out += event.data;
    }
    if (event.journal_seq != 0) {
        members.name("journalSeq");
        out += std::to_string(event.journal_seq);
    }
    out += '}';
    return out;
}

}  // namespace cim::core

namespace cim::core {

bool valid_utf8(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t length = utf8_sequence_length(text.substr(i));
        if (length == 0) return false;
        i += length;
    }
    return true;
}

}  // namespace cim::core
