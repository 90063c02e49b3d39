// Fuzzes the wire reader (cim::core::parse_event_json), the parser every event from outside passes through: `cimrt
// publish`, the journal's replay, plugins' JSON. Bugs it reports: anything thrown but EventError (which is how a bad
// event is refused), any sanitizer finding, and a broken round trip — an event the reader accepted must read back,
// once written, to the very same text (DESIGN §1: write(parse(write(e))) == write(e)).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "event/catalogue.hpp"
#include "event/event_error.hpp"
#include "event/wire_json.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const cim::core::Catalogue catalogue;  // the built-in events; read-only, so one for every input
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    cim::core::Event event;
    try {
        event = cim::core::parse_event_json(text, catalogue);
    } catch (const cim::core::EventError&) {
        return 0;  // refused with a message: what the reader is for
    }
    const std::string written = cim::core::to_event_json(event);
    cim::core::Event reread;
    try {
        reread = cim::core::parse_event_json(written, catalogue);
    } catch (const cim::core::EventError& e) {
        std::fprintf(stderr, "accepted input, but its written form is refused: %s\n  written: %s\n", e.what(),
                     written.c_str());
        cim::fuzz::check(false, "the written form of an accepted event parses");
    }
    const std::string rewritten = cim::core::to_event_json(reread);
    if (rewritten != written) {
        std::fprintf(stderr, "  written:   %s\n  rewritten: %s\n", written.c_str(), rewritten.c_str());
    }
    cim::fuzz::check(rewritten == written, "to_event_json(parse(x)) == to_event_json(parse(to_event_json(parse(x))))");
    return 0;
}
