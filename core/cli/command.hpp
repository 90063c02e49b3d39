// What every `cimrt` subcommand shares: exit codes, the config argument, and how errors become exit codes.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

namespace cim::cli {

/// Exit codes, one per class of failure (like `vector validate`), documented in README.
enum ExitCode : int {
    exit_ok = 0,
    exit_failure = 1,       ///< the command ran but something it processed was rejected (e.g. a bad event line)
    exit_config = 2,        ///< runtime.toml is wrong
    exit_plugin = 3,        ///< a plugin cannot be loaded, created, wired or started
    exit_store = 4,         ///< the store cannot be opened or read, or accepted events could not be written at stop
    exit_stuck = 5,         ///< stop gave up at [runtime] stop_timeout (a plugin blocks, or the store cannot write)
    exit_usage = 64,        ///< the command line itself is wrong (EX_USAGE)
};

/// The default configuration file: ./runtime.toml.
inline std::filesystem::path default_config() { return "runtime.toml"; }

/// Runs `body` and maps cim::runtime::Error to exit_config / exit_plugin, printing the message to stderr.
int run_guarded(const std::function<int()>& body);

// Each add_*_command registers a subcommand on `app`; when it is chosen, its callback stores its exit code in `exit`.
void add_run_command(CLI::App& app, int& exit);
void add_check_command(CLI::App& app, int& exit);
void add_plugins_command(CLI::App& app, int& exit);
void add_events_command(CLI::App& app, int& exit);
void add_graph_command(CLI::App& app, int& exit);
void add_publish_command(CLI::App& app, int& exit);
void add_inspect_command(CLI::App& app, int& exit);
void add_journal_command(CLI::App& app, int& exit);
void add_hash_password_command(CLI::App& app, int& exit);
void add_reload_command(CLI::App& app, int& exit);
void add_report_command(CLI::App& app, int& exit);
void add_export_command(CLI::App& app, int& exit);

}  // namespace cim::cli
