#include "metrics/prometheus_text.hpp"

#include <cmath>
#include <cstdio>

namespace cim::core {

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ");
    // HELP text escapes backslash and line feed (not quotes).
    for (const char c : help) {
        if (c == '\\') out_ += "\\\\";
        else if (c == '\n') out_ += "\\n";
        else out_ += c;
    }
    out_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusText::write_labels(const Labels& labels) {
    if (labels.empty()) return;
    out_ += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i != 0) out_ += ',';
        out_.append(labels[i].first).append("=\"").append(escape_label_value(labels[i].second)).append("\"");
    }
    out_ += '}';
}

void PrometheusText::sample(std::string_view name, const Labels& labels, double value) {
    out_.append(name);
    write_labels(labels);
    char buffer[64];
    if (std::isinf(value)) {
        out_.append(value > 0 ? " +Inf\n" : " -Inf\n");
        return;
    }
    std::snprintf(buffer, sizeof buffer, " %.9g\n", value);
    out_.append(buffer);
}

void PrometheusText::sample(std::string_view name, const Labels& labels, std::uint64_t value) {
    out_.append(name);
    write_labels(labels);
    out_.append(" ").append(std::to_string(value)).append("\n");
}

void PrometheusText::histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                               const std::vector<std::uint64_t>& counts, double sum) {
    family(name, "histogram", help);
    histogram_samples(name, {}, bounds, counts, sum);
}

void PrometheusText::histogram_samples(std::string_view name, const Labels& labels, const std::vector<double>& bounds,
                                       const std::vector<std::uint64_t>& counts, double sum) {
    const std::string bucket = std::string(name) + "_bucket";
    Labels with_le = labels;
    with_le.emplace_back("le", "");
    std::uint64_t cumulative = 0;
    char le[32];
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        cumulative += i < counts.size() ? counts[i] : 0;
        std::snprintf(le, sizeof le, "%g", bounds[i]);
        with_le.back().second = le;
        sample(bucket, with_le, cumulative);
    }
    if (counts.size() > bounds.size()) cumulative += counts[bounds.size()];
    with_le.back().second = "+Inf";
    sample(bucket, with_le, cumulative);
    sample(std::string(name) + "_sum", labels, sum);
    sample(std::string(name) + "_count", labels, cumulative);
}

}  // namespace cim::core
