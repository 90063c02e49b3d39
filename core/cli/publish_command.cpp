// `cimrt publish [CONFIG] FILE.jsonl|-`: start the configured runtime, publish every line as an event, drain, stop.
// A bad line is reported with its number and reason and skipped; the exit code is 0 only when no line was rejected
// and every delivery succeeded. Lines carrying `journalSeq` (`cimrt journal --json`) are a replay: journaled and
// tracked, delivered to no plugin.
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>
#include <unistd.h>

#include "cim/runtime/runtime.hpp"
#include "command.hpp"

namespace cim::cli {
namespace {

// Redraws one status line on stderr; only used when stderr is a terminal, so logs and pipes stay clean.
class ProgressBar {
public:
    explicit ProgressBar(std::uintmax_t total_bytes) : total_(total_bytes), enabled_(isatty(STDERR_FILENO) != 0) {}

    void update(std::uintmax_t bytes, std::size_t lines) {
        if (!enabled_) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        draw(bytes, lines);
    }
    void finish(std::uintmax_t bytes, std::size_t lines) {
        if (!enabled_) return;
        draw(bytes, lines);
        std::cerr << '\n';
    }

private:
    void draw(std::uintmax_t bytes, std::size_t lines) {
        constexpr int width = 30;
        if (total_ > 0) {
            const double done = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_));
            const int filled = static_cast<int>(done * width);
            std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] "
                      << static_cast<int>(done * 100) << "%  " << lines << " lines" << std::flush;
        } else {
            std::cerr << "\r" << lines << " lines" << std::flush;
        }
    }

    std::uintmax_t total_;
    bool enabled_;
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace

void add_publish_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand(
        "publish", "Start CONFIG's runtime, publish every line of FILE (JSON lines; - for stdin) as an event, drain");
    auto args = std::make_shared<std::vector<std::string>>();
    cmd->add_option("args", *args, "[CONFIG] FILE — CONFIG defaults to ./runtime.toml")->required()->expected(1, 2);
    cmd->callback([=, &exit] {
        exit = run_guarded([&] {
            const std::string config = args->size() == 2 ? (*args)[0] : default_config().string();
            const std::string file = args->back();
            std::ifstream file_stream;
            std::uintmax_t total_bytes = 0;
            if (file != "-") {
                file_stream.open(file);
                if (!file_stream) {
                    std::cerr << "cannot open " << file << '\n';
                    return exit_failure;
                }
                std::error_code ec;
                total_bytes = std::filesystem::file_size(file, ec);
            }
            std::istream& in = file == "-" ? std::cin : file_stream;

            cim::runtime::RuntimeOptions options;
            options.log_level = "warn";
            auto runtime = cim::runtime::Runtime::from_file(config, options);
            runtime->start();

            ProgressBar progress(total_bytes);
            std::size_t line_number = 0, accepted = 0, rejected = 0;
            std::uintmax_t bytes = 0;
            // Lines go in batches (publish_many: one shard lock and one wake-up per batch and shard). A busy line
            // is back-pressure, not a verdict on it: the busy ones are retried, in order, after a pause.
            constexpr std::size_t batch_size = 256;
            std::vector<std::string> lines;
            std::vector<std::size_t> numbers;
            const auto publish_batch = [&] {
                auto backoff = std::chrono::microseconds(50);
                while (!lines.empty()) {
                    const auto results = runtime->publish_many_json(lines);
                    std::vector<std::string> busy_lines;
                    std::vector<std::size_t> busy_numbers;
                    for (std::size_t i = 0; i < results.size(); ++i) {
                        if (results[i].status == cim::runtime::PublishStatus::busy) {
                            busy_lines.push_back(std::move(lines[i]));
                            busy_numbers.push_back(numbers[i]);
                        } else if (results[i].accepted()) {
                            ++accepted;
                        } else {
                            ++rejected;
                            std::cerr << (file == "-" ? "<stdin>" : file) << ":" << numbers[i] << ": "
                                      << results[i].error << '\n';
                        }
                    }
                    lines = std::move(busy_lines);
                    numbers = std::move(busy_numbers);
                    if (!lines.empty()) {
                        std::this_thread::sleep_for(backoff);
                        backoff = std::min(backoff * 2, std::chrono::microseconds(20'000));
                    }
                }
            };
            for (std::string line; std::getline(in, line);) {
                ++line_number;
                bytes += line.size() + 1;
                if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines are no events
                lines.push_back(std::move(line));
                numbers.push_back(line_number);
                // A full batch, or nothing more read ahead: a line typed or piped slowly is not held back.
                if (lines.size() == batch_size || in.rdbuf()->in_avail() <= 0) publish_batch();
                progress.update(bytes, line_number);
            }
            publish_batch();
            progress.finish(bytes, line_number);
            runtime->stop();
            const auto metrics = runtime->metrics();
            std::cerr << "published " << accepted << " event(s), rejected " << rejected << " line(s)";
            if (metrics.delivery_failures > 0) {
                // Accepted but not handled: a plugin failed on them (logged above), which a script must not miss.
                std::cerr << ", " << metrics.delivery_failures << " delivery(ies) failed";
            }
            std::cerr << '\n';
            return rejected == 0 && metrics.delivery_failures == 0 ? exit_ok : exit_failure;
        });
    });
}

}  // namespace cim::cli
