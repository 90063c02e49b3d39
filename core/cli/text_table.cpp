#include "text_table.hpp"

#include <algorithm>
#include <sstream>

namespace cim::cli {
namespace {

std::vector<std::string> lines_of(const std::string& cell) {
    std::vector<std::string> lines;
    std::istringstream in(cell);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    if (lines.empty()) lines.emplace_back();
    return lines;
}

}  // namespace

void TextTable::print(std::ostream& out) const {
    std::vector<std::size_t> widths(headers_.size());
    for (std::size_t c = 0; c < headers_.size(); ++c) widths[c] = headers_[c].size();
    for (const auto& row : rows_) {
        for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c) {
            for (const auto& line : lines_of(row[c])) widths[c] = std::max(widths[c], line.size());
        }
    }
    auto print_line = [&](const std::vector<std::string>& cells) {
        for (std::size_t c = 0; c < widths.size(); ++c) {
            const std::string cell = c < cells.size() ? cells[c] : "";
            out << cell;
            if (c + 1 < widths.size()) out << std::string(widths[c] - cell.size() + 2, ' ');
        }
        out << '\n';
    };
    print_line(headers_);
    std::vector<std::string> rule;
    for (std::size_t w : widths) rule.push_back(std::string(w, '-'));
    print_line(rule);
    for (const auto& row : rows_) {
        std::vector<std::vector<std::string>> cells;
        std::size_t height = 1;
        for (const auto& cell : row) {
            cells.push_back(lines_of(cell));
            height = std::max(height, cells.back().size());
        }
        for (std::size_t l = 0; l < height; ++l) {
            std::vector<std::string> line;
            for (const auto& cell : cells) line.push_back(l < cell.size() ? cell[l] : "");
            print_line(line);
        }
    }
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
    if (items.empty()) return "-";
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

}  // namespace cim::cli
