// A real small disk for fault tests: a tmpfs of a few MiB mounted on a fresh folder (needs root, as CI and the
// developers' machines run), which a ballast file fills on demand and frees again — ENOSPC from the kernel, not a
// simulated error.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace cim::test {

class SmallDisk {
public:
    /// Mounts a tmpfs of `bytes`; nullopt (with the reason in `why`) when this process may not mount.
    static std::optional<SmallDisk> mount(std::size_t bytes, std::string& why);
    SmallDisk(SmallDisk&& other) noexcept;
    SmallDisk& operator=(SmallDisk&&) = delete;
    /// Unmounts (lazily, so a child still holding files cannot keep it) and removes the folder.
    ~SmallDisk();

    const std::filesystem::path& path() const { return path_; }
    /// Writes a ballast file until at most `free_bytes` are left.
    void fill(std::size_t free_bytes);
    /// Removes the ballast: the space is back.
    void free_ballast();
    /// Free bytes now.
    std::size_t free_bytes() const;

private:
    explicit SmallDisk(std::filesystem::path path) : path_(std::move(path)) {}
    std::filesystem::path path_;
};

}  // namespace cim::test
