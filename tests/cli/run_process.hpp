// Runs a program as a child process (stdin fed from a string, stdout and stderr captured) and never lets it outlive its
// time limit: whatever overruns is killed with SIGKILL and reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cim::test {

/// How a child process ended.
struct ProcessResult {
    int exit_code = -1;     ///< the exit status, or 128 + signal when a signal ended it (like a shell's $?)
    bool timed_out = false; ///< it overran its limit and was killed
    std::string out;        ///< everything it wrote to stdout
    std::string err;        ///< everything it wrote to stderr
};

/// A running child with pipes on stdin, stdout and stderr. Not thread-safe; one owner drives it.
///
///     ChildProcess child({"/bin/cat"});
///     child.write_stdin("hello");
///     child.close_stdin();
///     auto code = child.wait(std::chrono::seconds(5));   // child.out() == "hello"
class ChildProcess {
public:
    /// Starts `argv` (argv[0] is a path, not searched in PATH) in `cwd` (empty: this process's working directory).
    /// SIGPIPE and the signal mask are reset to their defaults in the child. Throws std::runtime_error when it cannot
    /// start.
    explicit ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {});
    /// Kills the child with SIGKILL if it is still running, reaps it and closes the pipes.
    ~ChildProcess();

    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    /// Queues `text` for the child's stdin; it is written while the child's output is read, so neither side can block
    /// the other. Appending after close_stdin() is an error.
    void write_stdin(std::string_view text);
    /// Closes the child's stdin once everything queued is written (the child sees end of file).
    void close_stdin();

    /// Reads output until `needle` appears in stderr, the child closes stderr, or `limit` passes. True when it
    /// appeared.
    bool wait_for_stderr(std::string_view needle, std::chrono::milliseconds limit);
    /// Sends `signal` to the child (nothing once it has been reaped).
    void send_signal(int signal);
    /// Reads output until the child exits, at most `limit`; then its exit code (128 + signal when signalled), or
    /// nullopt when it is still running.
    std::optional<int> wait(std::chrono::milliseconds limit);
    /// Kills the child with SIGKILL and reaps it; its exit code.
    int kill_and_reap();

    pid_t pid() const { return pid_; }
    const std::string& out() const { return out_; }
    const std::string& err() const { return err_; }

private:
    using Clock = std::chrono::steady_clock;
    /// One poll round of at most `slice`: write pending stdin, read what stdout and stderr have.
    void pump(std::chrono::milliseconds slice);
    /// Reaps the child if it has exited (without blocking); true once reaped.
    bool try_reap();
    /// After exit: reads what is left in the pipes (bounded, in case a grandchild still holds them).
    void drain_after_exit();

    pid_t pid_ = -1;
    bool reaped_ = false;
    int exit_code_ = -1;
    int stdin_fd_ = -1, stdout_fd_ = -1, stderr_fd_ = -1;
    std::string pending_stdin_;
    bool close_stdin_when_written_ = false;
    std::string out_, err_;
};

/// Runs `argv` in `cwd` to completion with `input` on stdin (closed at its end). A child still running after `limit`
/// is killed: the result then says timed_out and carries 128 + SIGKILL.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = {},
                          std::chrono::milliseconds limit = std::chrono::seconds(60),
                          const std::filesystem::path& cwd = {});

}  // namespace cim::test
