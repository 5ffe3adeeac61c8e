// Results: atomic writing that refuses to overwrite, reading, value lookup, provenance.
#include <catch2/catch.hpp>

#include <torch/version.h>

#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "harness/result.h"
#include "harness/suite.h"
#include "test_results_fixtures.h"

using namespace diffbench;
using nlohmann::json;

TEST_CASE("results: an existing result is never overwritten silently", "[harness]") {
  std::string dir = fixtures::fresh_dir("results-write");
  std::string path = result_path(dir, "smoke", "run-a");
  CHECK(path == dir + "/smoke/run-a.json");
  json r = fixtures::crafted_result("run-a", "m", {{"fid", 3.5}});
  write_result(path, r);  // creates the suite folder
  CHECK(read_result(path)["metrics"]["fid"]["value"] == 3.5);
  json r2 = fixtures::crafted_result("run-a", "m", {{"fid", 9.0}});
  CHECK_THROWS_WITH(write_result(path, r2),
                    path + ": result already exists; refusing to overwrite it (use --resume to skip finished runs or "
                           "--force to replace them)");
  CHECK(read_result(path)["metrics"]["fid"]["value"] == 3.5);
  write_result(path, r2, /*overwrite=*/true);
  CHECK(read_result(path)["metrics"]["fid"]["value"] == 9.0);
  // No temporary file is left beside it.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/smoke")) files += e.is_regular_file();
  CHECK(files == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("results: reading checks the schema", "[harness]") {
  std::string dir = fixtures::fresh_dir("results-read");
  std::ofstream(dir + "/a.json") << R"({"fid": 3})";
  std::ofstream(dir + "/b.json") << R"({"schema_version": 99})";
  CHECK_THROWS_WITH(read_result(dir + "/a.json"), dir + "/a.json: not a diffbench result (no \"schema_version\")");
  CHECK_THROWS_WITH(read_result(dir + "/b.json"),
                    dir + "/b.json: schema_version 99 is not supported (this build reads up to 1)");
  CHECK(result_files(dir) == std::vector<std::string>{dir + "/a.json", dir + "/b.json"});
  CHECK_THROWS_WITH(result_files(dir + "/none"), dir + "/none: no such result file or folder");
  std::filesystem::remove_all(dir);
}

TEST_CASE("results: values by column key and metric directions", "[harness]") {
  json r = fixtures::crafted_result("id", "diffit", {{"fid", 1.95}, {"precision", 0.7}},
                                   {{"params", 17576003}, {"macs_per_call", 4.73e9}, {"nfe", 35}, {"images_per_s", 12.5}});
  set_metric(r, "kid", 0.001, {{"subsets", 100}, {"subset_size", 1000}, {"seed", 0}}, {0.0011, 0.0009});
  CHECK(*result_value(r, "fid") == 1.95);
  CHECK(*result_value(r, "kid") == 0.001);
  CHECK(r["metrics"]["kid"]["subsets"] == 100);
  CHECK(r["metrics"]["kid"]["chunks"].size() == 2);
  CHECK(*result_value(r, "macs") == 4.73e9);
  CHECK(*result_value(r, "nfe") == 35);
  CHECK(*result_value(r, "steps") == 18);
  CHECK_FALSE(result_value(r, "recall"));
  CHECK(*result_text(r, "model") == "diffit");
  CHECK(metric_direction("fid") == -1);
  CHECK(metric_direction("recall") == 1);
  CHECK(metric_direction("nfe") == 0);
}

TEST_CASE("results: a new result carries the run entry, suite hashes and provenance", "[harness]") {
  json j = json::parse(R"({"name": "t", "root": "/",
    "datasets": [{"name": "d", "source": "/tmp", "resolution": 32}],
    "models": [{"name": "u", "config": {"arch": "ddpmpp"}, "random_init": 0}],
    "samplers": [{"name": "h", "kind": "heun", "steps": 4}],
    "metrics": [{"name": "m", "compute": ["fid"], "num_samples": 4}],
    "matrix": [{"models": ["u"], "samplers": ["h"], "datasets": ["d"], "metrics": ["m"]}], "seeds": "0-3"})");
  Suite s = suite_from_json(j, "x.json", "/");
  auto runs = expand(s);
  REQUIRE(runs.size() == 1);
  json r = new_result(s, runs[0]);
  CHECK(r["schema_version"] == 1);
  CHECK(r["run_id"] == runs[0].id);
  CHECK(r["suite"]["sha256_canonical"] == s.sha256_canonical);
  CHECK(r["run"]["sampler"]["steps"] == 4);
  json p = make_provenance(s.sha256_canonical, "cpu", 2, "0-3", "2026-01-01T00:00:00Z", 1.5);
  CHECK(p["libtorch"] == TORCH_VERSION);
  CHECK(p["threads"] == 2);
  CHECK(p["seeds"] == "0-3");
  CHECK((p["commit_source"] == "git" || p["commit_source"] == "build"));
  if (p["commit_source"] == "git") {
    CHECK(p["commit"].get<std::string>().size() == 40);
    CHECK(p["dirty"].is_boolean());
  }
  CHECK(p["blas"].get<std::string>().size() > 0);
  std::string date = utc_now_iso8601();
  CHECK(date.size() == 20);
  CHECK(date[10] == 'T');
  CHECK(date.back() == 'Z');
}
