// The child of the crash test: publishes chats into the runtime of argv[1] forever and prints the id of every event
// whose publish returned success, one per line, flushed — so the parent knows exactly what was acknowledged when it
// kills this process with SIGKILL.
#include <cstdio>
#include <string>

#include "cim/runtime/runtime.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CONFIG\n", argv[0]);
        return 64;
    }
    cim::runtime::RuntimeOptions quiet;
    quiet.log_to_stderr = false;
    auto runtime = cim::runtime::Runtime::from_file(argv[1], quiet);
    runtime->start();
    for (long i = 0;; ++i) {
        const std::string conversation = "conv-" + std::to_string(i / 5);
        const std::string session = "sess-" + std::to_string(i / 5);
        const std::string id = "evt-" + std::to_string(i);
        std::string line;
        if (i % 5 == 0) {
            line = R"({"id":")" + id + R"(","name":"CHANNEL_SESSION_STARTED","conversationId":")" + conversation +
                   R"(","channelSessionId":")" + session + R"(","customerId":"cust-)" + std::to_string(i % 7) +
                   R"(","emitter":{"id":"web","type":"CONNECTOR"},"data":{"channel":"WEB_CHAT"}})";
        } else {
            line = R"({"id":")" + id + R"(","name":"CUSTOMER_MESSAGE","conversationId":")" + conversation +
                   R"(","channelSessionId":")" + session + R"(","customerId":"cust-)" + std::to_string((i / 5 * 5) % 7) +
                   R"(","emitter":{"id":"c","type":"CUSTOMER"},"data":{"body":{"type":"PLAIN","markdownText":"message )" +
                   std::to_string(i) + R"("}}})";
        }
        const auto result = runtime->publish_json(line);
        if (result.accepted()) {
            std::printf("%s\n", id.c_str());
            std::fflush(stdout);
        } else if (result.status != cim::runtime::PublishStatus::busy) {
            std::fprintf(stderr, "rejected %s: %s\n", id.c_str(), result.error.c_str());
            return 1;
        }
    }
}
