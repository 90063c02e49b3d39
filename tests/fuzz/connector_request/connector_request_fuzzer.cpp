// Fuzzes the channel plugin's connector API (plugins/channel/connector_api.cpp): ConnectorApi::handle with the
// request line, the headers and the body all from the input, over a real CustomerIngest and SessionDirectory whose
// host accepts every event (accepting_host.hpp; its table has no publish_async, so a message's deferred answer is
// given at once). That is the whole path of an external connector's request short of the socket, including the CIM
// message customer_ingest amends and publishes.
//
// Input: one or more requests separated by a line "###", each written as on the wire:
//   POST /cim-messages
//   Authorization: Bearer sms-secret
//
//   {"id":"m1","header":{...},"body":{...}}
// Several requests per input let one message be followed by its delivery notification or a retry.
//
// Bugs it reports: any exception out of handle() (the server would answer 500 with the exception's text), any
// sanitizer finding, a response that is not one the API documents, and an error body that is not JSON.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <cim/host.hpp>
#include <nlohmann/json.hpp>

#include "accepting_host.hpp"
#include "connector_api.hpp"
#include "fuzz_check.hpp"

namespace {

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    return text;
}

// Splits "<method> <path>[?query]\n<headers>\n\n<body>" into a request; a missing part stays empty.
cim::web::HttpRequest request_of(std::string_view text) {
    cim::web::HttpRequest request;
    const std::size_t line_end = std::min(text.find('\n'), text.size());
    const std::string_view line = trimmed(text.substr(0, line_end));
    const std::size_t space = line.find(' ');
    request.method = std::string(line.substr(0, space));
    std::string_view target = space == std::string_view::npos ? std::string_view() : trimmed(line.substr(space + 1));
    if (const std::size_t question = target.find('?'); question != std::string_view::npos) {
        request.query = std::string(target.substr(question + 1));
        target = target.substr(0, question);
    }
    request.path = std::string(target);
    std::string_view rest = line_end < text.size() ? text.substr(line_end + 1) : std::string_view();
    while (!rest.empty()) {
        const std::size_t end = std::min(rest.find('\n'), rest.size());
        const std::string_view header = trimmed(rest.substr(0, end));
        rest = end < rest.size() ? rest.substr(end + 1) : std::string_view();
        if (header.empty()) break;  // the blank line before the body
        const std::size_t colon = header.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view name = header.substr(0, colon);
        const std::string value(trimmed(header.substr(colon + 1)));
        if (name == "Authorization") request.authorization = value;
        if (name == "Content-Type") request.content_type = value;
    }
    request.body = std::string(rest);
    return request;
}

std::vector<std::string_view> requests_in(std::string_view input) {
    std::vector<std::string_view> requests;
    constexpr std::string_view separator = "\n###\n";
    for (;;) {
        const std::size_t at = input.find(separator);
        requests.push_back(input.substr(0, at));
        if (at == std::string_view::npos) return requests;
        input.remove_prefix(at + separator.size());
    }
}

bool documented(unsigned status) {
    switch (status) {
        case 202: case 204: case 400: case 401: case 403: case 404: case 405: case 409: case 500: case 503: return true;
        default: return false;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // Fresh state per input, so an input's outcome does not depend on the ones before it (crashes reproduce alone).
    cim::fuzz::AcceptingHost host_table;
    const cim::Host host(host_table.table());
    cim::channel::SessionDirectory directory;
    cim::channel::CustomerIngest ingest(host, directory);
    cim::channel::ConnectorApi api(
        {{"sms", "sms-secret", "", ""}, {"whatsapp", "wa-secret", "http://127.0.0.1:9/hook", "wa-webhook-secret"}}, ingest,
        directory);

    for (const std::string_view text : requests_in(input)) {
        const cim::web::HttpRequest request = request_of(text);
        cim::web::HttpResponse response;
        if (!api.handle(request, response)) continue;  // not the API's path: another route answers it
        if (response.deferred) {
            // A message is answered once it is durable (publish_async); this host has no publish_async, so the
            // C++ layer publishes at once and the answer is already there.
            auto given = response.deferred->take();
            cim::fuzz::check(given.has_value(), "a deferred answer is given at once by a host that decides at once");
            response = std::move(*given);
        }
        cim::fuzz::check(documented(response.status), "the status is one the connector API documents");
        if (response.status >= 400) {
            const auto body = nlohmann::json::parse(response.body, nullptr, false);
            cim::fuzz::check(body.is_object() && body.contains("error"), "an error response is {\"error\": ...}");
        }
    }
    return 0;
}
