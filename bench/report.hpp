// The benchmark's output: the table a person reads, and the JSON a script reads (names documented in
// docs/performance.md).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "measurement.hpp"

namespace cim::bench {

/// A scenario and the baseline it is compared with ("" when none).
struct ScenarioRow {
    Measurement measurement;
    std::string baseline;
    double ratio = 0;  ///< measurement / baseline events per second (or as the scenario defines it)
    std::string ratio_note;
};

void print_table(std::ostream& out, const std::vector<ScenarioRow>& scenarios, const std::vector<Measurement>& baselines);
std::string to_json(const std::vector<ScenarioRow>& scenarios, const std::vector<Measurement>& baselines);

}  // namespace cim::bench
