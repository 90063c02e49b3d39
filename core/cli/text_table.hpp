// A plain-text table for terminal output: columns sized to their widest cell, cells may hold several lines.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace cim::cli {

class TextTable {
public:
    explicit TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}
    /// Adds a row; a cell may contain '\n' to span several lines.
    void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
    void print(std::ostream& out) const;

private:
    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
};

/// "a, b, c" — or "-" for an empty list.
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

}  // namespace cim::cli
