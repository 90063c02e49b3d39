// Scenario 7: start-up time against journal length. A journal of N events holding the same 10,000 open
// conversations (the rest closed, past their grace period) is written once; then a fresh process opens it and starts
// — with the snapshots the runtime wrote, and without (snapshot_interval = 0: the whole journal replayed). DESIGN §6:
// start-up follows the open conversations, not the journal.
#pragma once

#include <cstddef>
#include <filesystem>

#include "measurement.hpp"
#include "scenarios/runtime_scenario.hpp"

namespace cim::bench {

/// Writes `journal` with about `events` journal entries, `open` conversations left open. Returns what it wrote.
Measurement write_startup_journal(const std::filesystem::path& journal, std::size_t events, std::size_t open,
                                  const BenchPaths& paths);
/// Opens and starts a runtime on `journal` (restoring from snapshots unless `use_snapshots` is false), waits until
/// the closed conversations left memory, and reports the start-up time (extra.startup_ms) and resident memory.
Measurement run_startup(const std::filesystem::path& journal, bool use_snapshots, const BenchPaths& paths);

}  // namespace cim::bench
