#include "report.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace cim::bench {
namespace {

std::string fixed(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

std::string rate(double events_per_s) {
    if (events_per_s >= 1e6) return fixed(events_per_s / 1e6, 2) + " M/s";
    if (events_per_s >= 1e3) return fixed(events_per_s / 1e3, 1) + " k/s";
    return fixed(events_per_s, 0) + " /s";
}

void row(std::ostream& out, const std::vector<std::string>& cells, const std::vector<int>& widths) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
        std::string cell = cells[i];
        if (cell.size() < static_cast<std::size_t>(widths[i])) cell.insert(i == 0 ? cell.size() : 0, widths[i] - cell.size(), ' ');
        out << cell << (i + 1 < cells.size() ? "  " : "\n");
    }
}

}  // namespace

void print_table(std::ostream& out, const std::vector<ScenarioRow>& scenarios, const std::vector<Measurement>& baselines) {
    const std::vector<int> widths = {34, 11, 9, 9, 9, 10, 8};
    out << "scenarios\n";
    row(out, {"name", "events/s", "p50 us", "p99 us", "p999 us", "CPU us/ev", "RSS MiB"}, widths);
    for (const auto& s : scenarios) {
        const Measurement& m = s.measurement;
        if (!m.error.empty()) {
            out << m.name << ": FAILED: " << m.error << "\n";
            continue;
        }
        const bool latency = m.p50_us > 0;
        row(out,
            {m.name, rate(m.events_per_s), latency ? fixed(m.p50_us, 1) : "-", latency ? fixed(m.p99_us, 1) : "-",
             latency ? fixed(m.p999_us, 1) : "-", fixed(m.cpu_us_per_event, 2), fixed(m.rss_mib, 0)},
            widths);
        if (!s.ratio_note.empty()) out << "    " << s.ratio_note << "\n";
    }
    out << "\nbaselines\n";
    row(out, {"name", "events/s", "", "", "", "CPU us/ev", "RSS MiB"}, widths);
    for (const auto& b : baselines) {
        if (!b.error.empty()) {
            out << b.name << ": FAILED: " << b.error << "\n";
            continue;
        }
        row(out, {b.name, rate(b.events_per_s), "", "", "", fixed(b.cpu_us_per_event, 2), fixed(b.rss_mib, 0)}, widths);
    }
}

std::string to_json(const std::vector<ScenarioRow>& scenarios, const std::vector<Measurement>& baselines) {
    nlohmann::json out = {{"scenarios", nlohmann::json::array()}, {"baselines", nlohmann::json::array()}};
    for (const auto& s : scenarios) {
        nlohmann::json j = s.measurement.to_json();
        if (!s.baseline.empty()) {
            j["baseline"] = s.baseline;
            j["ratio"] = s.ratio;
        }
        out["scenarios"].push_back(std::move(j));
    }
    for (const auto& b : baselines) out["baselines"].push_back(b.to_json());
    return out.dump(2);
}

}  // namespace cim::bench
