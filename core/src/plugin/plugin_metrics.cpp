#include "plugin/plugin_metrics.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "bus/latency_histogram.hpp"
#include "metrics/prometheus_text.hpp"

namespace cim::core {
namespace {

bool is_name(std::string_view text, bool first_may_be_underscore) {
    if (text.empty() || text.size() > 64) return false;
    const char first = text.front();
    if (!((first >= 'a' && first <= 'z') || (first_may_be_underscore && first == '_'))) return false;
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool ends_with(std::string_view text, std::string_view tail) {
    return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

const char* kind_name(cim_metric_kind_t kind) {
    return kind == CIM_METRIC_COUNTER ? "counter" : kind == CIM_METRIC_GAUGE ? "gauge" : "histogram";
}

// The labels as a sorted list, or the reason they are refused.
std::string parse_labels(std::string_view labels_json, std::vector<std::pair<std::string, std::string>>& out) {
    if (labels_json.empty()) return {};
    const nlohmann::json labels = nlohmann::json::parse(labels_json, nullptr, false);
    if (!labels.is_object()) return "labels must be a JSON object of strings, e.g. {\"queue\":\"sales\"}";
    if (labels.size() > PluginMetrics::max_labels) return "at most 4 labels";
    for (const auto& [key, value] : labels.items()) {
        if (!is_name(key, true) || key == "plugin" || key == "le") {
            return "label name '" + key + "' is not [a-z_][a-z0-9_]* or is reserved (plugin, le)";
        }
        if (!value.is_string()) return "label '" + key + "' must have a string value";
        out.emplace_back(key, value.get<std::string>());
    }
    std::sort(out.begin(), out.end());
    return {};
}

}  // namespace

std::string PluginMetrics::update(cim_metric_kind_t kind, std::string_view name, std::string_view labels_json,
                                  double value, std::string_view help) {
    if (kind != CIM_METRIC_COUNTER && kind != CIM_METRIC_GAUGE && kind != CIM_METRIC_HISTOGRAM) {
        return "unknown metric kind " + std::to_string(kind);
    }
    if (!is_name(name, false)) return "metric name '" + std::string(name) + "' is not [a-z][a-z0-9_]* (at most 64 bytes)";
    if ((kind == CIM_METRIC_COUNTER) != ends_with(name, "_total")) {
        return "metric '" + std::string(name) + "': a counter's name ends in _total, and only a counter's";
    }
    if (!std::isfinite(value)) return "metric '" + std::string(name) + "': the value is not finite";
    if (kind == CIM_METRIC_COUNTER && value < 0) return "metric '" + std::string(name) + "': a counter cannot go down";

    // Found by the text exactly as passed (no JSON parse on an update of a known series); new text is parsed and
    // its labels sorted, so two spellings of one label set are one series.
    std::string spelling(name);
    spelling += '\n';
    spelling.append(labels_json);
    std::lock_guard lock(mutex_);
    Entry* entry = nullptr;
    if (const auto hit = spelled_.find(spelling); hit != spelled_.end()) {
        entry = hit->second;
    } else {
        Series series;
        if (std::string why = parse_labels(labels_json, series.labels); !why.empty()) {
            return "metric '" + std::string(name) + "': " + why;
        }
        std::string key(name);
        for (const auto& [label, label_value] : series.labels) key += '\n' + label + '=' + label_value;
        if (const auto existing = series_.find(key); existing != series_.end()) {
            entry = &existing->second;
        } else {
            const auto family = families_.find(std::string(name));
            if (family != families_.end() && family->second.kind != kind) {
                return "metric '" + std::string(name) + "' is a " + kind_name(family->second.kind) + ", not a " +
                       kind_name(kind);
            }
            if (series_.size() >= max_series) {
                return "metric '" + std::string(name) + "': the plugin already has 1000 series (label values must be bounded)";
            }
            if (family == families_.end()) families_[std::string(name)] = Family{kind, std::string(help), {}};
            if (kind == CIM_METRIC_HISTOGRAM) series.buckets.assign(LatencyHistogram::bounds.size() + 1, 0);
            entry = &series_.emplace(std::move(key), Entry{std::string(name), std::move(series)}).first->second;
        }
        // Bounded too: spellings of the same labels are few; a plugin varying whitespace is parsed every time.
        if (spelled_.size() < 4 * max_series) spelled_.emplace(std::move(spelling), entry);
    }
    if (const Family& family = families_.at(entry->family); family.kind != kind) {
        return "metric '" + std::string(name) + "' is a " + kind_name(family.kind) + ", not a " + kind_name(kind);
    }
    Series& s = entry->series;
    switch (kind) {
        case CIM_METRIC_COUNTER: s.value += value; break;
        case CIM_METRIC_GAUGE: s.value = value; break;
        default: {
            std::size_t i = 0;
            while (i < LatencyHistogram::bounds.size() && value > LatencyHistogram::bounds[i]) ++i;
            ++s.buckets[i];
            s.sum += value;
        }
    }
    return {};
}

std::map<std::string, PluginMetrics::Family> PluginMetrics::snapshot() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, Family> out = families_;
    for (const auto& [key, entry] : series_) out[entry.family].series.push_back(entry.series);
    for (auto& [name, family] : out) {
        std::sort(family.series.begin(), family.series.end(),
                  [](const Series& a, const Series& b) { return a.labels < b.labels; });
    }
    return out;
}

void write_plugin_metrics(PrometheusText& out, const std::vector<PluginMetricsView>& views) {
    // Every family across instances, in name order, each declared once with the first declarer's kind and help.
    std::map<std::string, std::pair<const PluginMetrics::Family*, std::vector<std::pair<const PluginMetricsView*,
                                                                                        const PluginMetrics::Family*>>>>
        families;
    for (const PluginMetricsView& view : views) {
        for (const auto& [name, family] : view.families) {
            auto& slot = families[view.prefix + name];
            if (slot.first == nullptr) slot.first = &family;
            if (slot.first->kind == family.kind) slot.second.emplace_back(&view, &family);
        }
    }
    const std::vector<double> bounds(LatencyHistogram::bounds.begin(), LatencyHistogram::bounds.end());
    for (const auto& [full_name, declared] : families) {
        const PluginMetrics::Family& first = *declared.first;
        out.family(full_name, kind_name(first.kind), first.help.empty() ? "A plugin's own metric." : first.help);
        for (const auto& [view, family] : declared.second) {
            for (const PluginMetrics::Series& series : family->series) {
                Labels labels{{"plugin", view->instance}};
                labels.insert(labels.end(), series.labels.begin(), series.labels.end());
                if (first.kind == CIM_METRIC_HISTOGRAM) {
                    out.histogram_samples(full_name, labels, bounds, series.buckets, series.sum);
                } else {
                    out.sample(full_name, labels, series.value);
                }
            }
        }
    }
}

}  // namespace cim::core
