// A plugin's own metrics (ABI 1.4, host `metric`): counters, gauges and histograms it updates, shown on /metrics as
// cimrt_<plugin>_<name>{plugin="<instance>", ...}. One table per plugin instance, guarded by its own lock: an update
// is a hash lookup; a scrape copies the table.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cim/abi.h"

namespace cim::core {

class PrometheusText;

class PluginMetrics {
public:
    static constexpr std::size_t max_series = 1000;
    static constexpr std::size_t max_labels = 4;

    /// Applies one update; returns the reason it was refused (nothing changed), empty on success.
    std::string update(cim_metric_kind_t kind, std::string_view name, std::string_view labels_json, double value,
                       std::string_view help);

    /// One series as a scrape sees it.
    struct Series {
        std::vector<std::pair<std::string, std::string>> labels;  // sorted by name
        double value = 0;                                        // counter, gauge
        std::vector<std::uint64_t> buckets;                      // histogram: per bucket, not cumulative
        double sum = 0;                                          // histogram
    };
    struct Family {
        cim_metric_kind_t kind = CIM_METRIC_GAUGE;
        std::string help;
        std::vector<Series> series;
    };
    /// A copy of every family, by metric name (without the cimrt_<plugin>_ prefix).
    std::map<std::string, Family> snapshot() const;

private:
    struct Entry {
        std::string family;
        Series series;
    };
    mutable std::mutex mutex_;
    std::map<std::string, Family> families_;            // series left empty: they live in `series_`
    std::unordered_map<std::string, Entry> series_;     // by name + '\n' + labels sorted, one series each
    // By name + '\n' + the labels exactly as a plugin passed them: the next update with the same text finds its
    // series without parsing JSON again. Several spellings ({"a":..,"b":..} and {"b":..,"a":..}) share one series.
    std::unordered_map<std::string, Entry*> spelled_;
};

/// One instance's metrics as a scrape writes them.
struct PluginMetricsView {
    std::string prefix;    ///< "cimrt_<plugin>_": the plugin's manifest name, '-' written as '_'
    std::string instance;  ///< the plugin="..." label: the instance's name
    std::map<std::string, PluginMetrics::Family> families;
};

/// Writes every instance's families, each family (prefix + name) declared once; a family that another instance of
/// the same name declared with another kind is left out rather than break the page.
void write_plugin_metrics(PrometheusText& out, const std::vector<PluginMetricsView>& views);

}  // namespace cim::core
