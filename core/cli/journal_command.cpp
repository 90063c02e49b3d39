// `cimrt journal [CONFIG] [--conversation ID] [--since TIME] [--json]`: the audit trail. --json prints the events'
// JSON wire form, one per line, which `cimrt publish` replays into an empty store to the same state.
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cim/runtime/journal_reader.hpp"
#include "command.hpp"
#include "time_format.hpp"

namespace cim::cli {

void add_journal_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand("journal", "Print the journal (audit trail) of CONFIG's store");
    auto config = std::make_shared<std::string>(default_config().string());
    auto conversation = std::make_shared<std::string>();
    auto since = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    cmd->add_option("config", *config, "runtime.toml whose store to read")->capture_default_str();
    cmd->add_option("--conversation", *conversation, "only this conversation's events");
    cmd->add_option("--since", *since, "only events from TIME on: ms since epoch, 2026-11-25T06:00:00Z, or 10m ago");
    cmd->add_flag("--json", *json, "JSON lines in the event wire form (replayable with `cimrt publish`)");
    cmd->callback([=, &exit] {
        exit = run_guarded([&] {
            cim::runtime::JournalQuery query;
            if (!conversation->empty()) query.conversation_id = *conversation;
            if (!since->empty()) {
                const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
                query.since_ms = parse_time(*since, now);
                if (!query.since_ms) {
                    std::cerr << "journal: --since: cannot read '" << *since
                              << "' (ms since epoch, 2026-11-25T06:00:00Z, or a duration like 10m)\n";
                    return exit_usage;
                }
            }
            auto reader = cim::runtime::JournalReader::open(*config);
            reader->journal(query, [&](const std::string& line) {
                if (*json) {
                    std::cout << line << '\n';
                    return;
                }
                const auto e = nlohmann::json::parse(line);
                std::cout << format_timestamp(e.value("timestamp", std::int64_t{0})) << "  " << e.value("name", "")
                          << "  conversation=" << e.value("conversationId", "-") << "  id=" << e.value("id", "");
                if (e.contains("emitter")) std::cout << "  by " << e["emitter"].value("type", "") << ":" << e["emitter"].value("id", "");
                if (e.contains("refersTo")) std::cout << "  refersTo=" << e["refersTo"].get<std::string>();
                std::cout << '\n';
            });
            return exit_ok;
        });
    });
}

}  // namespace cim::cli
