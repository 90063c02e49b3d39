// The bare HTTP baseline: the HTTP scenario's clients against a minimal Beast server on one thread (as the channel
// plugin serves from one event-loop thread) that reads each request, parses the CIM message with nlohmann::json,
// checks the fields the connector API requires, and answers 202 with a small JSON body — HTTP and JSON without a
// runtime, so the HTTP ingest scenarios are a ratio against HTTP itself.
#include <utility>  // before Asio (Boost 1.74 + g++ 12)

#include <atomic>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "baselines/baselines.hpp"
#include "free_port.hpp"
#include "scenarios/http_scenario.hpp"

namespace cim::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

asio::awaitable<void> serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    beast::error_code error;
    for (;;) {
        http::request<http::string_body> request;
        co_await http::async_read(stream, buffer, request, asio::redirect_error(asio::use_awaitable, error));
        if (error) break;
        const auto message = nlohmann::json::parse(request.body(), nullptr, false);
        const bool valid = message.is_object() && message.contains("id") && message["id"].is_string() &&
                           message.contains("header") && message["header"].is_object();
        http::response<http::string_body> response{valid ? http::status::accepted : http::status::bad_request,
                                                   request.version()};
        response.set(http::field::content_type, "application/json");
        response.keep_alive(request.keep_alive());
        response.body() = nlohmann::json{{"eventId", valid ? message["id"].get<std::string>() : ""}}.dump();
        response.prepare_payload();
        co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, error));
        if (error || !request.keep_alive()) break;
    }
}

asio::awaitable<void> accept_all(tcp::acceptor& acceptor) {
    for (;;) {
        beast::error_code error;
        tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
        if (error) co_return;
        asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
    }
}

}  // namespace

Measurement run_http_baseline(std::size_t requests, int clients) {
    asio::io_context io;
    const int port = free_port();
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    asio::co_spawn(io, accept_all(acceptor), asio::detached);
    std::thread server([&] { io.run(); });
    Measurement m = drive_http_clients(port, requests, clients);
    io.stop();
    server.join();
    m.name = "bare http 202 (" + std::to_string(clients) + " clients)";
    return m;
}

}  // namespace cim::bench
