// Result files: creation, provenance, atomic writing and reading, and value lookup by key.
#include "harness/result.h"

#include <torch/version.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "build_info.h"
#include "common/error.h"
#include "common/files.h"
#include "common/json_file.h"
#include "common/runtime.h"
#include "harness/suite.h"

namespace diffbench {

using nlohmann::json;
namespace fs = std::filesystem;

// Output of a shell command, or nullopt when it fails (no git, not a repository).
static std::optional<std::string> run_capture(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = ::pclose(pipe);
  if (status != 0) return std::nullopt;
  return out;
}

ProjectCommit project_commit() {
  std::string dir = "'" + std::string(DIFFBENCH_SOURCE_DIR) + "'";
  auto head = run_capture("git -C " + dir + " rev-parse HEAD 2>/dev/null");
  if (head && head->size() >= 40) {
    auto status = run_capture("git -C " + dir + " status --porcelain 2>/dev/null");
    ProjectCommit c{head->substr(0, 40), std::nullopt, "git"};
    if (status) c.dirty = !status->empty();
    return c;
  }
  return {DIFFBENCH_BUILD_COMMIT, std::nullopt, "build"};
}

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json new_result(const Suite& suite, const RunSpec& run) {
  return {{"schema_version", kResultSchemaVersion},
          {"kind", "run"},
          {"run_id", run.id},
          {"suite", {{"name", suite.name()}, {"file", suite.file}, {"sha256_canonical", suite.sha256_canonical},
                     {"sha256_file", suite.sha256_file}}},
          {"run", run.entry},
          {"metrics", json::object()},
          {"performance", json::object()},
          {"provenance", json::object()}};
}

json make_provenance(const std::string& suite_sha256, const std::string& device, int threads, const json& seeds,
                     const std::string& started_utc, double wall_time_s) {
  ProjectCommit c = project_commit();
  json p = {{"commit", c.commit.empty() ? json(nullptr) : json(c.commit)},
            {"dirty", c.dirty ? json(*c.dirty) : json(nullptr)},
            {"commit_source", c.source},
            {"suite_sha256", suite_sha256},
            {"libtorch", TORCH_VERSION},
            {"device", device},
            {"threads", threads},
            {"blas", linked_blas()},
            {"seeds", seeds},
            {"date_utc", started_utc},
            {"wall_time_s", wall_time_s}};
  return p;
}

void set_metric(json& result, const std::string& name, double value, json settings, const std::vector<double>& chunks) {
  json m = settings.is_object() ? settings : json::object();
  m["value"] = value;
  if (!chunks.empty()) m["chunks"] = chunks;
  result["metrics"][name] = m;
}

std::string result_path(const std::string& results_dir, const std::string& suite_name, const std::string& run_id) {
  return (fs::path(results_dir) / suite_name / (run_id + ".json")).string();
}

void write_result(const std::string& path, const json& result, bool overwrite) {
  if (!overwrite && file_exists(path))
    fail(path + ": result already exists; refusing to overwrite it (use --resume to skip finished runs or --force to replace them)");
  fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) fail(parent.string() + ": cannot create folder: " + ec.message());
  write_file_atomic(path, result.dump(2) + "\n", overwrite);
}

json read_result(const std::string& path) {
  json r = read_json_file(path);
  if (!r.is_object() || !r.contains("schema_version"))
    fail(path + ": not a diffbench result (no \"schema_version\")");
  if (!r["schema_version"].is_number_integer() || r["schema_version"].get<int>() > kResultSchemaVersion)
    fail(path + ": schema_version " + r["schema_version"].dump() + " is not supported (this build reads up to " +
         std::to_string(kResultSchemaVersion) + ")");
  return r;
}

std::vector<std::string> result_files(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    if (!file_exists(path)) fail(path + ": no such result file or folder");
    return {path};
  }
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(path, ec))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  if (files.empty()) fail(path + ": folder holds no result files (*.json)");
  return files;
}

std::vector<json> read_results(const std::vector<std::string>& paths) {
  std::vector<json> out;
  for (const auto& p : paths)
    for (const auto& f : result_files(p)) {
      json r = read_result(f);
      r["file"] = f;
      out.push_back(std::move(r));
    }
  return out;
}

// Follows a chain of keys; nullptr when any is absent.
static const json* at(const json& j, std::initializer_list<const char*> keys) {
  const json* cur = &j;
  for (const char* k : keys) {
    if (!cur->is_object() || !cur->contains(k)) return nullptr;
    cur = &(*cur)[k];
  }
  return cur;
}

static std::optional<double> number(const json* j) {
  if (j && j->is_number()) return j->get<double>();
  return std::nullopt;
}

std::optional<double> result_value(const json& r, const std::string& key) {
  if (key == "macs") {
    if (auto v = number(at(r, {"performance", "macs"}))) return v;
    return number(at(r, {"performance", "macs_per_call"}));
  }
  if (key == "steps") return number(at(r, {"run", "sampler", "steps"}));
  if (key == "guidance") return number(at(r, {"run", "guidance", "scale"}));
  if (key == "num_samples") return number(at(r, {"run", "metrics", "num_samples"}));
  if (key == "wall_time") return number(at(r, {"provenance", "wall_time_s"}));
  if (auto m = at(r, {"metrics"}); m && m->contains(key)) {
    const json& v = (*m)[key];
    return v.is_object() ? number(at(v, {"value"})) : number(&v);
  }
  if (auto v = number(at(r, {"performance", key.c_str()}))) return v;
  if (key == "batch_size") return number(at(r, {"run", "batch_size"}));
  return std::nullopt;
}

std::optional<std::string> result_text(const json& r, const std::string& key) {
  const json* j = nullptr;
  if (key == "model") j = at(r, {"run", "model", "name"});
  else if (key == "sampler") j = at(r, {"run", "sampler", "name"});
  else if (key == "dataset") j = at(r, {"run", "dataset", "name"});
  else if (key == "metrics") j = at(r, {"run", "metrics", "name"});
  else if (key == "protocol") j = at(r, {"run", "metrics", "protocol"});
  else if (key == "suite") j = at(r, {"suite", "name"});
  else if (key == "run_id") j = at(r, {"run_id"});
  if (j && j->is_string()) return j->get<std::string>();
  return std::nullopt;
}

int metric_direction(const std::string& key) {
  static const std::vector<std::string> higher = {"is", "precision", "recall", "density", "coverage", "images_per_s"};
  static const std::vector<std::string> lower = {"fid", "kid", "sfid"};
  if (std::find(higher.begin(), higher.end(), key) != higher.end()) return 1;
  if (std::find(lower.begin(), lower.end(), key) != lower.end()) return -1;
  return 0;
}

}  // namespace diffbench
