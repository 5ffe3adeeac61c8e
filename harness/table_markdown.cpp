// Markdown table (GitHub flavour): text columns left-aligned, numbers right-aligned, "-" for gaps.
#include <sstream>

#include "harness/table.h"

namespace diffbench {

std::string format_markdown(const Table& table) {
  std::ostringstream out;
  out << "|";
  for (const auto& c : table.columns) out << " " << c.header << " |";
  out << "\n|";
  for (const auto& c : table.columns) out << (c.numeric ? "---:|" : "---|");
  out << "\n";
  for (const auto& row : table.rows) {
    out << "|";
    for (const auto& cell : row) out << " " << (cell.text.empty() ? "-" : cell.text) << " |";
    out << "\n";
  }
  return out.str();
}

}  // namespace diffbench
