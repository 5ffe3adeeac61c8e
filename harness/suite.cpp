// Reading suites: parsing, hashing, path resolution, seed ranges and typo suggestions.
#include "harness/suite.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "common/json_file.h"
#include "harness/suite_defaults.h"

namespace diffbench {

namespace fs = std::filesystem;

const nlohmann::json& suite_defaults() {
  static const nlohmann::json defaults = nlohmann::json::parse(kSuiteDefaults);
  return defaults;
}

std::string Suite::name() const {
  if (json.is_object() && json.contains("name") && json["name"].is_string())
    return json["name"].get<std::string>();
  return fs::path(file).stem().string();
}

std::string Suite::resolve(const std::string& path) const {
  fs::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (fs::path(root) / p).lexically_normal().string();
}

Suite suite_from_json(const nlohmann::json& json, const std::string& file, const std::string& dir) {
  Suite suite;
  suite.file = file;
  suite.json = json;
  std::string root = suite_defaults()["root"];
  if (json.is_object() && json.contains("root") && json["root"].is_string()) root = json["root"];
  fs::path r(root);
  suite.root = (r.is_absolute() ? r : fs::absolute(fs::path(dir.empty() ? "." : dir)) / r)
                   .lexically_normal()
                   .string();
  if (suite.root.size() > 1 && suite.root.back() == '/') suite.root.pop_back();
  suite.sha256_canonical = sha256_hex(json.dump());
  return suite;
}

Suite read_suite(const std::string& file) {
  std::string bytes = read_file(file);
  nlohmann::json json = parse_json(bytes, file);
  Suite suite = suite_from_json(json, file, fs::path(file).parent_path().string());
  suite.sha256_file = sha256_hex(bytes);
  return suite;
}

std::string format_problem(const Suite& suite, const SuiteProblem& problem) {
  return suite.file + ": " + (problem.path.empty() ? "" : problem.path + ": ") + problem.message;
}

// Whether any string of the run's entry names `file` (written relative to the root or resolved).
static bool refers_to(const Suite& suite, const nlohmann::json& j, const std::string& file) {
  if (j.is_string()) return suite.resolve(j.get<std::string>()) == file;
  if (!j.is_structured()) return false;  // (nlohmann iterates a number as itself)
  for (const auto& v : j)
    if (refers_to(suite, v, file)) return true;
  return false;
}

bool selected_by(const RunSpec& run, const std::string& only) {
  return only.empty() || run.id.find(only) != std::string::npos;
}

Suite load_suite(const std::string& file, const ValidateOptions& options, const std::string& only) {
  Suite suite = read_suite(file);
  auto problems = validate_suite(suite, options);
  const bool only_missing_files =
      std::all_of(problems.begin(), problems.end(), [](const SuiteProblem& p) { return p.missing_file; });
  if (!only.empty() && !problems.empty() && only_missing_files) {
    std::vector<RunSpec> selected;
    for (auto& run : expand(suite))
      if (selected_by(run, only)) selected.push_back(std::move(run));
    auto unneeded = [&](const SuiteProblem& p) {
      return std::none_of(selected.begin(), selected.end(),
                          [&](const RunSpec& r) { return refers_to(suite, r.entry, p.file); });
    };
    problems.erase(std::remove_if(problems.begin(), problems.end(), unneeded), problems.end());
  }
  if (problems.empty()) return suite;
  std::ostringstream out;
  for (size_t i = 0; i < problems.size(); ++i)
    out << (i ? "\n" : "") << format_problem(suite, problems[i]);
  fail(out.str());
}

static bool parse_u64(const std::string& s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  out = std::stoull(s);
  return true;
}

std::vector<uint64_t> parse_seeds(const nlohmann::json& spec, const std::string& origin) {
  std::vector<uint64_t> seeds;
  auto bad = [&](const std::string& why) -> void {
    fail(origin + ": " + why + " (expected e.g. \"0-49999\", \"0-9,100\" or [0, 1, 2])");
  };
  // A repeated seed is the same image counted twice: it would bias every metric.
  auto check_unique = [&](const std::vector<uint64_t>& list) {
    std::vector<uint64_t> sorted = list;
    std::sort(sorted.begin(), sorted.end());
    auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    if (dup != sorted.end()) bad("seed " + std::to_string(*dup) + " appears more than once");
  };
  auto seed_like = [](const nlohmann::json& s) {
    return s.is_number_unsigned() || (s.is_number_integer() && s.get<int64_t>() >= 0);
  };
  if (seed_like(spec)) return {spec.get<uint64_t>()};
  if (spec.is_array()) {
    for (const auto& s : spec) {
      if (!seed_like(s)) bad("seed " + s.dump() + " is not a non-negative integer");
      seeds.push_back(s.get<uint64_t>());
    }
    if (seeds.empty()) bad("no seeds");
    check_unique(seeds);
    return seeds;
  }
  if (!spec.is_string()) bad("expected a seed range string or an array of integers, got " + spec.dump());
  std::stringstream ss(spec.get<std::string>());
  std::string part;
  while (std::getline(ss, part, ',')) {
    part.erase(0, part.find_first_not_of(' '));
    part.erase(part.find_last_not_of(' ') + 1);
    auto dash = part.find('-');
    uint64_t lo, hi;
    if (dash == std::string::npos) {
      if (!parse_u64(part, lo)) bad("\"" + part + "\" is not a seed");
      hi = lo;
    } else if (!parse_u64(part.substr(0, dash), lo) || !parse_u64(part.substr(dash + 1), hi) || hi < lo) {
      bad("\"" + part + "\" is not a range LOW-HIGH");
    }
    if (hi - lo >= 100000000) bad("range \"" + part + "\" is too long");
    for (uint64_t s = lo; s <= hi; ++s) seeds.push_back(s);
  }
  if (seeds.empty()) bad("no seeds");
  check_unique(seeds);
  return seeds;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  // A typo changes a few characters; anything further is a different word.
  size_t limit = std::max<size_t>(2, std::min(word.size(), best.size()) / 2);
  return best_d <= limit ? best : "";
}

}  // namespace diffbench
