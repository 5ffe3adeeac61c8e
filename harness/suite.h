// Benchmark suites: JSON files naming datasets, models, samplers and metric sets, and a matrix
// (or explicit runs) that expands into self-contained run entries. The runner knows no model,
// dataset or metric by name: everything it needs is in a RunSpec. Format: suites/README.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace diffbench {

// One validation finding: a JSON Pointer into the suite and what is wrong there.
struct SuiteProblem {
  std::string path;     // e.g. "/runs/2/sampler/steps"; "" for the whole file
  std::string message;  // e.g. "expected a positive integer, got \"18\""
  bool missing_file = false;  // a path that does not exist (schema is fine)
  std::string file;           // missing_file: that path, resolved
};

struct Suite {
  std::string file;              // as given (prefixes every message)
  nlohmann::json json;           // as written
  std::string root;              // absolute directory that relative paths resolve against
  std::string sha256_canonical;  // of json.dump() (keys sorted, no whitespace)
  std::string sha256_file;       // of the file's bytes
  std::string name() const;
  std::string resolve(const std::string& path) const;  // absolute, normalised
};

struct ValidateOptions {
  bool check_files = true;  // report datasets/weights/configs that do not exist
};

// Parses the file (Error "FILE: not valid JSON: ..." otherwise) without validating it.
Suite read_suite(const std::string& file);
Suite suite_from_json(const nlohmann::json& json, const std::string& file, const std::string& dir);

// Every problem, in document order. Empty = valid.
std::vector<SuiteProblem> validate_suite(const Suite& suite, const ValidateOptions& options = {});
// "FILE: /path: message" for one problem.
std::string format_problem(const Suite& suite, const SuiteProblem& problem);
// read + validate; Error whose message lists every problem, one per line. With `only` (run
// --only TEXT), a missing file counts only when a run whose id contains TEXT refers to it, so
// one run of a suite can start while another's weights are still downloading.
Suite load_suite(const std::string& file, const ValidateOptions& options = {}, const std::string& only = "");

// A run, resolved: every default applied, every name replaced by its entry, paths absolute.
struct RunSpec {
  std::string id;        // stable slug + short hash; names results/<suite>/<id>.json
  nlohmann::json entry;  // self-contained; schema in suites/README.md ("Expanded runs")
};
// Expands the matrix blocks and explicit runs in order. Assumes a valid suite (Error otherwise).
std::vector<RunSpec> expand(const Suite& suite);
// Whether `run --only TEXT` selects the run ("" selects every run).
bool selected_by(const RunSpec& run, const std::string& only);

// Seeds: "0-49999", "0-9,100,200-209", a single integer, or an array of integers.
// Error naming `origin` when malformed.
std::vector<uint64_t> parse_seeds(const nlohmann::json& spec, const std::string& origin);

// Levenshtein distance; used to suggest the nearest known key or name.
size_t edit_distance(const std::string& a, const std::string& b);
// The candidate nearest to `word` if it is plausibly a typo of it, else "".
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

// The defaults of harness/suite_defaults.h, parsed.
const nlohmann::json& suite_defaults();

}  // namespace diffbench
