// The desk's logins against guessing: password checks run off the network thread, and attempts past a few are
// slowed per agent and per address, on the runtime's clock (a manual one here).
#include "contact_center.hpp"

#include <thread>

#include <catch2/catch.hpp>
#include <sodium.h>

using cim::test::ContactCenter;
using cim::test::ContactCenterSetup;
using cim::test::frame_of;
using cim::test::http_request;
using cim::test::WsClient;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The cost `cimrt hash-password` uses (tens of ms, 64 MiB per check): what makes a login flood expensive.
std::string production_hash(const std::string& password) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium init failed");
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        throw std::runtime_error("crypto_pwhash_str failed");
    }
    return hash;
}

}  // namespace

TEST_CASE("64 concurrent wrong logins keep /healthz under 100 ms, and later attempts are slowed") {
    ContactCenterSetup setup;
    setup.agents = "[[plugins.agent.agents]]\nid = \"alice\"\npassword_hash = \"" + production_hash("correct horse") + "\"\n";
    setup.agent_options += "login_free_attempts = 5\nlogin_backoff = \"1s\"\n";
    ContactCenter cc(setup);

    std::vector<std::unique_ptr<WsClient>> guessers;
    for (int i = 0; i < 64; ++i) guessers.push_back(std::make_unique<WsClient>(cc.agent_port, "/agent/ws"));
    for (int i = 0; i < 64; ++i) {
        guessers[i]->send({{"type", "login"}, {"agentId", i % 2 ? "alice" : "nobody"}, {"password", "guess" + std::to_string(i)}});
    }
    std::chrono::milliseconds slowest{0};
    for (int i = 0; i < 10; ++i) {
        const auto start = std::chrono::steady_clock::now();
        REQUIRE(http_request(cc.agent_port, "GET", "/healthz").status == 200);
        slowest = std::max(slowest, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start));
        std::this_thread::sleep_for(20ms);
    }
    CHECK(slowest < 100ms);
    // Every guess is refused: wrong, or not even checked because the address is past its free attempts.
    std::size_t checked = 0;
    for (auto& guesser : guessers) {
        const std::string error = guesser->expect("a refusal", frame_of("error"))["error"];
        checked += error == "invalid credentials" ? 1 : 0;
        CHECK((error == "invalid credentials" || error.rfind("too many login attempts", 0) == 0));
    }
    CHECK(checked <= 5);

    // Now even the right password waits (this address is past its free attempts), on the runtime's clock...
    {
        WsClient late(cc.agent_port, "/agent/ws");
        late.send({{"type", "login"}, {"agentId", "alice"}, {"password", "correct horse"}});
        const json refusal = late.expect("a slowed attempt", frame_of("error"));
        CHECK_THAT(refusal["error"].get<std::string>(), Catch::StartsWith("too many login attempts"));
        CHECK(refusal["retryAfterMs"].get<std::int64_t>() > 0);
    }
    // ...until the back-off has passed.
    cc.advance(std::chrono::hours(1));
    auto alice = cc.desk("alice", "correct horse");
    CHECK(alice->frames().front()["agent"]["id"] == "alice");
}
