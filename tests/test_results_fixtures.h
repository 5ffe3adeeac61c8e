// Crafted result files for the compare / table / plot tests.
#pragma once
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/result.h"

namespace diffbench::fixtures {

// A schema-1 run result with the given metrics ({"fid": 3.2, ...}) and performance figures.
inline nlohmann::json crafted_result(const std::string& run_id, const std::string& model, const nlohmann::json& metrics,
                                     const nlohmann::json& performance = nlohmann::json::object(), int steps = 18) {
  nlohmann::json r = {{"schema_version", kResultSchemaVersion},
                      {"kind", "run"},
                      {"run_id", run_id},
                      {"suite", {{"name", "t"}}},
                      {"run", {{"model", {{"name", model}}}, {"sampler", {{"name", "heun"}, {"steps", steps}}},
                               {"dataset", {{"name", "cifar10-train"}}}}},
                      {"metrics", nlohmann::json::object()},
                      {"performance", performance},
                      {"provenance", nlohmann::json::object()}};
  for (auto it = metrics.begin(); it != metrics.end(); ++it) set_metric(r, it.key(), it.value().get<double>());
  return r;
}

// A fresh empty folder under the temp directory.
inline std::string fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("diffbench-test-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace diffbench::fixtures
