// Table measuring: which value each column shows, its scale and digits, and the best per column.
#include "harness/table.h"

#include <cstdio>

#include "common/error.h"
#include "harness/result.h"

namespace diffbench {

using nlohmann::json;

namespace {

struct ColumnSpec {
  const char* key;
  const char* header;
  bool numeric;
  double scale;    // shown value = raw / scale
  int digits;      // default decimal places
  bool metric;     // --digits applies
};

const std::vector<ColumnSpec>& column_specs() {
  static const std::vector<ColumnSpec> specs = {
      {"model", "Model", false, 1, 0, false},
      {"sampler", "Sampler", false, 1, 0, false},
      {"dataset", "Dataset", false, 1, 0, false},
      {"run_id", "Run", false, 1, 0, false},
      {"steps", "Steps", true, 1, 0, false},
      {"guidance", "Guidance", true, 1, 2, false},
      {"params", "Params (M)", true, 1e6, 1, false},
      {"training_images", "Train img (k)", true, 1e3, 0, false},
      {"macs", "GMACs", true, 1e9, 2, false},
      {"nfe", "NFE", true, 1, 0, false},
      {"fid", "FID", true, 1, 2, true},
      {"is", "IS", true, 1, 2, true},
      {"kid", "KID", true, 1, 4, true},
      {"sfid", "sFID", true, 1, 2, true},
      {"precision", "Precision", true, 1, 3, true},
      {"recall", "Recall", true, 1, 3, true},
      {"images_per_s", "Images/s", true, 1, 1, false},
      {"wall_time", "Wall (s)", true, 1, 0, false},
  };
  return specs;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

const std::vector<std::string>& default_table_columns() {
  static const std::vector<std::string> cols = {"model", "params", "macs", "nfe", "fid", "is", "precision", "recall",
                                                "images_per_s"};
  return cols;
}

Table build_table(const std::vector<json>& results, const std::vector<std::string>& columns, int digits) {
  Table t;
  std::vector<const ColumnSpec*> specs;
  for (const auto& key : columns) {
    auto it = std::find_if(column_specs().begin(), column_specs().end(), [&](const ColumnSpec& s) { return key == s.key; });
    if (it == column_specs().end()) {
      std::string known;
      for (const auto& s : column_specs()) known += std::string(known.empty() ? "" : ", ") + s.key;
      fail("--columns: unknown column \"" + key + "\"; known: " + known);
    }
    specs.push_back(&*it);
    t.columns.push_back({it->key, it->header, it->numeric});
  }
  for (const auto& r : results) {
    std::vector<TableCell> row;
    for (const auto* s : specs) {
      TableCell cell;
      if (!s->numeric) {
        cell.text = result_text(r, s->key).value_or("");
      } else if (auto v = result_value(r, s->key)) {
        int d = s->metric && digits >= 0 ? digits : s->digits;
        cell.text = fixed(*v / s->scale, d);
        cell.value = std::stod(cell.text);  // best is judged on what is printed, so ties tie
      }
      row.push_back(cell);
    }
    t.rows.push_back(row);
  }
  // Mark the best value of each column that has a direction.
  for (size_t c = 0; c < specs.size(); ++c) {
    int dir = metric_direction(specs[c]->key);
    if (dir == 0) continue;
    std::optional<double> best;
    for (const auto& row : t.rows)
      if (row[c].value && (!best || dir * (*row[c].value - *best) > 0)) best = row[c].value;
    for (auto& row : t.rows) row[c].best = row[c].value && best && *row[c].value == *best;
  }
  return t;
}

std::string format_table(const Table& table, const std::string& format) {
  if (format == "md" || format == "markdown") return format_markdown(table);
  if (format == "latex" || format == "tex") return format_latex(table);
  if (format == "csv") return format_csv(table);
  fail("--format: unknown format \"" + format + "\"; expected md, latex or csv");
}

}  // namespace diffbench
