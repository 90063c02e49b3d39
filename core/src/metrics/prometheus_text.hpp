// The Prometheus text exposition format (version 0.0.4), written by hand: a few families, each a HELP and a TYPE line
// and its samples. What it guarantees is what `promtool check metrics` checks: every family declared once, before its
// samples, label values escaped (\\ \" \n), a histogram's buckets cumulative and ending in +Inf, with _sum and _count.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cim::core {

using Labels = std::vector<std::pair<std::string, std::string>>;

class PrometheusText {
public:
    /// Declares a family; its samples follow. `type` is "counter", "gauge", "histogram" or "summary". A counter's
    /// name ends in `_total` (Prometheus convention); the caller passes the whole name.
    void family(std::string_view name, std::string_view type, std::string_view help);
    /// One sample of the family declared last (or a sample with a suffix such as `_bucket`, `_sum`, `_count`).
    void sample(std::string_view name, const Labels& labels, double value);
    void sample(std::string_view name, const Labels& labels, std::uint64_t value);
    /// A whole histogram family: `bounds` (seconds, increasing) and `counts` per bucket, not cumulative (the last is
    /// the overflow above the last bound); `sum` in seconds.
    void histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                   const std::vector<std::uint64_t>& counts, double sum);
    /// One histogram series of the family declared last: its `_bucket` samples (cumulative, then +Inf), `_sum` and
    /// `_count`, each with `labels` (plus `le` on the buckets).
    void histogram_samples(std::string_view name, const Labels& labels, const std::vector<double>& bounds,
                           const std::vector<std::uint64_t>& counts, double sum);

    const std::string& text() const noexcept { return out_; }

private:
    void write_labels(const Labels& labels);
    std::string out_;
};

/// A label value as the format needs it: backslash, double quote and line feed escaped.
std::string escape_label_value(std::string_view value);

}  // namespace cim::core
