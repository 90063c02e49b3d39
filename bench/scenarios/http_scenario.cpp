#include "scenarios/http_scenario.hpp"

#include <utility>  // before Asio (Boost 1.74 + g++ 12)

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "bus/clock.hpp"
#include "config/runtime_config.hpp"
#include "free_port.hpp"
#include "runtime/runtime_impl.hpp"

namespace cim::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

const std::string token = "bench-token-0123456789";

std::string padded_text(std::size_t seed) {
    std::string text = "hello, I have a question about my order number " + std::to_string(seed) + ": ";
    while (text.size() < 150 + seed % 300) text += "it has not arrived yet and the tracking page shows no update. ";
    return text;
}

// One client: a keep-alive connection posting its share of the messages; records each round trip.
void client(int port, int index, std::size_t count, std::vector<double>& latencies_us, std::size_t& busy) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    beast::flat_buffer buffer;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string customer = "+" + std::to_string(index) + "-" + std::to_string(i % 200);
        const nlohmann::json message = {
            {"id", "c" + std::to_string(index) + "-" + std::to_string(i)},
            {"header", {{"channelData", {{"channelCustomerIdentifier", customer}, {"serviceIdentifier", "bench"}}}}},
            {"body", {{"type", "PLAIN"}, {"markdownText", padded_text(i)}}}};
        http::request<http::string_body> request{http::verb::post, "/cim-messages", 11};
        request.set(http::field::host, "127.0.0.1");
        request.set(http::field::authorization, "Bearer " + token);
        request.set(http::field::content_type, "application/json");
        request.keep_alive(true);
        request.body() = message.dump();
        request.prepare_payload();
        for (;;) {
            const auto start = std::chrono::steady_clock::now();
            http::write(stream, request);
            http::response<http::string_body> response;
            http::read(stream, buffer, response);
            const auto elapsed = std::chrono::steady_clock::now() - start;
            if (response.result_int() == 503) {  // back-pressure: wait as Retry-After says (scaled down) and retry
                ++busy;
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                continue;
            }
            if (response.result_int() != 202) throw std::runtime_error("HTTP " + std::to_string(response.result_int()) + ": " + response.body());
            latencies_us.push_back(std::chrono::duration<double, std::micro>(elapsed).count());
            break;
        }
    }
}

}  // namespace

Measurement run_http_scenario(std::size_t requests, int clients, const BenchPaths& paths,
                              const std::filesystem::path& channel_plugin, const std::string& sqlite_sync) {
    const int port = free_port();
    std::string store = "[store]\nkind = \"memory\"\n";
    if (!sqlite_sync.empty()) {
        const auto journal = paths.work_dir / ("http-" + sqlite_sync + ".db");
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(journal.string() + suffix);
        store = "[store]\nkind = \"sqlite\"\npath = \"" + journal.string() + "\"\nsync = \"" + sqlite_sync + "\"\n";
    }
    std::string toml = "[runtime]\nthreads = 2\n" + store + "[sessions]\ncustomer_inactivity_timeout = \"1h\"\n"
                       "[plugins.channel]\npath = \"" + channel_plugin.string() + "\"\nlisten = \"127.0.0.1:" +
                       std::to_string(port) + "\"\nweb_chat = false\n[[plugins.channel.connectors]]\nservice = \"bench\"\n"
                       "token = \"" + token + "\"\n";
    for (const char* sink : {"sink_a", "sink_b", "sink_c", "sink_d"}) {
        toml += std::string("[plugins.") + sink + "]\npath = \"" + (paths.sink_dir / (std::string(sink) + ".so")).string() +
                "\"\nreport = \"" + (paths.work_dir / (std::string(sink) + ".json")).string() + "\"\n";
    }
    cim::runtime::RuntimeOptions quiet;
    quiet.log_to_stderr = false;
    auto runtime = cim::runtime::make_runtime(cim::core::parse_config(toml, "<bench>", paths.work_dir), quiet,
                                              std::make_unique<cim::core::SystemClock>());
    runtime->start();
    Measurement m = drive_http_clients(port, requests, clients, [&] { runtime->drain(); });
    runtime->stop();
    m.name = "http ingest (" + std::to_string(clients) + " clients, " +
             (sqlite_sync.empty() ? std::string("memory") : "sqlite " + sqlite_sync) + ")";
    return m;
}

Measurement drive_http_clients(int port, std::size_t requests, int clients, const std::function<void()>& settle) {
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
    std::vector<std::size_t> busy(static_cast<std::size_t>(clients), 0);
    std::vector<std::thread> threads;
    const std::size_t each = requests / static_cast<std::size_t>(clients);
    const double cpu_before = cpu_time_us();
    const auto start = std::chrono::steady_clock::now();
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] { client(port, c, each, latencies[static_cast<std::size_t>(c)], busy[static_cast<std::size_t>(c)]); });
    }
    for (auto& t : threads) t.join();
    if (settle) settle();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = cpu_time_us() - cpu_before;

    std::vector<double> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    const auto percentile = [&](double p) { return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * static_cast<double>(all.size() - 1))]; };
    Measurement m;
    m.events_per_s = static_cast<double>(all.size()) / seconds;
    m.p50_us = percentile(0.50);
    m.p99_us = percentile(0.99);
    m.p999_us = percentile(0.999);
    m.cpu_us_per_event = cpu / static_cast<double>(all.size());  // client and server: one process
    m.rss_mib = peak_rss_mib();
    std::size_t refused = 0;
    for (auto b : busy) refused += b;
    m.extra["requests"] = all.size();
    m.extra["http_503_retries"] = refused;
    m.extra["latency_is"] = "HTTP round trip";
    return m;
}

}  // namespace cim::bench
