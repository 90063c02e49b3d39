#include "bot_training_export.hpp"

#include <algorithm>

namespace cim::cli {
namespace {

std::string string_at(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) return "";
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const nlohmann::json& object_at(const nlohmann::json& object, const char* key) {
    static const nlohmann::json none;
    if (!object.is_object()) return none;
    const auto it = object.find(key);
    return it != object.end() && it->is_object() ? *it : none;
}

// A training example is one line: line breaks, tabs and other control characters become spaces, runs of spaces one,
// and the ends are trimmed. (A YAML literal block cannot hold control characters, and Rasa reads one example a line.)
std::string one_line(const std::string& text) {
    std::string out;
    for (const char ch : text) {
        const bool space = static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f || ch == ' ';
        if (space) {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += ch;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::string message_text(const nlohmann::json& data) {
    const nlohmann::json& body = object_at(data, "body");
    std::string text = string_at(body, "markdownText");
    if (text.empty()) text = string_at(body, "payload");
    return text;
}

}  // namespace

std::string BotTrainingExport::label_of(const std::string& flag, const std::string& intent) {
    std::string label = intent.empty() ? "flag_" + flag : intent;
    for (char& ch : label) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        const bool keep = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
        if (!keep) ch = '_';
    }
    return label;
}

void BotTrainingExport::add_event(const nlohmann::json& event) {
    if (!event.is_object()) return;
    const std::string name = string_at(event, "name");
    const std::string conversation_id = string_at(event, "conversationId");
    const std::int64_t at = event.value("timestamp", std::int64_t{0});
    const nlohmann::json data = event.value("data", nlohmann::json());

    if (name == "CUSTOMER_MESSAGE") {
        if (since_ms_ && at < *since_ms_) return;
        const std::string text = one_line(message_text(data));
        if (text.empty()) return;
        Example e;
        e.conversation_id = conversation_id;
        e.event_id = string_at(event, "id");
        e.at = at;
        e.text = text;
        const Target target{examples_.size(), false};
        examples_.push_back(std::move(e));
        by_event_id_[examples_.back().event_id] = target;
        if (!string_at(data, "id").empty()) by_message_id_[{conversation_id, string_at(data, "id")}] = target;
    } else if (name == "BOT_MESSAGE") {
        const std::string replied_to = string_at(object_at(data, "header"), "replyToMessageId");
        const auto it = by_message_id_.find({conversation_id, replied_to});
        if (replied_to.empty() || it == by_message_id_.end()) return;
        Example& e = examples_[it->second.example];
        const std::string reply = one_line(message_text(data));
        // Several replies to one message (an external bot may send more than one) read as one answer.
        e.bot_reply = e.bot_reply && !e.bot_reply->empty() ? *e.bot_reply + " " + reply : reply;
        if (e.bot_event_id.empty()) e.bot_event_id = string_at(event, "id");
        const Target target{it->second.example, true};
        by_event_id_[string_at(event, "id")] = target;
        if (!string_at(data, "id").empty()) by_message_id_[{conversation_id, string_at(data, "id")}] = target;
    } else if (name == "ACTIVITY_REACTION") {
        const std::string flag = string_at(data, "flag");
        if (flag.empty()) return;  // an emoji, a button answer: not a trainer's judgement
        // refersTo names the event (the wire form's rule); a CIM message id is taken too, within the conversation.
        const std::string refers_to = string_at(event, "refersTo");
        const Target* target = nullptr;
        if (const auto it = by_event_id_.find(refers_to); it != by_event_id_.end()) target = &it->second;
        if (const auto it = by_message_id_.find({conversation_id, refers_to}); !target && it != by_message_id_.end()) {
            target = &it->second;
        }
        if (target == nullptr) {
            ++unmatched_flags_;
            return;
        }
        const nlohmann::json& emitter = object_at(event, "emitter");
        examples_[target->example].flags.push_back({flag, string_at(data, "intent"), string_at(emitter, "id"),
                                                    string_at(emitter, "type"),
                                                    target->bot ? "BOT_MESSAGE" : "CUSTOMER_MESSAGE", at});
    }
}

std::vector<std::string> BotTrainingExport::labels_of(const Example& e) const {
    std::vector<std::string> labels;
    for (const Flag& f : e.flags) {
        std::string label = label_of(f.flag, f.intent);
        if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(std::move(label));
    }
    return labels;
}

std::size_t BotTrainingExport::examples() const {
    return static_cast<std::size_t>(
        std::count_if(examples_.begin(), examples_.end(), [&](const Example& e) { return wanted(e); }));
}

std::size_t BotTrainingExport::flagged() const {
    return static_cast<std::size_t>(
        std::count_if(examples_.begin(), examples_.end(), [](const Example& e) { return !e.flags.empty(); }));
}

void BotTrainingExport::write_jsonl(std::ostream& out) const {
    for (const Example& e : examples_) {
        if (!wanted(e)) continue;
        nlohmann::json flags = nlohmann::json::array();
        for (const Flag& f : e.flags) {
            nlohmann::json flag = {
                {"flag", f.flag}, {"by", f.by}, {"byType", f.by_type}, {"on", f.on}, {"timestamp", f.at}};
            if (!f.intent.empty()) flag["intent"] = f.intent;
            flags.push_back(std::move(flag));
        }
        const nlohmann::json line = {
            {"conversationId", e.conversation_id},
            {"messageId", e.event_id},
            {"timestamp", e.at},
            {"text", e.text},
            {"botReply", e.bot_reply ? nlohmann::json(*e.bot_reply) : nlohmann::json()},
            {"botMessageId", e.bot_event_id.empty() ? nlohmann::json() : nlohmann::json(e.bot_event_id)},
            {"flags", std::move(flags)},
            {"labels", labels_of(e)},
        };
        out << line.dump() << '\n';
    }
}

void BotTrainingExport::write_rasa(std::ostream& out) const {
    // Labels in name order (the output does not depend on how conversations interleave in the journal); under each,
    // its examples in journal order, each text once.
    std::map<std::string, std::vector<std::string>> texts;
    for (const Example& e : examples_) {
        for (const std::string& label : labels_of(e)) {
            auto& list = texts[label];
            if (std::find(list.begin(), list.end(), e.text) == list.end()) list.push_back(e.text);
        }
    }
    out << "# Flagged customer messages from the cimrt journal (cimrt export bot-training); see docs/bot-training.md.\n"
        << "version: \"3.1\"\n";
    if (texts.empty()) {
        out << "nlu: []\n";
        return;
    }
    out << "nlu:\n";
    for (const auto& [label, list] : texts) {
        // A literal block: its lines are taken as they are, so ':', '#' or quotes in a text need no quoting (texts
        // are one trimmed line each, so none can end the block or change its indentation).
        out << "- intent: " << label << "\n  examples: |\n";
        for (const std::string& text : list) out << "    - " << text << '\n';
    }
}

}  // namespace cim::cli
