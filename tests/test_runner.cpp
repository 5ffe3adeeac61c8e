// The suite runner end to end through the CLI: a run killed midway and resumed, and a run split
// into shards and merged, give exactly the numbers of one uninterrupted run.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "build_info.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

int run_cli(const std::string& args, const std::string& env = "") {
  std::string cmd = env + " " + DIFFBENCH_BINARY + " " + args + " > /dev/null 2>&1";
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Real Fashion-MNIST images against a randomly initialised tiny DDPM++ with a 2-step Heun sampler:
// 12 samples in chunks of 4 (3 chunks), batches of 2, every metric that keeps features.
fs::path write_suite(const fs::path& dir) {
  fs::create_directories(dir);
  json suite = {
      {"name", "runner-test"},
      {"root", std::string(DIFFBENCH_SOURCE_DIR)},
      {"datasets", {{{"name", "fmnist"}, {"source", "/usr/share/datasets/fashion-mnist"}, {"split", "test"},
                     {"resolution", 32}, {"limit", 16}}}},
      {"models", {{{"name", "ddpmpp-tiny"}, {"config", "models/configs/ddpmpp-tiny.json"}, {"random_init", 0}}}},
      {"samplers", {{{"name", "heun"}, {"kind", "heun"}, {"steps", 2}}}},
      {"metrics", {{{"name", "m"}, {"compute", {"fid", "is", "kid", "pr"}}, {"num_samples", 12},
                    {"inception", "random:0"}, {"kid", {{"subsets", 5}, {"subset_size", 8}, {"seed", 0}}},
                    {"is", {{"splits", 2}}}}}},
      {"matrix", {{{"models", {"ddpmpp-tiny"}}, {"samplers", {"heun"}}, {"datasets", {"fmnist"}}, {"metrics", {"m"}}}}},
      {"seeds", "0-11"},
      {"threads", 2},
      {"device", "cpu"},
      {"batch_size", 2},
      {"chunk_size", 4}};
  fs::path file = dir / "runner-test.json";
  std::ofstream(file) << suite.dump(2);
  return file;
}

json only_result(const fs::path& results) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(results / "runner-test"))
    if (e.path().extension() == ".json") files.push_back(e.path());
  REQUIRE(files.size() == 1);
  json r;
  std::ifstream(files[0]) >> r;
  return r;
}

void require_same_metrics(const json& a, const json& b) {
  for (const char* m : {"fid", "is", "kid", "precision", "recall"}) {
    INFO(m);
    REQUIRE(a["metrics"].contains(m));
    REQUIRE(b["metrics"].contains(m));
    // Exactly equal, not approximately: the chunk files are the same bytes.
    CHECK(a["metrics"][m]["value"].get<double>() == b["metrics"][m]["value"].get<double>());
  }
}

}  // namespace

TEST_CASE("a crashed run resumed, and a sharded run merged, equal an uninterrupted run", "[runner]") {
  fs::path dir = fs::temp_directory_path() / ("diffbench-runner-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::path suite = write_suite(dir);
  std::string cache = "DIFFBENCH_CACHE=" + (dir / "cache").string();

  REQUIRE(run_cli("run " + suite.string() + " --results " + (dir / "a").string(), cache) == 0);
  json a = only_result(dir / "a");
  CHECK(a["metrics"]["fid"]["value"].get<double>() > 0);
  CHECK(a["metrics"]["fid"]["chunks"].size() == 3);
  CHECK(a["provenance"]["chunks"] == 3);

  // Killed after the first chunk: no result, one checkpoint; --resume finishes it.
  CHECK(run_cli("run " + suite.string() + " --results " + (dir / "b").string(),
                cache + " DIFFBENCH_CRASH_AFTER_CHUNKS=1") == 137);
  CHECK_FALSE(fs::exists(dir / "b" / "runner-test" / (a["run_id"].get<std::string>() + ".json")));
  REQUIRE(run_cli("run " + suite.string() + " --resume --results " + (dir / "b").string(), cache) == 0);
  require_same_metrics(a, only_result(dir / "b"));

  // Two shards (chunks 0, 2 and chunk 1), then merge.
  for (const char* shard : {"0/2", "1/2"})
    REQUIRE(run_cli("run " + suite.string() + " --shard " + shard + " --results " + (dir / "c").string(), cache) == 0);
  REQUIRE(run_cli("merge " + suite.string() + " --results " + (dir / "c").string(), cache) == 0);
  require_same_metrics(a, only_result(dir / "c"));

  // An existing result is never replaced silently.
  CHECK(run_cli("run " + suite.string() + " --results " + (dir / "a").string(), cache) == 1);
  fs::remove_all(dir);
}

TEST_CASE("a resume after the weights file changed is refused, not mixed", "[runner]") {
  fs::path dir = fs::temp_directory_path() / ("diffbench-runner-weights-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::path suite_file = write_suite(dir);
  // The trained DDPM++ with its weights copied into the test folder, so the test can change them.
  json suite;
  std::ifstream(suite_file) >> suite;
  const fs::path weights = dir / "w.safetensors";
  fs::copy_file(fs::path(DIFFBENCH_SOURCE_DIR) / "models/weights/ddpmpp-fmnist/ema.safetensors", weights);
  suite["models"][0] = {{"name", "ddpmpp-tiny"}, {"config", "models/configs/fmnist/ddpmpp-fmnist.json"},
                        {"weights", weights.string()}};
  std::ofstream(suite_file) << suite.dump(2);
  std::string cache = "DIFFBENCH_CACHE=" + (dir / "cache").string();
  const std::string run = "run " + suite_file.string() + " --results " + (dir / "r").string();

  CHECK(run_cli(run, cache + " DIFFBENCH_CRASH_AFTER_CHUNKS=1") == 137);
  // One float of the last tensor changes: still a valid file, other weights.
  {
    std::fstream f(weights, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-4, std::ios::end);
    const float changed = 0.125f;
    f.write(reinterpret_cast<const char*>(&changed), sizeof changed);
  }
  CHECK(run_cli(run + " --resume", cache) == 1);
  for (const auto& e : fs::directory_iterator(dir / "r" / "runner-test"))
    CHECK(e.path().extension() != ".json");  // no result that mixes the two models' samples
  // A fresh start with the new weights is fine.
  CHECK(run_cli(run + " --force", cache) == 0);
  fs::remove_all(dir);
}

TEST_CASE("a suite's reference statistics are checked as fid's are: protocol and stand-in network", "[runner]") {
  fs::path dir = fs::temp_directory_path() / ("diffbench-runner-refstats-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::path suite_file = write_suite(dir);
  json suite;
  std::ifstream(suite_file) >> suite;
  // Statistics made by `diffbench stats` with the stand-in random:1, against a run that uses random:0.
  const std::string images = (dir / "ref.npz").string(), stats = (dir / "ref_stats.npz").string();
  {
    std::string cmd = std::string("/usr/bin/python3 -c \"import numpy as np; np.savez('") + images +
                      "', arr_0=(np.arange(3*32*32*3) % 251).astype(np.uint8).reshape(3, 32, 32, 3))\"";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  REQUIRE(run_cli("stats " + images + " --inception random:1 --out " + stats) == 0);
  suite["metrics"][0]["compute"] = {"fid"};
  suite["metrics"][0]["reference_stats"] = stats;
  std::ofstream(suite_file) << suite.dump(2);
  const std::string cache = "DIFFBENCH_CACHE=" + (dir / "cache").string();
  const std::string run = "run " + suite_file.string() + " --results " + (dir / "r").string();
  CHECK(run_cli(run, cache) == 1);
  if (fs::exists(dir / "r"))
    for (const auto& e : fs::recursive_directory_iterator(dir / "r")) CHECK(e.path().extension() != ".json");
  // The same statistics made with the run's own network are used.
  REQUIRE(run_cli("stats " + images + " --inception random:0 --force --out " + stats) == 0);
  CHECK(run_cli(run, cache) == 0);
  fs::remove_all(dir);
}
