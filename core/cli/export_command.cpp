// `cimrt export bot-training [CONFIG] [--since T] [--format rasa|jsonl]`: customer messages with the bot's reply and
// the trainers' flags on them, from CONFIG's journal, as training data (docs/bot-training.md). Read-only.
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bot_training_export.hpp"
#include "cim/runtime/journal_reader.hpp"
#include "command.hpp"
#include "time_format.hpp"

namespace cim::cli {

void add_export_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand("export", "Export data from CONFIG's journal: bot-training, to retrain the bot");
    cmd->require_subcommand(1);
    auto* training = cmd->add_subcommand(
        "bot-training", "Customer messages with the bot's replies and the trainers' flags, as Rasa NLU YAML or JSON lines");
    auto config = std::make_shared<std::string>(default_config().string());
    auto since = std::make_shared<std::string>();
    auto format = std::make_shared<std::string>("jsonl");
    training->add_option("config", *config, "runtime.toml whose store to read")->capture_default_str();
    training->add_option("--since", *since,
                         "only customer messages from TIME on: ms since epoch, ISO 8601 UTC, or 10m ago");
    training
        ->add_option("--format", *format,
                     "jsonl: every answered or flagged message; rasa: the flagged ones as Rasa NLU YAML")
        ->check(CLI::IsMember({"rasa", "jsonl"}))
        ->capture_default_str();
    training->callback([=, &exit] {
        exit = run_guarded([&] {
            std::optional<std::int64_t> since_ms;
            if (!since->empty()) {
                const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
                since_ms = parse_time(*since, now);
                if (!since_ms) {
                    std::cerr << "export: --since: cannot read '" << *since
                              << "' (ms since epoch, 2026-11-25T06:00:00Z, or a duration like 10m)\n";
                    return exit_usage;
                }
            }
            BotTrainingExport data(since_ms);
            auto reader = cim::runtime::JournalReader::open(*config);
            reader->journal(
                {}, [&](const std::string& line) { data.add_event(nlohmann::json::parse(line, nullptr, false)); });
            if (*format == "rasa") {
                data.write_rasa(std::cout);
            } else {
                data.write_jsonl(std::cout);
            }
            // On stderr, so stdout stays a clean file.
            std::cerr << "exported " << (*format == "rasa" ? data.flagged() : data.examples()) << " example(s)";
            if (data.unmatched_flags() > 0) {
                std::cerr << "; " << data.unmatched_flags()
                          << " flag(s) refer to no customer or bot message and were left out";
            }
            std::cerr << '\n';
            return exit_ok;
        });
    });
}

}  // namespace cim::cli
