// A broker between the same producer and four consumers: the events published to a local nats-server (started for
// the run, on loopback) and received by four subscriber connections — what a microservice deployment pays per hop.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <nats/nats.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baselines/baselines.hpp"
#include "free_port.hpp"

extern char** environ;

namespace cim::bench {
namespace {

constexpr int subscribers = 4;

void check(natsStatus status, const char* what) {
    if (status != NATS_OK) throw std::runtime_error(std::string("nats: ") + what + ": " + natsStatus_GetText(status));
}

// The server process, stopped however the run ends.
class NatsServer {
public:
    explicit NatsServer(int port) {
        const std::string port_text = std::to_string(port);
        const char* argv[] = {"nats-server", "-a", "127.0.0.1", "-p", port_text.c_str(), nullptr};
        // Its log would interleave with the benchmark's table.
        posix_spawn_file_actions_t quiet;
        posix_spawn_file_actions_init(&quiet);
        posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&quiet, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        const int failed = posix_spawnp(&pid_, "nats-server", &quiet, nullptr, const_cast<char* const*>(argv), environ);
        posix_spawn_file_actions_destroy(&quiet);
        if (failed != 0) throw std::runtime_error("cannot start nats-server (is the nats-server package installed?)");
    }
    ~NatsServer() {
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
    }

private:
    pid_t pid_ = 0;
};

void on_message(natsConnection*, natsSubscription*, natsMsg* message, void* closure) {
    static_cast<std::atomic<std::uint64_t>*>(closure)->fetch_add(1, std::memory_order_relaxed);
    natsMsg_Destroy(message);
}

}  // namespace

Measurement run_nats_baseline(const std::vector<WireEvent>& traffic, const std::filesystem::path&) {
    const auto lines = stamped_lines(traffic);
    const int port = free_port();
    NatsServer server(port);
    const std::string url = "nats://127.0.0.1:" + std::to_string(port);

    natsConnection* publisher = nullptr;
    const auto connect_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (natsConnection_ConnectTo(&publisher, url.c_str()) != NATS_OK) {
        if (std::chrono::steady_clock::now() > connect_deadline) throw std::runtime_error("nats-server did not come up on " + url);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    natsConnection* connections[subscribers] = {};
    natsSubscription* subscriptions[subscribers] = {};
    std::atomic<std::uint64_t> received[subscribers];
    for (int i = 0; i < subscribers; ++i) {
        received[i] = 0;
        check(natsConnection_ConnectTo(&connections[i], url.c_str()), "connect");
        check(natsConnection_Subscribe(&subscriptions[i], connections[i], "cim.bench", on_message, &received[i]), "subscribe");
        // No client-side drop: the baseline must deliver everything, as the runtime does.
        check(natsSubscription_SetPendingLimits(subscriptions[i], -1, -1), "pending limits");
        check(natsConnection_Flush(connections[i]), "flush");
    }

    const double cpu_before = cpu_time_us();
    const auto start = std::chrono::steady_clock::now();
    for (const auto& line : lines) {
        check(natsConnection_Publish(publisher, "cim.bench", line.data(), static_cast<int>(line.size())), "publish");
    }
    check(natsConnection_Flush(publisher), "flush");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    for (int i = 0; i < subscribers; ++i) {
        while (received[i].load() < lines.size()) {
            if (std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error("subscriber " + std::to_string(i) + " received " + std::to_string(received[i].load()) +
                                         " of " + std::to_string(lines.size()) + " (the server dropped a slow consumer?)");
            }
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Measurement m;
    m.name = "nats-server pub -> 4 sub";
    m.events_per_s = static_cast<double>(lines.size()) / seconds;
    // The client side only: the server's CPU is another process's.
    m.cpu_us_per_event = (cpu_time_us() - cpu_before) / static_cast<double>(lines.size());
    m.rss_mib = peak_rss_mib();

    for (int i = 0; i < subscribers; ++i) {
        natsSubscription_Destroy(subscriptions[i]);
        natsConnection_Destroy(connections[i]);
    }
    natsConnection_Destroy(publisher);
    nats_Close();
    return m;
}

}  // namespace cim::bench
