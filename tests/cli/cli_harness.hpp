// What the tests of the `cimrt` binary share: running it as a child process, matching its exit code, and a fresh
// workspace for config files and stores.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "run_process.hpp"

// On failure, show what the child said, not just its exit code.
namespace Catch {
template <>
struct StringMaker<cim::test::ProcessResult> {
    static std::string convert(const cim::test::ProcessResult& r) {
        return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out, killed)" : "") +
               "\n--- stdout ---\n" + r.out + "--- stderr ---\n" + r.err + "--------------";
    }
};
}  // namespace Catch

namespace cim::test::cli {

using namespace std::chrono_literals;

inline const std::string cimrt_binary = std::string(CIMRT_BINARY_DIR) + "/cimrt";
inline const std::string fixtures = CIMRT_TEST_PLUGIN_DIR;
inline const std::string dot_binary = "/usr/bin/dot";

// REQUIRE_THAT(result, ExitsWith(2)): the child exited (not killed, not timed out) with this code.
class ExitsWith : public Catch::MatcherBase<ProcessResult> {
public:
    explicit ExitsWith(int code) : code_(code) {}
    bool match(const ProcessResult& r) const override { return !r.timed_out && r.exit_code == code_; }
    std::string describe() const override { return "exits with " + std::to_string(code_); }

private:
    int code_;
};

/// Runs `cimrt args...` (optionally in `cwd`) with `input` on stdin, killed after 60 s.
inline ProcessResult cimrt(const std::vector<std::string>& args, const std::string& input = {},
                           const std::filesystem::path& cwd = {}) {
    std::vector<std::string> argv{cimrt_binary};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, input, 60s, cwd);
}

inline std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

inline std::vector<std::string> words_of(const std::string& line) {
    std::vector<std::string> words;
    std::istringstream in(line);
    for (std::string word; in >> word;) words.push_back(word);
    return words;
}

inline bool has_line(const std::string& text, const std::string& line) {
    const auto lines = lines_of(text);
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

inline std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
    return count;
}

/// A fresh directory under the system temp dir (mkdtemp: unique across processes), removed with everything in it.
class Workspace {
public:
    Workspace() {
        std::string pattern = (std::filesystem::temp_directory_path() / "cimrt-cli-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
        path_ = pattern;
    }
    ~Workspace() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

    const std::filesystem::path& path() const { return path_; }

    /// Writes `text` to `name` in the workspace; its absolute path.
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path_ / name, std::ios::binary) << text;
        return (path_ / name).string();
    }

    /// runtime.toml with the fixtures as plugin_dir, the given store table body, then `plugins` (lines 1-5 are fixed:
    /// the first plugin table is line 6).
    std::string config(const std::string& plugins, const std::string& store = "kind = \"memory\"",
                       const std::string& name = "runtime.toml") const {
        return write(name,
                     "[runtime]\nthreads = 2\nplugin_dir = \"" + fixtures + "\"\n[store]\n" + store + "\n" + plugins);
    }

private:
    std::filesystem::path path_;
};

}  // namespace cim::test::cli
