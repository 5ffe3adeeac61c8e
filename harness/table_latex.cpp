// LaTeX booktabs tabular; the best value of each column with a direction is set in bold.
#include <sstream>

#include "harness/table.h"

namespace diffbench {

static std::string latex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '_' || c == '&' || c == '%' || c == '#' || c == '$' || c == '{' || c == '}') out += '\\';
    out += c;
  }
  return out;
}

std::string format_latex(const Table& table) {
  std::ostringstream out;
  out << "\\begin{tabular}{";
  for (const auto& c : table.columns) out << (c.numeric ? 'r' : 'l');
  out << "}\n\\toprule\n";
  for (size_t i = 0; i < table.columns.size(); ++i)
    out << (i ? " & " : "") << latex_escape(table.columns[i].header);
  out << " \\\\\n\\midrule\n";
  for (const auto& row : table.rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      std::string text = row[i].text.empty() ? "--" : latex_escape(row[i].text);
      out << (i ? " & " : "") << (row[i].best ? "\\textbf{" + text + "}" : text);
    }
    out << " \\\\\n";
  }
  out << "\\bottomrule\n\\end{tabular}\n";
  return out.str();
}

}  // namespace diffbench
