#include "small_disk.hpp"

#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace cim::test {

std::optional<SmallDisk> SmallDisk::mount(std::size_t bytes, std::string& why) {
    std::string pattern = (std::filesystem::temp_directory_path() / "cimrt-disk-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
    if (::mount("tmpfs", pattern.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
        why = "cannot mount a tmpfs on " + pattern + ": " + std::strerror(errno) + " (the test needs root)";
        std::filesystem::remove(pattern);
        return std::nullopt;
    }
    return SmallDisk(pattern);
}

SmallDisk::SmallDisk(SmallDisk&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

SmallDisk::~SmallDisk() {
    if (path_.empty()) return;
    ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

void SmallDisk::fill(std::size_t free_bytes_wanted) {
    std::ofstream ballast(path_ / "ballast", std::ios::binary | std::ios::app);
    const std::vector<char> block(4096, 'b');
    while (free_bytes() > free_bytes_wanted + block.size()) {
        if (!ballast.write(block.data(), static_cast<std::streamsize>(block.size()))) break;
        ballast.flush();
    }
}

void SmallDisk::free_ballast() { std::filesystem::remove(path_ / "ballast"); }

std::size_t SmallDisk::free_bytes() const {
    struct statvfs stats {};
    if (::statvfs(path_.c_str(), &stats) != 0) throw std::runtime_error("statvfs failed on " + path_.string());
    return static_cast<std::size_t>(stats.f_bavail) * stats.f_frsize;
}

}  // namespace cim::test
