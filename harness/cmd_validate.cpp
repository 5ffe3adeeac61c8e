// `diffbench validate SUITE.json`: every problem with its JSON path, then the expanded plan.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "common/error.h"
#include "common/json_file.h"
#include "common/log.h"
#include "harness/args.h"
#include "harness/commands.h"
#include "harness/suite.h"
#include "harness/train.h"

namespace diffbench {

static std::string plan_line(const RunSpec& run) {
  const auto& e = run.entry;
  std::string what = e["model"]["name"].get<std::string>();
  if (!e["sampler"].is_null()) {
    char g[32];
    std::snprintf(g, sizeof g, "%g", e["guidance"]["scale"].get<double>());
    what += " " + e["sampler"]["kind"].get<std::string>() + "-" + std::to_string(e["sampler"]["steps"].get<int64_t>()) +
            " guidance " + g;
  } else {
    what += " (images of " + e["model"]["images"].get<std::string>() + ")";
  }
  std::string metrics;
  for (const auto& m : e["metrics"]["compute"]) metrics += (metrics.empty() ? "" : ",") + m.get<std::string>();
  return run.id + "\n    " + what + " | vs " + e["metrics"]["reference"]["name"].get<std::string>() + " (" +
         e["metrics"]["reference"]["split"].get<std::string>() + ") | " + metrics + " n=" +
         std::to_string(e["metrics"]["num_samples"].get<int64_t>()) + " " + e["metrics"]["protocol"].get<std::string>();
}

// A training suite (suites/train/) holds a "train" block instead of datasets, models and a matrix.
static bool is_training_suite(const std::string& file) {
  nlohmann::json j;
  try {
    j = read_json_file(file);
  } catch (const Error&) {
    return false;  // read_suite reports what is wrong with the file
  }
  return j.is_object() && j.contains("train");
}

int cmd_validate(const CommandArgs& argv) {
  Args args("diffbench validate SUITE.json [--allow-missing] [--no-files] [--json]",
            "Check a suite (every problem with its JSON path) and print the runs it expands into.");
  args.positional("SUITE.json", "the suite file");
  args.flag("--allow-missing", "report missing datasets/weights as warnings, not errors");
  args.flag("--no-files", "skip the checks that files exist");
  args.flag("--json", "print the expanded run entries as JSON instead of the plan");
  args.parse(argv);
  if (is_training_suite(args.get("SUITE.json"))) {
    // Checked by the reader `diffbench train` uses: one line with the JSON path on a problem.
    TrainConfig c = load_train_config(args.get("SUITE.json"));
    std::cout << args.get("SUITE.json") << ": training suite, model " << c.model.value("arch", "?") << " ("
              << (c.model_file.empty() ? "inline config" : c.model_file) << "), " << c.total_images
              << " images in batches of " << c.batch_size << " from " << c.dataset << " (" << c.split << "), out_dir "
              << c.out_dir << "\n";
    return 0;
  }
  Suite suite = read_suite(args.get("SUITE.json"));
  ValidateOptions options;
  options.check_files = !args.has("--no-files");
  auto problems = validate_suite(suite, options);
  size_t errors = 0;
  for (const auto& p : problems) {
    bool error = !(p.missing_file && args.has("--allow-missing"));
    errors += error;
    std::cerr << (error ? "" : "warning: ") << format_problem(suite, p) << "\n";
  }
  bool schema_ok = std::all_of(problems.begin(), problems.end(), [](const SuiteProblem& p) { return p.missing_file; });
  if (schema_ok) {
    auto runs = expand(suite);
    if (args.has("--json")) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& r : runs) out.push_back(r.entry);
      std::cout << out.dump(2) << "\n";
    } else {
      std::cout << suite.file << ": suite \"" << suite.name() << "\", " << runs.size() << " run(s), sha256 "
                << suite.sha256_canonical.substr(0, 16) << " (canonical)\n";
      for (const auto& r : runs) std::cout << "  " << plan_line(r) << "\n";
    }
  }
  if (errors) {
    std::cerr << suite.file << ": " << errors << " problem(s)\n";
    return 1;
  }
  return 0;
}

}  // namespace diffbench
