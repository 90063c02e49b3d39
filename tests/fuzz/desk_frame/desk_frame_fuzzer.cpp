// Fuzzes the agent desk's frame decoding (plugins/agent/desk_frame.cpp), the only code of the agent plugin that reads
// what a desk sends over /agent/ws before it is authenticated — anyone who can reach the port can send a login frame.
// The routing behind it needs a runtime and is covered by tests/contact_center.
//
// Bugs it reports: an exception (the desk's read loop would end without on_close, leaving the agent online), a
// sanitizer finding, or a decoded frame that is not what the JSON said.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "desk_frame.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto frame = cim::agent::decode_desk_frame(text);
    // An independent reading of the same text: the decoder accepts exactly the JSON objects, and reads type as is.
    const auto json = nlohmann::json::parse(text, nullptr, false);
    const bool object = !json.is_discarded() && json.is_object();
    cim::fuzz::check(frame.has_value() == object, "a frame is decoded exactly when it is a JSON object");
    if (!frame) return 0;
    const auto type = json.find("type");
    const std::string expected_type = type != json.end() && type->is_string() ? type->get<std::string>() : "";
    cim::fuzz::check(frame->type == expected_type, "type is the frame's string member 'type', or empty");
    return 0;
}
