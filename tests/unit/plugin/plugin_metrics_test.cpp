// A plugin's own metrics (ABI 1.4, host `metric`): the rules a name, labels and values must follow, one series per
// label set however its JSON is spelled, the bound on series, and the exposition of counters, gauges and histograms.
#include "plugin/plugin_metrics.hpp"

#include <catch2/catch.hpp>

#include "metrics/prometheus_text.hpp"

using cim::core::PluginMetrics;
using cim::core::PluginMetricsView;
using cim::core::PrometheusText;

TEST_CASE("a plugin metric's name, kind, labels and value follow Prometheus' rules, or are refused naming the rule",
          "[plugin][metrics]") {
    PluginMetrics m;
    CHECK(m.update(CIM_METRIC_COUNTER, "webhook_failures_total", "", 1, "help").empty());
    CHECK(m.update(CIM_METRIC_GAUGE, "queue_length", R"({"queue":"sales"})", 3, "help").empty());
    CHECK_THAT(m.update(CIM_METRIC_COUNTER, "failures", "", 1, ""), Catch::Contains("ends in _total"));
    CHECK_THAT(m.update(CIM_METRIC_GAUGE, "length_total", "", 1, ""), Catch::Contains("ends in _total"));
    CHECK_THAT(m.update(CIM_METRIC_GAUGE, "Queue", "", 1, ""), Catch::Contains("is not [a-z][a-z0-9_]*"));
    CHECK_THAT(m.update(CIM_METRIC_GAUGE, "queue-length", "", 1, ""), Catch::Contains("is not [a-z][a-z0-9_]*"));
    CHECK_THAT(m.update(CIM_METRIC_COUNTER, "x_total", "", -1, ""), Catch::Contains("cannot go down"));
    CHECK_THAT(m.update(CIM_METRIC_GAUGE, "g", "", std::numeric_limits<double>::infinity(), ""),
               Catch::Contains("not finite"));
    CHECK_THAT(m.update(CIM_METRIC_GAUGE, "g", R"(["a"])", 1, ""), Catch::Contains("JSON object of strings"));
    CHECK_THAT(m.update(CIM_METRIC_GAUGE, "g", R"({"plugin":"x"})", 1, ""), Catch::Contains("reserved"));
    CHECK_THAT(m.update(CIM_METRIC_GAUGE, "g", R"({"n":1})", 1, ""), Catch::Contains("string value"));
    CHECK_THAT(m.update(CIM_METRIC_GAUGE, "g", R"({"a":"1","b":"2","c":"3","d":"4","e":"5"})", 1, ""),
               Catch::Contains("at most 4 labels"));
    CHECK_THAT(m.update(CIM_METRIC_HISTOGRAM, "queue_length", "", 1, ""), Catch::Contains("is a gauge, not a histogram"));
    CHECK_THAT(m.update(CIM_METRIC_GAUGE, "queue_length", R"({"queue":"sales"})", 1, "") +
                   m.update(CIM_METRIC_HISTOGRAM, "queue_length", R"({"queue":"sales"})", 1, ""),
               Catch::Contains("is a gauge, not a histogram"));
    CHECK_THAT(m.update(7, "g", "", 1, ""), Catch::Contains("unknown metric kind"));
    // Nothing refused changed anything: two families, one series each.
    const auto families = m.snapshot();
    REQUIRE(families.size() == 2);
    CHECK(families.at("queue_length").series.size() == 1);
    CHECK(families.at("queue_length").series[0].value == 1);
}

TEST_CASE("two spellings of one label set are one series, and a plugin's series are bounded", "[plugin][metrics]") {
    PluginMetrics m;
    REQUIRE(m.update(CIM_METRIC_COUNTER, "hits_total", R"({"a":"1","b":"2"})", 1, "").empty());
    REQUIRE(m.update(CIM_METRIC_COUNTER, "hits_total", R"({"b":"2","a":"1"})", 2, "").empty());
    REQUIRE(m.update(CIM_METRIC_COUNTER, "hits_total", R"({ "a" : "1", "b" : "2" })", 3, "").empty());
    const auto families = m.snapshot();
    REQUIRE(families.at("hits_total").series.size() == 1);
    CHECK(families.at("hits_total").series[0].value == 6);

    PluginMetrics bounded;
    for (std::size_t i = 0; i < PluginMetrics::max_series; ++i) {
        REQUIRE(bounded.update(CIM_METRIC_GAUGE, "g", R"({"k":")" + std::to_string(i) + R"("})", 1, "").empty());
    }
    CHECK_THAT(bounded.update(CIM_METRIC_GAUGE, "g", R"({"k":"one-too-many"})", 1, ""), Catch::Contains("1000 series"));
    CHECK(bounded.update(CIM_METRIC_GAUGE, "g", R"({"k":"7"})", 2, "").empty());  // known series still update
}

TEST_CASE("plugin metrics are written once per family, with the instance label and histogram buckets", "[plugin][metrics]") {
    PluginMetrics a, b;
    REQUIRE(a.update(CIM_METRIC_GAUGE, "queue_length", R"({"queue":"sales"})", 3, "Waiting.").empty());
    REQUIRE(b.update(CIM_METRIC_GAUGE, "queue_length", R"({"queue":"sales"})", 5, "").empty());
    REQUIRE(a.update(CIM_METRIC_HISTOGRAM, "wait_seconds", "", 0.003, "Wait.").empty());
    REQUIRE(a.update(CIM_METRIC_HISTOGRAM, "wait_seconds", "", 20, "").empty());
    PrometheusText out;
    write_plugin_metrics(out, {PluginMetricsView{"cimrt_agent_", "agent", a.snapshot()},
                               PluginMetricsView{"cimrt_agent_", "agent-2", b.snapshot()}});
    const std::string& page = out.text();
    CHECK_THAT(page, Catch::Contains("# HELP cimrt_agent_queue_length Waiting.\n# TYPE cimrt_agent_queue_length gauge\n"
                                     "cimrt_agent_queue_length{plugin=\"agent\",queue=\"sales\"} 3\n"
                                     "cimrt_agent_queue_length{plugin=\"agent-2\",queue=\"sales\"} 5\n"));
    CHECK_THAT(page, Catch::Contains("cimrt_agent_wait_seconds_bucket{plugin=\"agent\",le=\"0.0025\"} 0\n"
                                     "cimrt_agent_wait_seconds_bucket{plugin=\"agent\",le=\"0.005\"} 1\n"));
    CHECK_THAT(page, Catch::Contains("cimrt_agent_wait_seconds_bucket{plugin=\"agent\",le=\"+Inf\"} 2\n"
                                     "cimrt_agent_wait_seconds_sum{plugin=\"agent\"} 20.003\n"
                                     "cimrt_agent_wait_seconds_count{plugin=\"agent\"} 2\n"));
    // Declared once although two instances have it.
    CHECK(page.find("# TYPE cimrt_agent_queue_length") == page.rfind("# TYPE cimrt_agent_queue_length"));
}
