// `cimrt`: the operator's command line, a thin shell over the embedding API (cim/runtime/*.hpp).
#include <iostream>

#include "cim/version.h"
#include "command.hpp"

#ifndef CIMRT_VERSION
#define CIMRT_VERSION "unknown"
#endif

int main(int argc, char** argv) {
    CLI::App app{"cimrt — a runtime for contact-center events (CIMEvents) and the plugins that exchange them"};
    app.set_version_flag("--version", std::string("cimrt " CIMRT_VERSION " (plugin ABI " CIM_ABI_VERSION_STRING ")"));
    app.require_subcommand(1);
    app.fallthrough();

    int exit = cim::cli::exit_ok;
    cim::cli::add_run_command(app, exit);
    cim::cli::add_reload_command(app, exit);
    cim::cli::add_check_command(app, exit);
    cim::cli::add_plugins_command(app, exit);
    cim::cli::add_events_command(app, exit);
    cim::cli::add_graph_command(app, exit);
    cim::cli::add_publish_command(app, exit);
    cim::cli::add_inspect_command(app, exit);
    cim::cli::add_journal_command(app, exit);
    cim::cli::add_report_command(app, exit);
    cim::cli::add_export_command(app, exit);
    cim::cli::add_hash_password_command(app, exit);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);  // prints help, version or the usage error
        return code == 0 ? cim::cli::exit_ok : cim::cli::exit_usage;
    }
    return exit;
}
