// Attacks on publish_async (ABI 1.3) and the connector API's deferred replies with sync = "full": a SIGTERM, a
// reload of the channel and disconnecting clients while answers are pending, answers that come too late, a disk that
// fills under concurrent keep-alive connections, and completions that throw or call the blocking publish.
//
// What keeps answers pending on demand: a second SQLite connection holding the journal's write lock (BEGIN
// IMMEDIATE), so the runtime's writer waits in its busy handler (5 s) with the requests' events appended but not
// committed — the state of a slow disk, controlled by the test.
#include "small_disk.hpp"

#include <signal.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <vector>

#include <utility>  // before any Boost.Asio header

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "cim/runtime/journal_reader.hpp"
#include "cim/runtime/runtime.hpp"
#include "connector_child.hpp"
#include "temp_dir.hpp"

using cim::test::ChildProcess;
using cim::test::ConnectorConnection;
using namespace std::chrono_literals;

namespace {

/// `cimrt run` with the channel plugin serving the connector API, like ConnectorChild, but with extra keys for the
/// channel's table (`channel_extra`) and the file rewritable for a reload.
class Child {
public:
    Child(const std::filesystem::path& dir, const std::filesystem::path& journal, std::string channel_extra = {})
        : config_(dir / "runtime.toml"), journal_(journal), port_(cim::test::free_port()) {
        write(std::move(channel_extra));
        process_ = std::make_unique<ChildProcess>(std::vector<std::string>{CIMRT_BINARY, "run", config_.string()});
        if (!process_->wait_for_stderr("cimrt: running", 10s)) {
            throw std::runtime_error("cimrt run did not start:\n" + process_->err());
        }
    }
    void write(const std::string& channel_extra) {
        std::ofstream(config_) << "[runtime]\nthreads = 2\nplugin_dir = \"" << CIMRT_PLUGIN_DIR << "\"\n"
                               << "[store]\nkind = \"sqlite\"\npath = \"" << journal_.string() << "\"\nsync = \"full\"\n"
                               << "[plugins.channel]\nlisten = \"127.0.0.1:" << port_ << "\"\nweb_chat = false\n"
                               << channel_extra << "\n"
                               << "[[plugins.channel.connectors]]\nservice = \"acme\"\ntoken = \""
                               << cim::test::connector_token << "\"\n";
    }
    ChildProcess& process() { return *process_; }
    const std::filesystem::path& config() const { return config_; }
    std::uint16_t port() const { return port_; }

private:
    std::filesystem::path config_;
    std::filesystem::path journal_;
    std::uint16_t port_;
    std::unique_ptr<ChildProcess> process_;
};

/// Holds the journal's SQLite write lock while it lives (or until release()).
class WriteLock {
public:
    explicit WriteLock(const std::filesystem::path& journal) {
        REQUIRE(sqlite3_open(journal.c_str(), &db_) == SQLITE_OK);
        sqlite3_busy_timeout(db_, 5000);
        char* message = nullptr;
        const int rc = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, &message);
        INFO("BEGIN IMMEDIATE: " << (message ? message : ""));
        sqlite3_free(message);
        REQUIRE(rc == SQLITE_OK);
    }
    ~WriteLock() { release(); }
    void release() {
        if (db_ == nullptr) return;
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(db_);
        db_ = nullptr;
    }

private:
    sqlite3* db_ = nullptr;
};

std::string message_body(const std::string& id, const std::string& customer, const std::string& text = "hello") {
    return nlohmann::json{{"id", id},
                          {"header", {{"channelData", {{"channelCustomerIdentifier", customer}, {"serviceIdentifier", "acme"}}}}},
                          {"body", {{"type", "PLAIN"}, {"markdownText", text}}}}
        .dump();
}

/// One POST /cim-messages on its own connection, run on a thread: the status, or 0 when the connection broke.
struct PendingPost {
    std::string id;
    std::atomic<unsigned> status{0};
    std::atomic<bool> done{false};
    std::string error;
    std::thread thread;

    PendingPost(std::uint16_t port, std::string id_, const std::string& customer) : id(std::move(id_)) {
        thread = std::thread([this, port, customer] {
            try {
                ConnectorConnection connection(port);
                status = connection.post(id, customer);
            } catch (const std::exception& e) {
                error = e.what();
            }
            done = true;
        });
    }
    ~PendingPost() {
        if (thread.joinable()) thread.join();
    }
};

/// `count` posts, ids "<prefix>0".., each from its own customer "+<i>" on its own connection and thread.
std::vector<std::unique_ptr<PendingPost>> post_each(std::uint16_t port, const std::string& prefix, int count) {
    std::vector<std::unique_ptr<PendingPost>> pending;
    for (int i = 0; i < count; ++i) {
        pending.push_back(std::make_unique<PendingPost>(port, prefix + std::to_string(i), "+" + std::to_string(i)));
    }
    return pending;
}

/// Keep-alive connections posting as fast as they are answered until `stop`; what each was answered.
struct Posters {
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::vector<std::string> acknowledged, refused;
    std::map<unsigned, int> other;  // any status but 202 and 503
    std::vector<std::thread> threads;
    std::atomic<int> refused_in_a_row{0};

    Posters(std::uint16_t port, int connections, const std::string& prefix, std::size_t text = 5,
            bool reconnect = false) {
        for (int t = 0; t < connections; ++t) {
            threads.emplace_back([this, port, t, prefix, text, reconnect] {
                int i = 0;
                do try {
                    ConnectorConnection connection(port);
                    for (++i; !stop; ++i) {
                        const std::string id = prefix + std::to_string(t) + "-" + std::to_string(i);
                        const unsigned status = connection.post(id, "+" + std::to_string(t), std::string(text, 'x'));
                        std::lock_guard lock(mutex);
                        if (status == 202) {
                            acknowledged.push_back(id);
                            refused_in_a_row = 0;
                        } else if (status == 503) {
                            refused.push_back(id);
                            ++refused_in_a_row;
                        } else {
                            ++other[status];
                        }
                    }
                } catch (const std::exception&) {
                    // the runtime went away (SIGTERM), or closed the connection: its last request got no answer
                } while (reconnect && !stop);
            });
        }
    }
    void join() {
        stop = true;
        for (auto& t : threads) t.join();
        threads.clear();
    }
    ~Posters() {
        if (!threads.empty()) join();
    }
};

/// Opens a connection, sends a POST /cim-messages and resets the connection (SO_LINGER 0) without reading.
void post_and_vanish(std::uint16_t port, const std::string& id, const std::string& customer) {
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    const std::string body = message_body(id, customer);
    const std::string request = "POST /cim-messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                                cim::test::connector_token + "\r\nContent-Type: application/json\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    asio::write(socket, asio::buffer(request));
    std::this_thread::sleep_for(50ms);  // the server has read it and is waiting for the commit
    socket.set_option(asio::socket_base::linger(true, 0));
    socket.close();
}

std::string last_refusal;  // the body of retry_until_accepted's last answer that was not a 202

unsigned retry_until_accepted(std::uint16_t port, const std::string& id, const std::string& customer,
                              std::chrono::seconds limit = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    unsigned status = 0;
    do {
        try {
            const auto reply = cim::test::http_request(port, "POST", "/cim-messages", message_body(id, customer),
                                                       cim::test::connector_token);
            status = reply.status;
            last_refusal = reply.body;
        } catch (const std::exception& e) {
            status = 0;
            last_refusal = e.what();
        }
        if (status == 202) return status;
        std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return status;
}

/// Waits until `needle` stands `n` times in the child's stderr.
bool wait_for_count(ChildProcess& process, const std::string& needle, std::size_t n, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        std::size_t count = 0;
        const std::string& err = process.err();
        for (auto at = err.find(needle); at != std::string::npos; at = err.find(needle, at + 1)) ++count;
        if (count >= n) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        process.wait_for_stderr("\x01 never printed", 50ms);  // pumps the pipe meanwhile
    }
}

void require_journaled_once(const std::multiset<std::string>& journaled, const std::vector<std::string>& ids) {
    for (const std::string& id : ids) {
        INFO("message " << id);
        REQUIRE(journaled.count(id) == 1);
    }
}

}  // namespace

TEST_CASE("async attack: SIGTERM under sixteen keep-alive connections with sync full stops in time and keeps every 202",
          "[faults][async_attack]") {
    cim::test::TempDir dir("cimrt-attack-term");
    Child runtime(dir.path, dir.path / "journal.db");
    Posters posters(runtime.port(), 16, "t");
    std::this_thread::sleep_for(1500ms);
    runtime.process().send_signal(SIGTERM);
    const auto started = std::chrono::steady_clock::now();
    const int code = runtime.process().wait(15s).value_or(-1);
    const auto took = std::chrono::steady_clock::now() - started;
    posters.join();
    INFO(runtime.process().err());
    REQUIRE(code == 0);
    CHECK(took < 5s);
    CHECK(posters.other.empty());
    REQUIRE(posters.acknowledged.size() > 100);
    require_journaled_once(cim::test::journaled_messages(runtime.config()), posters.acknowledged);
}

TEST_CASE("async attack: SIGTERM while every answer waits for a blocked commit stops and keeps what it acknowledged",
          "[faults][async_attack]") {
    cim::test::TempDir dir("cimrt-attack-term-pending");
    Child runtime(dir.path, dir.path / "journal.db");
    REQUIRE(retry_until_accepted(runtime.port(), "warm", "+1") == 202);
    std::vector<std::unique_ptr<PendingPost>> pending;
    {
        WriteLock lock(dir.path / "journal.db");
        pending = post_each(runtime.port(), "p", 8);
        std::this_thread::sleep_for(500ms);
        for (const auto& p : pending) CHECK_FALSE(p->done);  // all waiting for the commit
        runtime.process().send_signal(SIGTERM);
        std::this_thread::sleep_for(1000ms);
    }  // the writer commits now, during the stop
    const int code = runtime.process().wait(15s).value_or(-1);
    INFO(runtime.process().err());
    REQUIRE(code == 0);
    std::vector<std::string> acknowledged;
    for (auto& p : pending) {
        p->thread.join();
        INFO(p->id << ": " << p->status << " " << p->error);
        CHECK((p->status == 0 || p->status == 202 || p->status == 503));
        if (p->status == 202) acknowledged.push_back(p->id);
    }
    const auto journaled = cim::test::journaled_messages(runtime.config());
    require_journaled_once(journaled, acknowledged);
    for (const auto& p : pending) CHECK(journaled.count(p->id) <= 1);
}

TEST_CASE("async attack: a reload of the channel while its answers wait for a blocked commit neither hangs nor crashes",
          "[faults][async_attack][reload]") {
    cim::test::TempDir dir("cimrt-attack-reload");
    Child runtime(dir.path, dir.path / "journal.db");
    REQUIRE(retry_until_accepted(runtime.port(), "warm", "+1") == 202);
    std::vector<std::unique_ptr<PendingPost>> pending;
    {
        WriteLock lock(dir.path / "journal.db");
        pending = post_each(runtime.port(), "r", 8);
        std::this_thread::sleep_for(500ms);
        for (const auto& p : pending) CHECK_FALSE(p->done);
        runtime.write("max_connections = 999\n");  // the channel's table changes: the channel restarts
        runtime.process().send_signal(SIGHUP);
        std::this_thread::sleep_for(1500ms);  // the old channel is stopped; its destroy waits for its completions
    }
    INFO(runtime.process().err());
    REQUIRE(wait_for_count(runtime.process(), "SIGHUP, reload done", 1, 15s));
    CHECK_THAT(runtime.process().err(), Catch::Contains("restarted channel"));
    std::vector<std::string> acknowledged;
    for (auto& p : pending) {
        p->thread.join();
        INFO(p->id << ": " << p->status << " " << p->error);
        CHECK((p->status == 0 || p->status == 202 || p->status == 503));
        if (p->status == 202) acknowledged.push_back(p->id);
    }
    // A connector retries what was not answered with the same id: accepted once, never twice.
    for (const auto& p : pending) {
        if (p->status != 202) REQUIRE(retry_until_accepted(runtime.port(), p->id, "+" + p->id.substr(1)) == 202);
    }
    // Reloads under a steady stream of keep-alive requests.
    {
        Posters posters(runtime.port(), 8, "s");
        for (int round = 0; round < 3; ++round) {
            std::this_thread::sleep_for(300ms);
            runtime.write("max_connections = " + std::to_string(1000 + round) + "\n");
            runtime.process().send_signal(SIGHUP);
            INFO("round " << round << ": " << runtime.process().err());
            REQUIRE(wait_for_count(runtime.process(), "reload done: restarted channel", 2 + round, 15s));
        }
        posters.join();
        CHECK(posters.other.empty());
        acknowledged.insert(acknowledged.end(), posters.acknowledged.begin(), posters.acknowledged.end());
    }
    REQUIRE(retry_until_accepted(runtime.port(), "after", "+1") == 202);
    runtime.process().send_signal(SIGTERM);
    REQUIRE(runtime.process().wait(15s).value_or(-1) == 0);
    const auto journaled = cim::test::journaled_messages(runtime.config());
    require_journaled_once(journaled, acknowledged);
    for (const auto& p : pending) {
        INFO("pending " << p->id << " answered " << p->status);
        CHECK(journaled.count(p->id) == 1);
    }
}

TEST_CASE("async attack: clients that vanish while their answers are pending leave the runtime serving",
          "[faults][async_attack]") {
    cim::test::TempDir dir("cimrt-attack-vanish");
    Child runtime(dir.path, dir.path / "journal.db");
    REQUIRE(retry_until_accepted(runtime.port(), "warm", "+1") == 202);
    {
        WriteLock lock(dir.path / "journal.db");
        for (int i = 0; i < 30; ++i) post_and_vanish(runtime.port(), "v" + std::to_string(i), "+" + std::to_string(i % 5));
        std::this_thread::sleep_for(300ms);
    }
    // The answers go to closed sockets; new connections and keep-alive ones are served as before.
    {
        Posters posters(runtime.port(), 4, "k");
        std::this_thread::sleep_for(1000ms);
        posters.join();
        CHECK(posters.other.empty());
        CHECK(posters.refused.empty());
        CHECK(posters.acknowledged.size() > 10);
    }
    for (int i = 0; i < 30; ++i) REQUIRE(retry_until_accepted(runtime.port(), "v" + std::to_string(i), "+" + std::to_string(i % 5)) == 202);
    runtime.process().send_signal(SIGTERM);
    INFO(runtime.process().err());
    REQUIRE(runtime.process().wait(15s).value_or(-1) == 0);
    const auto journaled = cim::test::journaled_messages(runtime.config());
    for (int i = 0; i < 30; ++i) CHECK(journaled.count("v" + std::to_string(i)) == 1);
}

TEST_CASE("async attack: an answer later than idle_timeout is a 503 and the retry on the same connection is one 202",
          "[faults][async_attack]") {
    cim::test::TempDir dir("cimrt-attack-late");
    Child runtime(dir.path, dir.path / "journal.db", "idle_timeout = \"1s\"\n");
    REQUIRE(retry_until_accepted(runtime.port(), "warm", "+1") == 202);
    ConnectorConnection connection(runtime.port());
    unsigned status = 0;
    {
        WriteLock lock(dir.path / "journal.db");
        const auto before = std::chrono::steady_clock::now();
        CHECK(connection.post("late", "+2") == 503);
        CHECK(std::chrono::steady_clock::now() - before >= 900ms);
        // At once, on the same keep-alive connection (idle longer than idle_timeout and the server closes it): a
        // duplicate of an event still in flight waits as its original does, and is refused in time too.
        CHECK(connection.post("late", "+2") == 503);
        std::thread release([&] {
            std::this_thread::sleep_for(300ms);
            lock.release();
        });
        status = connection.post("late", "+2");  // answered once the commit that was blocked is done
        release.join();
    }
    // The writer may have given up on the blocked commit meanwhile (SQLITE_BUSY: the store fails until its next
    // attempt): the connector retries with the same id until it is accepted.
    for (int i = 0; i < 100 && status != 202; ++i) {
        std::this_thread::sleep_for(50ms);
        status = connection.post("late", "+2");
    }
    CHECK(status == 202);
    runtime.process().send_signal(SIGTERM);
    INFO(runtime.process().err());
    REQUIRE(runtime.process().wait(15s).value_or(-1) == 0);
    CHECK(cim::test::journaled_messages(runtime.config()).count("late") == 1);
}

TEST_CASE("async attack: a disk that fills under eight keep-alive connections answers 503 and never a 202 not on disk",
          "[faults][async_attack][disk]") {
    std::string why;
    // Roomy enough that the journal itself (eight connections write megabytes a second) never fills it: freeing
    // the ballast must give the writer room to commit, and to checkpoint the WAL into the database.
    auto disk = cim::test::SmallDisk::mount(64 << 20, why);
    if (!disk) {
        WARN("skipped: " << why);
        return;
    }
    cim::test::TempDir dir("cimrt-attack-disk");
    Child runtime(dir.path, disk->path() / "journal.db");
    REQUIRE(retry_until_accepted(runtime.port(), "warm", "+1") == 202);
    std::vector<std::string> acknowledged, refused;
    {
        Posters posters(runtime.port(), 8, "d", 400);
        std::this_thread::sleep_for(200ms);
        disk->fill(128 << 10);
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (posters.refused_in_a_row < 40 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
        posters.join();
        CHECK(posters.other.empty());
        acknowledged = posters.acknowledged;
        refused = posters.refused;
    }
    REQUIRE(refused.size() >= 40);
    // Pending answers when the disk is full: all 503.
    std::vector<std::unique_ptr<PendingPost>> pending;
    {
        WriteLock lock(disk->path() / "journal.db");
        pending = post_each(runtime.port(), "f", 6);
        std::this_thread::sleep_for(300ms);
    }
    for (auto& p : pending) {
        p->thread.join();
        INFO(p->id << ": " << p->status << " " << p->error);
        CHECK(p->status == 503);
    }
    disk->free_ballast();
    for (const std::string& id : refused) {
        const unsigned status = retry_until_accepted(runtime.port(), id, "+" + id.substr(1, id.find('-') - 1));
        if (status != 202) {
            wait_for_count(runtime.process(), "\x01 never", 1, 1s);
            sqlite3* db = nullptr;
            sqlite3_open((disk->path() / "journal.db").c_str(), &db);
            char* message = nullptr;
            const int rc = sqlite3_exec(db, "BEGIN IMMEDIATE; CREATE TABLE probe(x); INSERT INTO probe VALUES "
                                            "(randomblob(100000)); ROLLBACK", nullptr, nullptr, &message);
            WARN("free bytes " << disk->free_bytes() << "; a write of our own: " << rc << " "
                               << (message ? message : "") << "; files: " << [&] {
                                      std::string out;
                                      for (const auto& f : std::filesystem::directory_iterator(disk->path())) {
                                          out += f.path().filename().string() + "=" +
                                                 std::to_string(f.is_regular_file() ? f.file_size() : 0) + " ";
                                      }
                                      return out;
                                  }());
            sqlite3_free(message);
            sqlite3_close(db);
        }
        INFO("retried " << id << ", last answer " << last_refusal << "\n" << runtime.process().err());
        REQUIRE(status == 202);
    }
    for (const auto& p : pending) REQUIRE(retry_until_accepted(runtime.port(), p->id, "+" + p->id.substr(1)) == 202);
    runtime.process().send_signal(SIGTERM);
    INFO(runtime.process().err());
    REQUIRE(runtime.process().wait(15s).value_or(-1) == 0);
    const auto journaled = cim::test::journaled_messages(runtime.config());
    require_journaled_once(journaled, acknowledged);
    require_journaled_once(journaled, refused);
}

TEST_CASE("async attack: answers that race idle_timeout under sixteen connections are each a 202 on disk or a 503",
          "[faults][async_attack]") {
    cim::test::TempDir dir("cimrt-attack-race");
    Child runtime(dir.path, dir.path / "journal.db", "idle_timeout = \"100ms\"\n");
    REQUIRE(retry_until_accepted(runtime.port(), "warm", "+1") == 202);
    std::vector<std::string> acknowledged;
    {
        Posters posters(runtime.port(), 16, "i", 2000, true);
        // Commits held back for about the idle timeout now and then: answers land on either side of its timer.
        for (int round = 0; round < 15; ++round) {
            std::this_thread::sleep_for(100ms);
            WriteLock lock(dir.path / "journal.db");
            std::this_thread::sleep_for(std::chrono::milliseconds(80 + 3 * round));
        }
        std::this_thread::sleep_for(300ms);
        posters.join();
        CHECK(posters.other.empty());
        acknowledged = posters.acknowledged;
        INFO("acknowledged " << posters.acknowledged.size() << ", refused " << posters.refused.size());
        CHECK(acknowledged.size() > 50);
    }
    REQUIRE(retry_until_accepted(runtime.port(), "after", "+1") == 202);
    runtime.process().send_signal(SIGTERM);
    INFO(runtime.process().err());
    REQUIRE(runtime.process().wait(15s).value_or(-1) == 0);
    require_journaled_once(cim::test::journaled_messages(runtime.config()), acknowledged);
}

namespace {

struct InProcess {
    cim::test::TempDir dir{"cimrt-attack-inproc"};
    std::filesystem::path results = dir.path / "results.txt";
    std::filesystem::path journal = dir.path / "journal.db";
    std::unique_ptr<cim::runtime::Runtime> runtime;

    explicit InProcess(const std::string& in_completion, int count) {
        cim::runtime::RuntimeOptions options;
        options.log_to_stderr = true;
        runtime = cim::runtime::Runtime::from_string(
            "[runtime]\nplugin_dir = \"" CIMRT_TEST_PLUGIN_DIR "\"\n[store]\nkind = \"sqlite\"\npath = \"" +
                journal.string() + "\"\nsync = \"full\"\n[plugins.async_publisher]\nresults = \"" + results.string() +
                "\"\ncount = " + std::to_string(count) + "\nin_completion = \"" + in_completion + "\"\n",
            dir.path, options);
        runtime->start();
    }
    std::vector<std::string> lines() const {
        std::vector<std::string> out;
        std::ifstream in(results);
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    }
    std::vector<std::string> wait_lines(std::size_t n) const {
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        auto out = lines();
        while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(10ms);
            out = lines();
        }
        return out;
    }
    std::set<std::string> journaled_bot_messages() {
        std::set<std::string> out;
        std::ofstream(dir.path / "read.toml") << "[store]\nkind = \"sqlite\"\npath = \"" << journal.string() << "\"\n";
        cim::runtime::JournalReader::open(dir.path / "read.toml")->journal({}, [&](const std::string& line) {
            const auto event = nlohmann::json::parse(line);
            if (event["name"] == "BOT_MESSAGE") out.insert(event["id"].get<std::string>());
        });
        return out;
    }
};

std::string trigger(const std::string& id) {
    return R"({"id":")" + id + R"(","name":"CUSTOMER_MESSAGE","conversationId":"c1","customerId":"u1",)"
           R"("data":{"body":{"type":"PLAIN","markdownText":"go"}}})";
}

/// stderr (fd 2) goes to `file` while it lives.
class CaptureStderr {
public:
    explicit CaptureStderr(const std::filesystem::path& file) {
        std::fflush(stderr);
        saved_ = ::dup(2);
        const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(fd, 2);
        ::close(fd);
    }
    ~CaptureStderr() {
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
    }

private:
    int saved_ = -1;
};

}  // namespace

TEST_CASE("async attack: a completion that throws is logged and the runtime goes on", "[faults][async_attack]") {
    cim::test::TempDir logs("cimrt-attack-log");
    const auto log = logs.path / "stderr.txt";
    std::vector<std::string> lines;
    {
        InProcess p("throw", 3);
        CaptureStderr capture(log);
        REQUIRE(p.runtime->publish_json(trigger("t1")).accepted());
        lines = p.wait_lines(3);
        REQUIRE(p.runtime->publish_json(trigger("t2")).accepted());
        lines = p.wait_lines(6);
        p.runtime->stop();
    }
    REQUIRE(lines.size() == 6);
    for (const auto& line : lines) CHECK_THAT(line, Catch::Contains(" 0 t"));  // CIM_OK and the event id
    std::ifstream in(log);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(text);
    CHECK_THAT(text, Catch::Contains("publish_async: the completion threw: completion 0 throws"));
    CHECK_THAT(text, Catch::Contains("completion 2 throws"));
}

TEST_CASE("async attack: a blocking publish from a completion is refused with an error and is not journaled",
          "[faults][async_attack]") {
    std::vector<std::string> lines;
    std::set<std::string> journaled;
    {
        InProcess p("publish", 2);
        REQUIRE(p.runtime->publish_json(trigger("t1")).accepted());
        lines = p.wait_lines(4);
        // No deadlock: the runtime still accepts and stops.
        REQUIRE(p.runtime->publish_json(trigger("t2")).accepted());
        lines = p.wait_lines(8);
        p.runtime->stop();
        p.runtime.reset();
        journaled = p.journaled_bot_messages();
    }
    REQUIRE(lines.size() == 8);
    std::size_t inner = 0;
    for (const auto& line : lines) {
        INFO(line);
        if (line.rfind("inner ", 0) != 0) continue;
        ++inner;
        CHECK_THAT(line, Catch::StartsWith("inner 0 " + std::to_string(CIM_ERROR)) ||
                             Catch::StartsWith("inner 1 " + std::to_string(CIM_ERROR)));
        CHECK_THAT(line, Catch::Contains("would wait for itself"));
    }
    CHECK(inner == 4);
    // Refused means not journaled (and not delivered): the publisher was told CIM_ERROR.
    for (const std::string& id : journaled) {
        INFO("journaled " << id);
        CHECK(id.find("/inner") == std::string::npos);
    }
    CHECK(journaled.count("t1/0") == 1);
    CHECK(journaled.count("t2/1") == 1);
}
