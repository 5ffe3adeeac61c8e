// Comparing results: metric by metric between a base and a new result (or two folders matched by
// run id), with tolerances, a noise estimate from per-chunk values and a verdict per row.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace diffbench {

// A tolerance as written on the command line: "0.5%" is relative to the base value, "0.1" absolute.
struct Tolerance {
  double relative = 0, absolute = 0;
  double of(double base) const;  // the larger of the two for this base value
};
Tolerance parse_tolerance(const std::string& text, const std::string& flag);  // Error naming the flag

struct CompareOptions {
  Tolerance fid_tol{0.005, 0};         // fid and sfid
  Tolerance tol{0.005, 0};             // every other metric
  double abs_tol = 0;                  // floor added to every metric's tolerance
  Tolerance throughput_tol{0.05, 0};   // images_per_s
  bool fail_on_throughput = false;
  double noise_sigmas = 0;             // > 0: tolerance at least this many noise estimates
};

struct CompareRow {
  std::string run_id, metric;
  std::optional<double> base, next, noise;
  double delta = 0, tolerance = 0;
  // better | same | worse | missing (in new) | added (only in new) | faster | slower
  std::string verdict;
  bool failed = false;
};

struct Comparison {
  std::vector<CompareRow> rows;
  bool failed = false;  // exit status 1
};

// Bootstrap standard error of the mean of per-chunk values (fixed seed, 1000 resamples);
// nullopt with fewer than two chunks.
std::optional<double> chunk_noise(const std::vector<double>& chunks);

Comparison compare_results(const nlohmann::json& base, const nlohmann::json& next, const CompareOptions& options);
// Two result files, or two folders whose results are matched by run id (a run missing from NEW
// fails; one only in NEW is listed as added).
Comparison compare_paths(const std::string& base, const std::string& next, const CompareOptions& options);
std::string format_comparison(const Comparison& comparison);

}  // namespace diffbench
