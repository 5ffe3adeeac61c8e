// Result files: one JSON per run (results/<suite>/<run_id>.json) holding the resolved run entry,
// every metric with its settings and per-chunk values, performance figures and provenance.
// Schema: results/README.md. Results are never overwritten silently.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace diffbench {

struct Suite;
struct RunSpec;

inline constexpr int kResultSchemaVersion = 1;

// The project's commit at run time: `git rev-parse HEAD` / `git status --porcelain` in the source
// directory when git works there ("source": "git"), else the commit the build was configured at
// ("source": "build", dirty unknown = null).
struct ProjectCommit {
  std::string commit;         // "" when unknown
  std::optional<bool> dirty;  // uncommitted changes in tracked or untracked files
  std::string source;         // "git" or "build"
};
ProjectCommit project_commit();

std::string utc_now_iso8601();  // "2026-12-03T17:12:33Z"

// A new result: schema_version, kind "run", run_id, suite (name, file, both hashes), run entry;
// empty "metrics", "performance", "provenance" for the runner to fill.
nlohmann::json new_result(const Suite& suite, const RunSpec& run);

// Provenance at run time. `device` as device_description() prints it; `seeds` as in the run entry.
nlohmann::json make_provenance(const std::string& suite_sha256, const std::string& device, int threads,
                               const nlohmann::json& seeds, const std::string& started_utc, double wall_time_s);

// Adds one metric: metrics[name] = settings + {"value": value} (+ "chunks" when given).
void set_metric(nlohmann::json& result, const std::string& name, double value, nlohmann::json settings = {},
                const std::vector<double>& chunks = {});

std::string result_path(const std::string& results_dir, const std::string& suite_name, const std::string& run_id);

// Writes atomically (temp + rename), creating the folder. An existing file is an Error naming it
// unless `overwrite` (the runner's --force; --resume skips finished runs before getting here).
void write_result(const std::string& path, const nlohmann::json& result, bool overwrite = false);

// Reads and checks one result (JSON object with a known schema_version). Error naming the file.
nlohmann::json read_result(const std::string& path);
// A result file, or every *.json under a folder (recursive, sorted). Error if none.
std::vector<std::string> result_files(const std::string& path);
// read_result over result_files of each argument, in order; "file" is added to each result.
std::vector<nlohmann::json> read_results(const std::vector<std::string>& paths);

// Number behind a column/axis key: metric names (fid, is, kid, sfid, precision, recall, ...),
// performance (params, macs, macs_per_image, nfe, images_per_s, batch_size), run fields
// (steps, guidance, num_samples), wall_time. nullopt when the result lacks it.
std::optional<double> result_value(const nlohmann::json& result, const std::string& key);
// Text behind a label key: model, sampler, dataset, metrics, run_id, suite, protocol.
std::optional<std::string> result_text(const nlohmann::json& result, const std::string& key);

// +1 when higher is better (is, precision, recall, density, coverage, images_per_s),
// -1 when lower is better (fid, kid, sfid), 0 when it has no direction.
int metric_direction(const std::string& key);

}  // namespace diffbench
