// [metrics] listen (issue 15): /metrics scraped while real connector traffic flows through the real channel and bot
// plugins — counters move by exactly the events posted, and promtool (Debian's prometheus package) accepts the
// page; /healthz and /readyz answer; hostile requests get a clear refusal and leave the endpoint serving.
#include "contact_center.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "connector_fixtures.hpp"

using cim::test::ContactCenter;
using cim::test::ContactCenterSetup;
using cim::test::http_request;

namespace {

const std::string& token = cim::test::connector_token;

// "name{labels} value" lines of a scrape, by "name{labels}".
std::map<std::string, double> parse_samples(const std::string& page) {
    std::map<std::string, double> out;
    std::istringstream in(page);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.rfind(' ');
        REQUIRE(space != std::string::npos);
        const std::string value = line.substr(space + 1);
        out[line.substr(0, space)] = value == "+Inf" ? 1e300 : std::stod(value);
    }
    return out;
}

double sample(const std::map<std::string, double>& samples, const std::string& key) {
    const auto it = samples.find(key);
    return it == samples.end() ? 0.0 : it->second;
}

// What promtool says of a page: empty when it accepts it.
std::string promtool_verdict(const std::string& page, const std::filesystem::path& dir) {
    const auto file = dir / "scrape.txt";
    std::ofstream(file) << page;
    const std::string command = "promtool check metrics < " + file.string() + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
    const int status = ::pclose(pipe);
    return status == 0 ? std::string() : "exit " + std::to_string(status) + ": " + output;
}

}  // namespace

TEST_CASE("metrics move by the exact events of real connector traffic, and promtool accepts the page", "[metrics]") {
    const std::uint16_t metrics_port = cim::test::free_port();
    ContactCenterSetup setup;
    setup.channel_options = "[[plugins.channel.connectors]]\nservice = \"acme\"\ntoken = \"" + token + "\"\n";
    setup.extra_tables = "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics_port) + "\"\n";
    ContactCenter cc(setup);

    CHECK(http_request(metrics_port, "GET", "/healthz").status == 200);
    const auto ready = http_request(metrics_port, "GET", "/readyz");
    CHECK(ready.status == 200);
    CHECK(ready.body == "ready\n");

    const auto before = parse_samples(http_request(metrics_port, "GET", "/metrics").body);
    constexpr int messages = 5;
    for (int i = 0; i < messages; ++i) {
        const auto reply = http_request(cc.channel_port, "POST", "/cim-messages",
                                        cim::test::connector_message("m" + std::to_string(i), "+1555000" + std::to_string(i),
                                                                     "hello " + std::to_string(i))
                                            .dump(),
                                        token);
        REQUIRE(reply.status == 202);
    }
    // A connector's retry of m0: a duplicate, answered as accepted.
    REQUIRE(http_request(cc.channel_port, "POST", "/cim-messages",
                         cim::test::connector_message("m0", "+15550000", "hello 0").dump(), token)
                .status == 202);
    cc.runtime->drain();
    const std::string page = http_request(metrics_port, "GET", "/metrics").body;
    const auto after = parse_samples(page);
    auto moved = [&](const std::string& key) { return sample(after, key) - sample(before, key); };

    // Five customers, five sessions and five messages; the retry counted as accepted and as a duplicate.
    CHECK(moved("cimrt_events_accepted_total{event=\"CUSTOMER_MESSAGE\"}") == messages + 1);
    CHECK(moved("cimrt_events_duplicate_total{event=\"CUSTOMER_MESSAGE\"}") == 1);
    CHECK(moved("cimrt_events_accepted_total{event=\"CHANNEL_SESSION_STARTED\"}") == messages);
    // The bot greets each new customer (published by the bot plugin, delivered to the channel).
    CHECK(moved("cimrt_plugin_published_total{plugin=\"bot\"}") ==
          moved("cimrt_events_accepted_total{event=\"BOT_MESSAGE\"}"));
    CHECK(moved("cimrt_events_accepted_total{event=\"BOT_MESSAGE\"}") >= messages);
    CHECK(moved("cimrt_plugin_published_total{plugin=\"channel\"}") == 2 * messages + 1);
    // Each customer message reached the bot once (the duplicate was not delivered again).
    CHECK(moved("cimrt_plugin_deliveries_total{plugin=\"bot\"}") >= messages);
    CHECK(sample(after, "cimrt_plugin_up{plugin=\"channel\"}") == 1);
    CHECK(sample(after, "cimrt_plugin_up{plugin=\"survey\"}") == 1);
    CHECK(sample(after, "cimrt_ready") == 1);
    CHECK(sample(after, "cimrt_store_writable") == 1);
    CHECK(sample(after, "cimrt_events_in_flight") == 0);
    CHECK(sample(after, "cimrt_conversations{state=\"ACTIVE\"}") >= messages);
    CHECK(moved("cimrt_delivery_latency_seconds_count") >= 3 * messages);
    CHECK(sample(after, "cimrt_delivery_latency_seconds_bucket{le=\"+Inf\"}") ==
          sample(after, "cimrt_delivery_latency_seconds_count"));
    CHECK(moved("cimrt_store_committed_entries_total") > 0);
    // The channel plugin's own metric (ABI 1.4): its connections, sampled when it started and every 5 s after.
    CHECK(after.count("cimrt_channel_http_connections{plugin=\"channel\"}") == 1);

    INFO(page);
    CHECK(promtool_verdict(page, cc.dir).empty());
}

TEST_CASE("the metrics endpoint refuses what is not a probe or a scrape, and keeps serving", "[metrics]") {
    const std::uint16_t metrics_port = cim::test::free_port();
    ContactCenterSetup setup;
    setup.extra_tables = "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics_port) + "\"\n";
    ContactCenter cc(setup);
    CHECK(http_request(metrics_port, "GET", "/nope").status == 404);
    const auto post = http_request(metrics_port, "POST", "/metrics", "x=1");
    CHECK((post.status == 405 || post.status == 400));
    // A header past 8 KiB is refused by the parser, not buffered.
    const auto huge = http_request(metrics_port, "GET", "/metrics", "", std::string(10 * 1024, 'a'));
    CHECK(huge.status == 400);
    // Silent sockets beyond the 32 allowed are closed at accept.
    cim::test::SilentClients silent;
    for (int i = 0; i < 40; ++i) silent.open_tcp(metrics_port);
    CHECK(cim::test::eventually([&] { return silent.closed_by_server() >= 8; }, std::chrono::seconds(3)));
    // They hold their slots only until the read timeout (5 s); then a scrape is answered again.
    bool refused_meanwhile = false;
    CHECK(cim::test::eventually(
        [&] {
            try {
                return http_request(metrics_port, "GET", "/metrics").status == 200;
            } catch (const std::exception&) {  // closed at accept while the silent ones hold every slot
                refused_meanwhile = true;
                return false;
            }
        },
        std::chrono::seconds(10)));
    CHECK(refused_meanwhile);  // the bound held: the 33rd connection was not served while 32 sat idle
}
