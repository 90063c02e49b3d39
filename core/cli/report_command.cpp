// `cimrt report [CONFIG] [--since T] [--until T] [--threshold D] [--json|--csv]`: service levels per queue, channel and
// agent, and the bot's rules, from CONFIG's journal (docs/reports.md defines every figure). Read-only: it works while
// the runtime runs or is stopped.
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cim/runtime/journal_reader.hpp"
#include "command.hpp"
#include "service_report.hpp"
#include "text_table.hpp"
#include "time_format.hpp"

namespace cim::cli {
namespace {

// The CSV and table columns: (heading, JSON key under the row; "csat.x" reads csat's x).
const std::vector<std::pair<std::string, std::string>> figure_columns = {
    {"offered", "offered"},
    {"answered", "answered"},
    {"abandoned", "abandoned"},
    {"timedOut", "timedOut"},
    {"waiting", "waiting"},
    {"answeredWithinThreshold", "answeredWithinThreshold"},
    {"serviceLevelPercent", "serviceLevelPercent"},
    {"avgWaitSeconds", "avgWaitSeconds"},
    {"p90WaitSeconds", "p90WaitSeconds"},
    {"avgFirstResponseSeconds", "avgFirstResponseSeconds"},
    {"handled", "handled"},
    {"avgHandleSeconds", "avgHandleSeconds"},
    {"transfers", "transfers"},
    {"botConversations", "botConversations"},
    {"contained", "contained"},
    {"containmentPercent", "containmentPercent"},
    {"handedOver", "handedOver"},
    {"handOverPercent", "handOverPercent"},
    {"csatResponses", "csat.responses"},
    {"csatAverage", "csat.average"},
    {"csatPercent", "csat.csatPercent"},
};

const nlohmann::json& figure(const nlohmann::json& row, const std::string& key) {
    static const nlohmann::json none;
    if (key.rfind("csat.", 0) == 0) return row["csat"].contains(key.substr(5)) ? row["csat"][key.substr(5)] : none;
    return row.contains(key) ? row[key] : none;
}

// A number as the JSON prints it; null (does not apply, or nothing to average) as `empty`.
std::string cell(const nlohmann::json& value, const std::string& empty) {
    if (value.is_null()) return empty;
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string out = "\"";
    for (const char ch : text) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
}

// One table: every row of every scope, with the figures of figure_columns; bot rules with their own columns.
void print_csv(std::ostream& out, const nlohmann::json& report) {
    out << "scope,key";
    for (const auto& [heading, key] : figure_columns) out << ',' << heading;
    out << ",hits,conversations\n";
    const auto row = [&](const std::string& scope, const std::string& id, const nlohmann::json& r) {
        out << scope << ',' << csv_field(id);
        for (const auto& [heading, key] : figure_columns) out << ',' << cell(figure(r, key), "");
        out << ",,\n";
    };
    row("overall", "", report["overall"]);
    for (const auto& r : report["queues"]) row("queue", r["queue"], r);
    for (const auto& r : report["channels"]) row("channel", r["channel"], r);
    for (const auto& r : report["agents"]) row("agent", r["agentId"], r);
    for (const auto& rule : report["bot"]["rules"]) {
        out << "botRule," << csv_field(rule["reply"]);
        for (const auto& [heading, key] : figure_columns) {
            out << ',';
            if (key == "handedOver" || key == "handOverPercent") out << cell(rule[key], "");
        }
        out << ',' << rule["hits"].dump() << ',' << rule["conversations"].dump() << '\n';
    }
}

void print_tables(std::ostream& out, const nlohmann::json& report) {
    const std::vector<std::pair<std::string, std::string>> columns = {
        {"OFFERED", "offered"},
        {"ANSWERED", "answered"},
        {"ABANDONED", "abandoned"},
        {"SL%", "serviceLevelPercent"},
        {"AVG WAIT", "avgWaitSeconds"},
        {"P90 WAIT", "p90WaitSeconds"},
        {"1ST RESP", "avgFirstResponseSeconds"},
        {"AHT", "avgHandleSeconds"},
        {"TRANSFERS", "transfers"},
        {"CONTAINED%", "containmentPercent"},
        {"CSAT%", "csat.csatPercent"},
    };
    const auto table = [&](const std::string& title, const std::string& heading, const nlohmann::json& rows,
                           const std::string& key) {
        std::vector<std::string> headers{heading};
        for (const auto& c : columns) headers.push_back(c.first);
        TextTable t(headers);
        for (const auto& r : rows) {
            std::vector<std::string> cells{key.empty() ? "(overall)" : r[key].get<std::string>()};
            for (const auto& c : columns) cells.push_back(cell(figure(r, c.second), "-"));
            t.add_row(std::move(cells));
        }
        out << title << ":\n";
        t.print(out);
        out << '\n';
    };
    out << "service level: answered within " << report["thresholdSeconds"].dump() << " s; times in seconds\n\n";
    table("overall", "", nlohmann::json::array({report["overall"]}), "");
    table("queues", "QUEUE", report["queues"], "queue");
    table("channels", "CHANNEL", report["channels"], "channel");
    table("agents", "AGENT", report["agents"], "agentId");
    TextTable rules({"BOT REPLY", "HITS", "CONVERSATIONS", "HANDED OVER", "HAND-OVER%"});
    for (const auto& r : report["bot"]["rules"]) {
        rules.add_row({r["reply"].get<std::string>(), r["hits"].dump(), r["conversations"].dump(),
                       r["handedOver"].dump(), cell(r["handOverPercent"], "-")});
    }
    out << "bot rules:\n";
    rules.print(out);
}

}  // namespace

void add_report_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand("report", "Report service levels per queue, channel and agent, and bot rule hits");
    auto config = std::make_shared<std::string>(default_config().string());
    auto since = std::make_shared<std::string>();
    auto until = std::make_shared<std::string>();
    auto threshold = std::make_shared<std::string>("20s");
    auto json = std::make_shared<bool>(false);
    auto csv = std::make_shared<bool>(false);
    cmd->add_option("config", *config, "runtime.toml whose store to read")->capture_default_str();
    cmd->add_option("--since", *since, "count from TIME on: ms since epoch, 2026-11-25T06:00:00Z, or 10m ago");
    cmd->add_option("--until", *until, "count up to (not including) TIME, same forms as --since");
    cmd->add_option("--threshold", *threshold, "service level: the share answered within this wait (500ms, 20s, 2m)")
        ->capture_default_str();
    auto* json_flag = cmd->add_flag("--json", *json, "machine-readable output (docs/reports.md)");
    cmd->add_flag("--csv", *csv, "one CSV table, a row per queue, channel, agent and bot rule")->excludes(json_flag);
    cmd->callback([=, &exit] {
        exit = run_guarded([&] {
            const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
            ServiceReportOptions options;
            for (const auto& [flag, text, out] :
                 {std::tuple{"--since", since, &options.since_ms}, std::tuple{"--until", until, &options.until_ms}}) {
                if (text->empty()) continue;
                *out = parse_time(*text, now);
                if (!*out) {
                    std::cerr << "report: " << flag << ": cannot read '" << *text
                              << "' (ms since epoch, 2026-11-25T06:00:00Z, or a duration like 10m)\n";
                    return exit_usage;
                }
            }
            const auto threshold_ms = parse_duration_ms(*threshold);
            if (!threshold_ms) {
                std::cerr << "report: --threshold: cannot read '" << *threshold << "' (a duration like 20s or 2m)\n";
                return exit_usage;
            }
            options.threshold_ms = *threshold_ms;
            ServiceReport report(options);
            auto reader = cim::runtime::JournalReader::open(*config);
            reader->journal(
                {}, [&](const std::string& line) { report.add_event(nlohmann::json::parse(line, nullptr, false)); });
            const nlohmann::json result = report.to_json();
            if (*json) {
                std::cout << result.dump(2) << '\n';
            } else if (*csv) {
                print_csv(std::cout, result);
            } else {
                print_tables(std::cout, result);
            }
            return exit_ok;
        });
    });
}

}  // namespace cim::cli
