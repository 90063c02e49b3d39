// `cimrt inspect [CONFIG] conversation|customer ID [--json]`: a conversation's state, sessions, participants and
// timeline, or a customer's journey across channels; `cimrt inspect [CONFIG] csat [--json]`: survey results per
// agent and overall. Read from CONFIG's store, so it works while the runtime is stopped.
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cim/runtime/journal_reader.hpp"
#include "command.hpp"
#include "csat_report.hpp"
#include "text_table.hpp"
#include "time_format.hpp"

namespace cim::cli {
namespace {

// What a person wants to read of an event's payload: the message text, else the compact JSON.
std::string summary(const nlohmann::json& data) {
    if (data.is_null()) return "";
    if (data.is_object()) {
        if (data.contains("body") && data["body"].is_object() && data["body"].contains("markdownText")) {
            return "\"" + data["body"]["markdownText"].get<std::string>() + "\"";
        }
        if (data.contains("status") && data["status"].is_string()) return data["status"].get<std::string>();
    }
    std::string text = data.dump();
    return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

std::string who(const nlohmann::json& emitter) {
    if (!emitter.is_object() || emitter.value("id", "").empty()) return "";
    std::string name = emitter.value("name", "");
    return (name.empty() ? emitter.value("id", "") : name) + " (" + emitter.value("type", "") + ")";
}

void print_activity(std::ostream& out, const nlohmann::json& a, bool with_conversation) {
    out << "  " << format_timestamp(a["timestamp"].get<std::int64_t>()) << "  " << a["name"].get<std::string>();
    if (with_conversation) out << "  [" << a.value("conversationId", "") << "]";
    out << "  " << who(a["emitter"]) << "  " << summary(a["data"]) << "\n";
    for (const auto& u : a["updates"]) {
        out << "      -> " << format_timestamp(u["timestamp"].get<std::int64_t>()) << "  " << u["name"].get<std::string>()
            << "  " << who(u["emitter"]) << "  " << summary(u["data"]) << "\n";
    }
}

void print_conversation(std::ostream& out, const nlohmann::json& c) {
    out << "conversation " << c["id"].get<std::string>() << "  state " << c["state"].get<std::string>()
        << "  customer " << c["customerId"].get<std::string>() << "\n\nchannel sessions:\n";
    for (const auto& s : c["channelSessions"]) {
        out << "  " << s["id"].get<std::string>() << "  " << s["state"].get<std::string>()
            << (s.value("interactive", false) ? "  (interactive)" : "") << "\n";
    }
    out << "\nparticipants:\n";
    for (const auto& p : c["participants"]) {
        out << "  " << p["id"].get<std::string>() << "  " << p["type"].get<std::string>() << "  "
            << p["role"].get<std::string>() << "  " << (p["active"].get<bool>() ? "active" : "left") << "\n";
    }
    out << "\ntimeline:\n";
    for (const auto& a : c["activities"]) print_activity(out, a, false);
    if (c.contains("unresolvedUpdates") && !c["unresolvedUpdates"].empty()) {
        out << "\nupdates of unknown activities:\n";
        for (const auto& u : c["unresolvedUpdates"]) {
            out << "  " << u["name"].get<std::string>() << " " << u["id"].get<std::string>() << " refers to "
                << u["refersTo"].get<std::string>() << "\n";
        }
    }
}

std::string number_or_dash(const nlohmann::json& value) {
    if (value.is_null()) return "-";
    std::ostringstream out;
    out << std::fixed << std::setprecision(1) << value.get<double>();
    return out.str();
}

ExitCode inspect_csat(const std::string& config, bool json) {
    auto reader = cim::runtime::JournalReader::open(config);
    CsatReport report;
    reader->journal({}, [&](const std::string& line) { report.add_journal_line(line); });
    const nlohmann::json result = report.to_json();
    if (json) {
        std::cout << result.dump(2) << '\n';
        return exit_ok;
    }
    const auto row = [](const std::string& who, const nlohmann::json& s) {
        return std::vector<std::string>{who, std::to_string(s["responses"].get<long>()), number_or_dash(s["average"]),
                                        s["csatPercent"].is_null() ? "-" : number_or_dash(s["csatPercent"]) + "%"};
    };
    TextTable table({"AGENT", "RESPONSES", "AVERAGE", "CSAT"});
    for (const auto& agent : result["agents"]) table.add_row(row(agent["agentId"], agent));
    table.add_row(row("(overall)", result["overall"]));
    table.print(std::cout);
    return exit_ok;
}

}  // namespace

void add_inspect_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand("inspect", "Show a conversation, a customer's journey or the CSAT results from CONFIG's store");
    auto args = std::make_shared<std::vector<std::string>>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("args", *args, "[CONFIG] conversation|customer ID, or [CONFIG] csat")->required()->expected(1, 3);
    cmd->add_flag("--json", *json, "machine-readable output (documented in README)");
    cmd->callback([=, &exit] {
        exit = run_guarded([&] {
            if (args->back() == "csat") {
                if (args->size() > 2) {
                    std::cerr << "inspect: csat takes no ID\n";
                    return exit_usage;
                }
                return inspect_csat(args->size() == 2 ? (*args)[0] : default_config().string(), *json);
            }
            if (args->size() < 2) {
                std::cerr << "inspect: expected 'conversation ID', 'customer ID' or 'csat'\n";
                return exit_usage;
            }
            const std::string config = args->size() == 3 ? (*args)[0] : default_config().string();
            const std::string kind = (*args)[args->size() - 2];
            const std::string id = args->back();
            if (kind != "conversation" && kind != "customer") {
                std::cerr << "inspect: expected 'conversation' or 'customer', got '" << kind << "'\n";
                return exit_usage;
            }
            auto reader = cim::runtime::JournalReader::open(config);
            if (kind == "conversation") {
                const nlohmann::json c = reader->conversation(id);
                if (c.is_null()) {
                    std::cerr << "no conversation '" << id << "' in the journal of " << config << '\n';
                    return exit_failure;
                }
                if (*json) {
                    std::cout << c.dump(2) << '\n';
                } else {
                    print_conversation(std::cout, c);
                }
                return exit_ok;
            }
            const nlohmann::json journey = reader->customer(id);
            if (*json) {
                std::cout << journey.dump(2) << '\n';
                return exit_ok;
            }
            std::cout << "customer " << id << ": " << journey["activities"].size() << " activities\n";
            for (const auto& a : journey["activities"]) print_activity(std::cout, a, true);
            return exit_ok;
        });
    });
}

}  // namespace cim::cli
