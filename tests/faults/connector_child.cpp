#include "connector_child.hpp"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <stdexcept>

#include <utility>  // before any Boost.Asio header

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "cim/runtime/journal_reader.hpp"

namespace cim::test {
namespace {

std::string cim_message(const std::string& message_id, const std::string& customer, const std::string& text) {
    return nlohmann::json{
        {"id", message_id},
        {"header", {{"channelData", {{"channelCustomerIdentifier", customer}, {"serviceIdentifier", "acme"}}}}},
        {"body", {{"type", "PLAIN"}, {"markdownText", text}}}}
        .dump();
}

}  // namespace

struct ConnectorConnection::Impl {
    boost::asio::io_context io;
    boost::beast::tcp_stream stream{io};
    boost::beast::flat_buffer buffer;
};

ConnectorConnection::ConnectorConnection(std::uint16_t port) : impl_(std::make_unique<Impl>()) {
    impl_->stream.expires_after(std::chrono::seconds(10));
    impl_->stream.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
}

ConnectorConnection::~ConnectorConnection() {
    boost::beast::error_code ignored;
    impl_->stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
}

unsigned ConnectorConnection::post(const std::string& message_id, const std::string& customer, const std::string& text) {
    namespace http = boost::beast::http;
    http::request<http::string_body> request{http::verb::post, "/cim-messages", 11};
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::authorization, "Bearer " + connector_token);
    request.set(http::field::content_type, "application/json");
    request.keep_alive(true);
    request.body() = cim_message(message_id, customer, text);
    request.prepare_payload();
    impl_->stream.expires_after(std::chrono::seconds(10));
    http::write(impl_->stream, request);
    http::response<http::string_body> response;
    http::read(impl_->stream, impl_->buffer, response);
    return response.result_int();
}

ConnectorChild::ConnectorChild(const std::filesystem::path& dir, const std::filesystem::path& journal,
                               const std::string& sync, const std::string& store_extra)
    : config_(dir / "runtime.toml"), port_(free_port()) {
    std::ofstream(config_) << "[runtime]\nthreads = 2\nplugin_dir = \"" << CIMRT_PLUGIN_DIR << "\"\n"
                           << "[store]\nkind = \"sqlite\"\npath = \"" << journal.string() << "\"\nsync = \"" << sync
                           << "\"\n"
                           << store_extra << "\n"
                           << "[plugins.channel]\nlisten = \"127.0.0.1:" << port_ << "\"\nweb_chat = false\n"
                           << "[[plugins.channel.connectors]]\nservice = \"acme\"\ntoken = \"" << connector_token
                           << "\"\n";
    child_ = std::make_unique<ChildProcess>(std::vector<std::string>{CIMRT_BINARY, "run", config_.string()});
    if (!child_->wait_for_stderr("cimrt: running", std::chrono::seconds(10))) {
        throw std::runtime_error("cimrt run did not start:\n" + child_->err());
    }
}

HttpReply ConnectorChild::post(const std::string& message_id, const std::string& customer, const std::string& text) {
    return http_request(port_, "POST", "/cim-messages", cim_message(message_id, customer, text), connector_token);
}

int ConnectorChild::terminate() {
    child_->send_signal(SIGTERM);
    return child_->wait(std::chrono::seconds(10)).value_or(-1);
}

std::multiset<std::string> journaled_messages(const std::filesystem::path& config,
                                              std::set<std::string>* derived_missing) {
    std::multiset<std::string> messages;
    std::set<std::string> started, derived;
    auto reader = cim::runtime::JournalReader::open(config);
    reader->journal({}, [&](const std::string& line) {
        const auto event = nlohmann::json::parse(line);
        const std::string name = event["name"];
        const std::string id = event["id"];
        if (name == "CUSTOMER_MESSAGE") messages.insert(id.substr(id.find(':') + 1));  // "acme:<message id>"
        if (name == "CHANNEL_SESSION_STARTED") started.insert(id);
        if (name == "TOPIC_STATE_CHANGED") derived.insert(id);
    });
    if (derived_missing != nullptr) {
        for (const std::string& id : started) {
            if (derived.count(id + "+1") == 0) derived_missing->insert(id);
        }
    }
    return messages;
}

}  // namespace cim::test
