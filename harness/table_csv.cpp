// CSV (RFC 4180): a header row of column keys, fields quoted only when they need it.
#include <sstream>

#include "harness/table.h"

namespace diffbench {

static std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string format_csv(const Table& table) {
  std::ostringstream out;
  for (size_t i = 0; i < table.columns.size(); ++i) out << (i ? "," : "") << csv_field(table.columns[i].key);
  out << "\n";
  for (const auto& row : table.rows) {
    for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << csv_field(row[i].text);
    out << "\n";
  }
  return out.str();
}

}  // namespace diffbench
