#include "run_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace cim::test {
namespace {

using Clock = std::chrono::steady_clock;

// A child that exits without reading its stdin must not kill the test with SIGPIPE: writes then fail with EPIPE.
// Children get SIGPIPE back at its default (POSIX_SPAWN_SETSIGDEF below).
void ignore_sigpipe_once() {
    static const bool done = [] {
        struct sigaction action {};
        action.sa_handler = SIG_IGN;
        sigemptyset(&action.sa_mask);
        sigaction(SIGPIPE, &action, nullptr);
        return true;
    }();
    (void)done;
}

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// Time left until `deadline`, rounded up to whole milliseconds (poll would otherwise spin on a sub-millisecond rest).
std::chrono::milliseconds remaining(Clock::time_point deadline, Clock::time_point now) {
    return std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
}

int exit_code_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

// Reads everything available from `fd` into `sink`; closes `fd` at end of file or on an error.
void read_available(int& fd, std::string& sink) {
    char buffer[16384];
    while (fd >= 0) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            sink.append(buffer, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            close_fd(fd);  // end of file, or an error: nothing more will come
        }
    }
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& cwd) {
    if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
    ignore_sigpipe_once();

    // O_CLOEXEC: a child started while another one runs must not inherit that one's pipe ends (it would keep the
    // other child's stdin open, or its stdout from reaching end of file). dup2 onto 0/1/2 clears the flag there.
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        const std::string reason = std::strerror(errno);
        for (int* fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]}) close_fd(*fd);
        throw std::runtime_error("ChildProcess: pipe2 failed: " + reason);
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults, empty;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setsigmask(&attributes, &empty);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int spawned = ::posix_spawn(&pid_, args[0], &actions, &attributes, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);

    close_fd(in[0]);
    close_fd(out[1]);
    close_fd(err[1]);
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];
    stderr_fd_ = err[0];
    if (spawned != 0) {
        close_fd(stdin_fd_);
        close_fd(stdout_fd_);
        close_fd(stderr_fd_);
        throw std::runtime_error("ChildProcess: cannot start " + argv[0] + ": " + std::strerror(spawned));
    }
    for (int fd : {stdin_fd_, stdout_fd_, stderr_fd_}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

ChildProcess::~ChildProcess() {
    if (!reaped_) kill_and_reap();
    close_fd(stdin_fd_);
    close_fd(stdout_fd_);
    close_fd(stderr_fd_);
}

void ChildProcess::write_stdin(std::string_view text) {
    if (close_stdin_when_written_) throw std::logic_error("ChildProcess: stdin already closed");
    pending_stdin_.append(text);
}

void ChildProcess::close_stdin() {
    close_stdin_when_written_ = true;
    if (pending_stdin_.empty()) close_fd(stdin_fd_);
}

void ChildProcess::pump(std::chrono::milliseconds slice) {
    pollfd fds[3];
    nfds_t count = 0;
    for (int fd : {stdout_fd_, stderr_fd_}) {
        if (fd >= 0) fds[count++] = {fd, POLLIN, 0};
    }
    const bool writing = stdin_fd_ >= 0 && !pending_stdin_.empty();
    if (writing) fds[count++] = {stdin_fd_, POLLOUT, 0};
    if (count == 0) {
        std::this_thread::sleep_for(slice);
        return;
    }
    if (::poll(fds, count, static_cast<int>(slice.count())) <= 0) return;  // timeout or EINTR: the caller loops

    read_available(stdout_fd_, out_);
    read_available(stderr_fd_, err_);
    if (writing) {
        const ssize_t n = ::write(stdin_fd_, pending_stdin_.data(), pending_stdin_.size());
        if (n > 0) {
            pending_stdin_.erase(0, static_cast<std::size_t>(n));
        } else if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
            pending_stdin_.clear();  // EPIPE: the child stopped reading (or exited); what it did not take is dropped
            close_fd(stdin_fd_);
        }
        if (pending_stdin_.empty() && close_stdin_when_written_) close_fd(stdin_fd_);
    }
}

bool ChildProcess::try_reap() {
    if (reaped_) return true;
    int status = 0;
    pid_t result = 0;
    do {
        result = ::waitpid(pid_, &status, WNOHANG);
    } while (result < 0 && errno == EINTR);
    if (result == 0) return false;
    reaped_ = true;
    exit_code_ = result == pid_ ? exit_code_of(status) : -1;
    return true;
}

void ChildProcess::drain_after_exit() {
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    while ((stdout_fd_ >= 0 || stderr_fd_ >= 0) && Clock::now() < deadline) pump(std::chrono::milliseconds(50));
    close_fd(stdin_fd_);
    close_fd(stdout_fd_);
    close_fd(stderr_fd_);
}

bool ChildProcess::wait_for_stderr(std::string_view needle, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (err_.find(needle) == std::string::npos) {
        const auto now = Clock::now();
        if (stderr_fd_ < 0 || now >= deadline) return false;
        pump(std::min(remaining(deadline, now), std::chrono::milliseconds(50)));
    }
    return true;
}

void ChildProcess::send_signal(int signal) {
    if (!reaped_) ::kill(pid_, signal);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
        if (try_reap()) {
            drain_after_exit();
            return exit_code_;
        }
        const auto now = Clock::now();
        if (now >= deadline) return std::nullopt;
        pump(std::min(remaining(deadline, now), std::chrono::milliseconds(20)));
    }
}

int ChildProcess::kill_and_reap() {
    if (!reaped_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        pid_t result = 0;
        do {
            result = ::waitpid(pid_, &status, 0);
        } while (result < 0 && errno == EINTR);
        reaped_ = true;
        exit_code_ = result == pid_ ? exit_code_of(status) : -1;
    }
    drain_after_exit();
    return exit_code_;
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input,
                          std::chrono::milliseconds limit, const std::filesystem::path& cwd) {
    ChildProcess child(argv, cwd);
    child.write_stdin(input);
    child.close_stdin();
    ProcessResult result;
    std::optional<int> code = child.wait(limit);
    if (!code) {
        result.timed_out = true;
        code = child.kill_and_reap();
    }
    result.exit_code = *code;
    result.out = child.out();
    result.err = child.err();
    return result;
}

}  // namespace cim::test
