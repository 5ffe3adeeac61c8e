// `diffbench table RESULTS... --format md|latex|csv`: a paper-style table of results.
#include <iostream>
#include <sstream>

#include "common/error.h"
#include "harness/args.h"
#include "harness/commands.h"
#include "harness/result.h"
#include "harness/table.h"

namespace diffbench {

int cmd_table(const CommandArgs& argv) {
  std::string defaults;
  for (const auto& c : default_table_columns()) defaults += (defaults.empty() ? "" : ",") + c;
  Args args("diffbench table RESULTS... [--format md|latex|csv] [--columns " + defaults + "] [--digits N]",
            "Print a paper-style table (one row per result) in Markdown, LaTeX booktabs or CSV.");
  args.rest("RESULTS", "result files or folders", true);
  args.option("--format", "F", "md, latex or csv", "md");
  args.option("--columns", "LIST", "comma-separated column keys", defaults);
  args.option("--digits", "N", "decimal places of every metric column (default: per metric)");
  args.parse(argv);
  std::vector<std::string> columns;
  std::stringstream ss(args.get("--columns"));
  for (std::string c; std::getline(ss, c, ',');)
    if (!c.empty()) columns.push_back(c);
  if (columns.empty()) fail("--columns: no column named (expected e.g. " + defaults + ")");
  int digits = args.has("--digits") ? args.get_int("--digits") : -1;
  Table t = build_table(read_results(args.rest_values()), columns, digits);
  std::cout << format_table(t, args.get("--format"));
  return 0;
}

}  // namespace diffbench
