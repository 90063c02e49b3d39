// `cimrt run`'s control socket against clients that are wrong, hostile or gone: bad JSON, unknown commands, an
// endless line, a client that never writes; a socket file left by a killed runtime, and a runtime already serving.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include <nlohmann/json.hpp>

#include "../cli/run_process.hpp"
#include "../faults/temp_dir.hpp"

namespace fs = std::filesystem;
using cim::test::ChildProcess;
using nlohmann::json;

namespace {

const std::string cimrt = CIMRT_BINARY;

// A raw client: connects, writes `bytes`, reads until the server closes or `limit` passes.
struct Raw {
    int fd = -1;
    explicit Raw(const fs::path& path) {
        fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ::close(fd);
            throw std::runtime_error("cannot connect to " + path.string());
        }
    }
    ~Raw() { ::close(fd); }
    void write(const std::string& bytes) const {
        for (std::size_t done = 0; done < bytes.size();) {
            const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n <= 0) return;  // the server closed early (as it may for an endless line)
            done += static_cast<std::size_t>(n);
        }
    }
    std::string read_all(std::chrono::milliseconds limit = std::chrono::seconds(10)) const {
        std::string out;
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            char buffer[4096];
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) return out;
            out.append(buffer, static_cast<std::size_t>(n));
        }
        return out;
    }
};

json ask(const fs::path& socket, const std::string& line) {
    Raw client(socket);
    client.write(line);
    return json::parse(client.read_all(), nullptr, false);
}

struct Running {
    cim::test::TempDir dir{"cimrt-control"};
    fs::path config = dir.path / "runtime.toml";
    fs::path socket = dir.path / "var" / "cimrt.sock";
    std::unique_ptr<ChildProcess> run;

    Running() {
        std::ofstream(config) << "[store]\nkind = \"memory\"\n";
        start();
    }
    void start() {
        run = std::make_unique<ChildProcess>(std::vector<std::string>{cimrt, "run", config.string()}, dir.path);
        if (!run->wait_for_stderr("cimrt: running", std::chrono::seconds(10))) {
            throw std::runtime_error("cimrt run did not start: " + run->err());
        }
    }
};

}  // namespace

TEST_CASE("the control socket is private and answers bad requests with an error, not a crash", "[reload]") {
    Running rt;
    struct stat st {};
    REQUIRE(::stat(rt.socket.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 0777) == 0600);

    json reply = ask(rt.socket, "this is not json\n");
    CHECK(reply["ok"] == false);
    CHECK_THAT(reply["error"].get<std::string>(), Catch::Contains("not a JSON object"));
    reply = ask(rt.socket, "[1, 2]\n");
    CHECK(reply["ok"] == false);
    reply = ask(rt.socket, R"({"command": "launch"})" "\n");
    CHECK(reply["ok"] == false);
    CHECK_THAT(reply["error"].get<std::string>(), Catch::Contains("unknown command 'launch'") && Catch::Contains("reload"));

    {  // An endless line is cut at the limit and answered.
        Raw endless(rt.socket);
        endless.write(std::string(200 * 1024, 'x'));
        const json cut = json::parse(endless.read_all(), nullptr, false);
        CHECK(cut["ok"] == false);
        CHECK_THAT(cut["error"].get<std::string>(), Catch::Contains("longer than"));
    }
    {  // A client that never writes holds nobody up, and is dropped at the timeout.
        Raw silent(rt.socket);
        reply = ask(rt.socket, R"({"command": "reload"})" "\n");
        CHECK(reply["ok"] == true);
        CHECK(silent.read_all(std::chrono::seconds(8)).empty());  // closed by the server, no reply
    }
    rt.run->send_signal(SIGTERM);
    CHECK(rt.run->wait(std::chrono::seconds(10)) == 0);
    CHECK_FALSE(fs::exists(rt.socket));  // removed at exit
}

TEST_CASE("a socket left by a killed runtime is replaced, and a second runtime on a live one is refused", "[reload]") {
    Running rt;
    rt.run->kill_and_reap();
    REQUIRE(fs::exists(rt.socket));  // SIGKILL leaves the file behind
    rt.start();                      // nobody answers on it: replaced
    CHECK(ask(rt.socket, R"({"command": "reload"})" "\n")["ok"] == true);

    const auto second = cim::test::run_process({cimrt, "run", rt.config.string()}, "", std::chrono::seconds(20), rt.dir.path);
    CHECK(second.exit_code == 2);
    CHECK_THAT(second.err, Catch::Contains("another cimrt runs"));
    CHECK(ask(rt.socket, R"({"command": "reload"})" "\n")["ok"] == true);  // the first one is not cut off
    rt.run->send_signal(SIGTERM);
    CHECK(rt.run->wait(std::chrono::seconds(10)) == 0);
}
