#include "publish_refusal.hpp"

namespace cim::channel {

using web::HttpResponse;

HttpResponse refused(const cim::PublishResult& result) {
    const auto unavailable = [](std::string_view message, const char* retry_after) {
        auto response = HttpResponse::error(503, message);
        response.headers.emplace_back("Retry-After", retry_after);
        return response;
    };
    switch (result.code) {
        case CIM_BUSY: return unavailable("the runtime is busy; retry shortly", "1");
        // A store that cannot write refuses the event rather than lose it: the connector's retry is what keeps it.
        case CIM_ERROR:
            return unavailable("the runtime cannot store events right now (its journal refuses writes); not "
                               "acknowledged, retry later with the same message id",
                               "5");
        case CIM_STOPPED: return unavailable("the runtime is stopping; nothing was accepted, retry later", "5");
        case CIM_INVALID: return HttpResponse::error(400, "the event was refused: " + result.error);
        default: return HttpResponse::error(500, "the event was not accepted (internal error)");
    }
}

}  // namespace cim::channel
