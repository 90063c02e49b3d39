// Runs a program as a child process with optional stdin text, capturing exit code, stdout and stderr; kills it when
// it overruns its time limit.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace cim::test {

struct ProcessResult {
    int exit_code = -1;     ///< the exit status, or 128 + signal when killed
    std::string out;
    std::string err;
};

/// Runs `argv` (argv[0] is a path) to completion, feeding `input` on stdin.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = {},
                          std::chrono::seconds limit = std::chrono::seconds(60));

}  // namespace cim::test
