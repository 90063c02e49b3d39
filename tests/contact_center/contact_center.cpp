#include "contact_center.hpp"

#include <atomic>
#include <cstdlib>
#include <condition_variable>
#include <unistd.h>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <sodium.h>

#include "config/runtime_config.hpp"
#include "plugin_common/event_loop.hpp"
#include "plugin_common/http_server.hpp"
#include "runtime/runtime_impl.hpp"

namespace cim::test {

std::string password_hash(const std::string& password) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium init failed");
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_MIN,
                          crypto_pwhash_MEMLIMIT_MIN) != 0) {
        throw std::runtime_error("crypto_pwhash_str failed");
    }
    return hash;
}

struct WebhookServer::Impl {
    web::EventLoop loop;
    std::unique_ptr<web::HttpServer> server;
    mutable std::mutex mutex;
    std::condition_variable changed;
    std::vector<nlohmann::json> received;
    int failures_left = 0;
    std::size_t attempts = 0;
    std::string secret;
    std::size_t bad_signatures = 0;

    // The receiver's side of plugins/channel/README.md: HMAC-SHA256(secret, timestamp + "." + body), hex, "v1=",
    // compared in constant time; a timestamp more than 5 minutes from now is a replay.
    bool signed_correctly(const web::HttpRequest& request) const {
        const std::string timestamp = request.header("x-cim-timestamp");
        const std::string signature = request.header("x-cim-signature");
        if (timestamp.empty() || signature.size() != 3 + 2 * crypto_auth_hmacsha256_BYTES) return false;
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        if (std::llabs(now - std::stoll(timestamp)) > 300) return false;
        const std::string message = timestamp + "." + request.body;
        crypto_auth_hmacsha256_state state;
        crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
        crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()), message.size());
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        crypto_auth_hmacsha256_final(&state, mac);
        char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
        sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
        const std::string expected = std::string("v1=") + hex;
        return sodium_memcmp(expected.data(), signature.data(), expected.size()) == 0;
    }
};

WebhookServer::WebhookServer(int failures, std::string secret) : impl_(std::make_unique<Impl>()) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium init failed");
    impl_->failures_left = failures;
    impl_->secret = std::move(secret);
    impl_->server = std::make_unique<web::HttpServer>(
        impl_->loop, web::ListenAddress{"127.0.0.1", 0},
        [impl = impl_.get()](const web::HttpRequest& request) {
            std::lock_guard lock(impl->mutex);
            ++impl->attempts;
            if (!impl->secret.empty() && !impl->signed_correctly(request)) {
                ++impl->bad_signatures;
                return web::HttpResponse::error(401, "bad signature");
            }
            if (impl->failures_left > 0) {
                --impl->failures_left;
                return web::HttpResponse::error(500, "failing on purpose");
            }
            impl->received.push_back(nlohmann::json::parse(request.body, nullptr, false));
            impl->changed.notify_all();
            return web::HttpResponse::json(200, "{}");
        },
        std::vector<web::WebSocketRoute>{});
    impl_->loop.start();
    impl_->server->start();
}

WebhookServer::~WebhookServer() {
    impl_->server->stop();
    impl_->loop.stop();
}

std::uint16_t WebhookServer::port() const { return impl_->server->port(); }

std::size_t WebhookServer::bad_signatures() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->bad_signatures;
}

std::size_t WebhookServer::attempts() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->attempts;
}

nlohmann::json WebhookServer::nth(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->mutex);
    if (!impl_->changed.wait_for(lock, timeout, [&] { return impl_->received.size() >= n; })) {
        throw std::runtime_error("the webhook received " + std::to_string(impl_->received.size()) + " requests, not " +
                                 std::to_string(n));
    }
    return impl_->received[n - 1];
}

nlohmann::json WebhookServer::expect(const std::string& what, const std::function<bool(const nlohmann::json&)>& matches,
                                     std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->mutex);
    nlohmann::json found;
    const bool ok = impl_->changed.wait_for(lock, timeout, [&] {
        for (const auto& body : impl_->received) {
            if (matches(body)) {
                found = body;
                return true;
            }
        }
        return false;
    });
    if (!ok) {
        std::ostringstream message;
        message << "the webhook did not receive " << what << "; it received:";
        for (const auto& body : impl_->received) message << "\n  " << body.dump();
        throw std::runtime_error(message.str());
    }
    return found;
}

cim::Manifest EventRecorder::manifest() const {
    cim::Manifest m;
    m.name = "test-recorder";
    m.version = "1";
    m.consumes = {"TASK_ENQUEUED",    "TASK_STATE_CHANGED", "AGENT_RESERVED",         "ACCEPT_TIMEOUT",
                  "NO_AGENT_AVAILABLE", "AGENT_SUBSCRIBED", "AGENT_UNSUBSCRIBED",     "AGENT_RESPONSE_TIMEOUT",
                  "WRAPUP_APPLIED",   "THIRD_PARTY_ACTIVITY", "ACTIVITY_REACTION",    "MESSAGE_DELIVERY_NOTIFICATION",
                  "BOT_SUGGESTION",   "WHISPER_MESSAGE",    "BOT_TIMEOUT",            "ACTION_MESSAGE",
                  "BOT_NOT_AVAILABLE", "cimrt.AGENT_STATE_CHANGED"};
    return m;
}

void EventRecorder::on_event(const cim::Event& event) {
    nlohmann::json seen = {{"name", std::string(event.name())},
                           {"id", std::string(event.id())},
                           {"conversationId", std::string(event.conversation_id())},
                           {"refersTo", std::string(event.refers_to())},
                           {"emitter", std::string(event.emitter_id())},
                           {"data", event.data()}};
    std::lock_guard lock(mutex_);
    seen_.push_back(std::move(seen));
    changed_.notify_all();
}

std::vector<nlohmann::json> EventRecorder::all(const std::string& name) const {
    std::lock_guard lock(mutex_);
    std::vector<nlohmann::json> found;
    for (const auto& e : seen_) {
        if (e["name"] == name) found.push_back(e);
    }
    return found;
}

nlohmann::json EventRecorder::expect(const std::string& name, const std::string& conversation_id,
                                     std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    nlohmann::json found;
    const auto matches = [&](const nlohmann::json& e) {
        return e["name"] == name && (conversation_id.empty() || e["conversationId"] == conversation_id);
    };
    const bool ok = changed_.wait_for(lock, timeout, [&] {
        for (const auto& e : seen_) {
            if (matches(e)) {
                found = e;
                return true;
            }
        }
        return false;
    });
    if (!ok) {
        std::ostringstream message;
        message << "no " << name << " was published; seen:";
        for (const auto& e : seen_) message << "\n  " << e["name"].get<std::string>() << " " << e["data"].dump();
        throw std::runtime_error(message.str());
    }
    return found;
}

std::size_t EventRecorder::count(const std::string& name, const std::string& conversation_id) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& e : seen_) {
        if (e["name"] == name && (conversation_id.empty() || e["conversationId"] == conversation_id)) ++n;
    }
    return n;
}

namespace {

std::string default_agents() {
    return "[[plugins.agent.agents]]\nid = \"alice\"\nname = \"Alice\"\ncapacity = 2\npassword_hash = \"" +
           password_hash("secret") + "\"\n[[plugins.agent.agents]]\nid = \"bob\"\nname = \"Bob\"\ncapacity = 2\n" +
           "password_hash = \"" + password_hash("secret") + "\"\n";
}

}  // namespace

std::string contact_center_toml(const ContactCenterSetup& setup, std::uint16_t channel_port, std::uint16_t agent_port) {
    return std::string("[runtime]\nthreads = 2\nplugin_dir = \"") + CIMRT_PLUGIN_DIR + "\"\n" + setup.runtime_options +
           "\n[store]\nkind = \"sqlite\"\npath = \"journal.db\"\n" + setup.store_options +
           "\n[sessions]\ncustomer_inactivity_timeout = \"10m\"\n" + "[plugins.channel]\nlisten = \"127.0.0.1:" +
           std::to_string(channel_port) + "\"\n" + setup.channel_options + "\n[plugins.bot]\n" + setup.bot_options +
           "[plugins.agent]\nlisten = \"127.0.0.1:" + std::to_string(agent_port) + "\"\n" + setup.agent_options +
           (setup.agents.empty() ? default_agents() : setup.agents) + "\n[plugins.survey]\n" + setup.survey_options +
           "\n" + setup.extra_tables;
}

std::unique_ptr<WsClient> web_chat_page(std::uint16_t channel_port, const std::string& token, std::uint64_t last_seq) {
    auto client = std::make_unique<WsClient>(channel_port, "/ws");
    client->send({{"type", "hello"}, {"token", token}, {"lastSeq", last_seq}});
    client->expect("welcome", frame_of("welcome"));
    return client;
}

std::unique_ptr<WsClient> agent_desk(std::uint16_t agent_port, const std::string& agent_id, const std::string& password) {
    auto client = std::make_unique<WsClient>(agent_port, "/agent/ws");
    client->send({{"type", "login"}, {"agentId", agent_id}, {"password", password}});
    client->expect("welcome of " + agent_id, frame_of("welcome"));
    return client;
}

std::string agent(const std::string& id, int capacity) {
    return "[[plugins.agent.agents]]\nid = \"" + id + "\"\ncapacity = " + std::to_string(capacity) +
           "\npassword_hash = \"" + password_hash("secret") + "\"\n";
}

std::unique_ptr<WsClient> wants_agent(ContactCenter& cc) {
    auto page = cc.customer();
    page->send({{"type", "message"}, {"text", "agent"}});
    page->expect("the hand-over",
                 [](const nlohmann::json& f) { return f.value("text", "") == "Let me find an agent for you."; });
    return page;
}

ContactCenter::ContactCenter(ContactCenterSetup setup) {
    static std::atomic<int> counter{0};
    dir = std::filesystem::temp_directory_path() /
          ("cimrt-cc-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    channel_port = free_port();
    agent_port = free_port();
    toml_ = contact_center_toml(setup, channel_port, agent_port);
    extra_handler_ = setup.extra_handler;
    start_runtime(cim::core::ManualClock().now_ms());
}

void ContactCenter::start_runtime(std::int64_t clock_ms) {
    auto config = cim::core::parse_config(toml_, (dir / "runtime.toml").string(), dir);
    auto clock = std::make_unique<cim::core::ManualClock>(clock_ms);
    clock_ = clock.get();
    cim::runtime::RuntimeOptions options;
    options.log_to_stderr = false;
    runtime = cim::runtime::make_runtime(std::move(config), options, std::move(clock));
    runtime->add_handler(recorder);
    if (extra_handler_) runtime->add_handler(extra_handler_);
    const auto warnings = runtime->start();
    if (!warnings.empty()) throw std::runtime_error("wiring warning: " + warnings.front());
}

void ContactCenter::restart() {
    const std::int64_t now = clock_->now_ms();
    runtime->stop();
    runtime.reset();
    clock_ = nullptr;
    start_runtime(now);
}

ContactCenter::~ContactCenter() {
    runtime->stop();
    runtime.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}

void ContactCenter::advance(std::chrono::milliseconds delta) {
    clock_->advance(delta.count());
    runtime->drain();
}

namespace {

nlohmann::json poll(const std::function<nlohmann::json()>& read, const std::function<bool(const nlohmann::json&)>& holds,
                    const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    nlohmann::json last;
    while (std::chrono::steady_clock::now() < deadline) {
        last = read();
        if (!last.is_null() && holds(last)) return last;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("timed out waiting for " + what + "; last seen: " + last.dump());
}

}  // namespace

nlohmann::json ContactCenter::wait_state(const std::string& conversation_id,
                                         const std::function<bool(const nlohmann::json&)>& holds, const std::string& what) {
    return poll([&] { return runtime->conversation_state(conversation_id); }, holds, what);
}

nlohmann::json ContactCenter::wait_conversation(const std::string& conversation_id,
                                                const std::function<bool(const nlohmann::json&)>& holds,
                                                const std::string& what) {
    return poll([&] { return runtime->conversation(conversation_id); }, holds, what);
}

std::unique_ptr<WsClient> ContactCenter::customer(const std::string& token, std::uint64_t last_seq) {
    return web_chat_page(channel_port, token, last_seq);
}

std::unique_ptr<WsClient> ContactCenter::desk(const std::string& agent_id, const std::string& password) {
    return agent_desk(agent_port, agent_id, password);
}

std::vector<nlohmann::json> events_named(const nlohmann::json& conversation, const std::string& name) {
    std::vector<nlohmann::json> found;
    if (!conversation.is_object() || !conversation.contains("activities")) return found;
    for (const auto& a : conversation["activities"]) {
        if (a.value("name", "") == name) found.push_back(a);
        for (const auto& u : a.value("updates", nlohmann::json::array())) {
            if (u.value("name", "") == name) found.push_back(u);
        }
    }
    return found;
}

bool has_active_participant(const nlohmann::json& state, const std::string& participant) {
    for (const auto& p : state.value("participants", nlohmann::json::array())) {
        if (p.value("id", "") == participant && p.value("active", false)) return true;
    }
    return false;
}

nlohmann::json connector_message(const std::string& id, const std::string& customer, const std::string& text) {
    return {{"id", id},
            {"header", {{"channelData", {{"channelCustomerIdentifier", customer}, {"serviceIdentifier", "acme"}}}}},
            {"body", {{"type", "PLAIN"}, {"markdownText", text}}}};
}

}  // namespace cim::test
