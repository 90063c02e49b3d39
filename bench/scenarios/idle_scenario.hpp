// Scenario 5: many idle conversations tracked at once — what one costs in memory. Each conversation gets a session
// start and a customer message, then nothing; the journal is SQLite (sync off) so stored events do not sit in memory
// and the growth of the resident set is the tracker's.
#pragma once

#include <cstddef>

#include "measurement.hpp"
#include "scenarios/runtime_scenario.hpp"

namespace cim::bench {

Measurement run_idle_scenario(std::size_t conversations, const BenchPaths& paths);

}  // namespace cim::bench
