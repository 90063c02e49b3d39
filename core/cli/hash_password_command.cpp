// `cimrt hash-password`: reads a password on stdin and prints the salted hash an agent's `password_hash` takes.
// libsodium's crypto_pwhash_str (argon2id, a fresh random salt, the cost parameters inside the string), so
// runtime.toml never holds a password, and two agents with the same password get different hashes.
#include <iostream>
#include <string>

#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include "command.hpp"

namespace cim::cli {
namespace {

constexpr std::size_t min_password_length = 8;

// From a terminal the password is not echoed; from a pipe (scripts, tests) it is one line.
std::string read_password() {
    termios saved{};
    const bool terminal = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (terminal) {
        std::cerr << "password: " << std::flush;
        termios quiet = saved;
        quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string password;
    std::getline(std::cin, password);
    if (terminal) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::cerr << '\n';
    }
    if (!password.empty() && password.back() == '\r') password.pop_back();
    return password;
}

}  // namespace

void add_hash_password_command(CLI::App& app, int& exit) {
    auto* cmd = app.add_subcommand("hash-password",
                                   "Read a password on stdin and print the salted hash for an agent's password_hash");
    cmd->callback([&exit] {
        if (sodium_init() < 0) {
            std::cerr << "hash-password: libsodium could not be initialised\n";
            exit = exit_failure;
            return;
        }
        const std::string password = read_password();
        // A short password falls to offline guessing whatever the hash costs; refuse to make one.
        if (password.size() < min_password_length) {
            std::cerr << "hash-password: the password must have at least " << min_password_length
                      << " characters (this one has " << password.size() << ")\n";
            exit = exit_usage;
            return;
        }
        char hash[crypto_pwhash_STRBYTES];
        if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
            std::cerr << "hash-password: out of memory while hashing\n";
            exit = exit_failure;
            return;
        }
        std::cout << hash << '\n';
        exit = exit_ok;
    });
}

}  // namespace cim::cli
