// Paper-style tables of results. Measuring (picking values, rounding, marking the best per
// column) is here; each output format is one small file: table_markdown.cpp, table_latex.cpp,
// table_csv.cpp.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace diffbench {

struct TableCell {
  std::string text;              // as printed; "" when the result lacks the value
  std::optional<double> value;   // the number behind it (scaled as printed)
  bool best = false;             // best of its column (only columns with a direction)
};

struct TableColumn {
  std::string key, header;
  bool numeric = false;
};

struct Table {
  std::vector<TableColumn> columns;
  std::vector<std::vector<TableCell>> rows;
};

// Columns: model, sampler, dataset, run_id, steps, guidance, params (M), macs (G per network
// call), nfe, fid, is, kid, sfid, precision, recall, images_per_s, wall_time. `digits` < 0 keeps
// each metric's default digits; otherwise it sets the digits of every metric column.
// Error naming an unknown column.
Table build_table(const std::vector<nlohmann::json>& results, const std::vector<std::string>& columns, int digits = -1);
const std::vector<std::string>& default_table_columns();

std::string format_markdown(const Table& table);
std::string format_latex(const Table& table);  // booktabs; best value per column in bold
std::string format_csv(const Table& table);
// "md" | "latex" | "csv"; Error otherwise.
std::string format_table(const Table& table, const std::string& format);

}  // namespace diffbench
