// Suites: validation messages (exact), shipped suites, expansion counts and ids, hashes, seeds.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "build_info.h"
#include "common/error.h"
#include "harness/suite.h"

using namespace diffbench;
using nlohmann::json;

namespace {

// A small valid suite whose paths exist (the shared golden folder stands in for data).
json base_suite() {
  return json::parse(R"({
    "name": "t",
    "root": "/",
    "datasets": [{"name": "d", "source": "/tmp", "split": "train", "resolution": 32}],
    "models": [{"name": "unet", "config": {"arch": "ddpmpp"}, "random_init": 0},
               {"name": "real", "images": "d"}],
    "samplers": [{"name": "heun", "kind": "heun", "steps": 18}],
    "metrics": [{"name": "m", "compute": ["fid"], "num_samples": 10}],
    "matrix": [{"models": ["unet"], "samplers": ["heun"], "datasets": ["d"], "metrics": ["m"]}],
    "seeds": "0-9"
  })");
}

std::vector<std::string> messages(const json& j, bool check_files = true) {
  Suite s = suite_from_json(j, "suites/x.json", "/");
  std::vector<std::string> out;
  ValidateOptions o;
  o.check_files = check_files;
  for (const auto& p : validate_suite(s, o)) out.push_back(format_problem(s, p));
  return out;
}

std::string shipped(const std::string& name) { return std::string(DIFFBENCH_SOURCE_DIR) + "/suites/" + name; }

}  // namespace

TEST_CASE("suite: a valid suite has no problems", "[harness]") {
  CHECK(messages(base_suite()).empty());
}

TEST_CASE("suite: wrong type is reported with its JSON path", "[harness]") {
  json j = base_suite();
  j["runs"] = json::parse(R"([{"model": "unet", "sampler": "heun", "dataset": "d", "metrics": "m", "steps": 9},
                              {"model": "real", "dataset": "d", "metrics": "m", "seeds": "0-4"},
                              {"model": "unet", "sampler": {"kind": "heun", "steps": "18"}, "dataset": "d", "metrics": "m"}])");
  CHECK(messages(j) == std::vector<std::string>{"suites/x.json: /runs/2/sampler/steps: expected a positive integer, got \"18\""});
  j["batch_size"] = 0;
  j["keep_images"] = "no";
  CHECK(messages(j) == std::vector<std::string>{"suites/x.json: /batch_size: expected a positive integer, got 0",
                                                "suites/x.json: /keep_images: expected true or false, got \"no\"",
                                                "suites/x.json: /runs/2/sampler/steps: expected a positive integer, got \"18\""});
}

TEST_CASE("suite: two entries describing one run are refused", "[harness]") {
  json j = base_suite();
  j["runs"] = json::parse(R"([{"model": "unet", "sampler": "heun", "dataset": "d", "metrics": "m"}])");
  auto m = messages(j);
  REQUIRE(m.size() == 1);
  CHECK(m[0].rfind("suites/x.json: /runs/0: run \"unet.heun-18.g1.d.m-", 0) == 0);
  CHECK(m[0].find("\" is already defined by /matrix/0") != std::string::npos);
}

TEST_CASE("suite: every problem is reported, unknown keys with the nearest known key", "[harness]") {
  json j = base_suite();
  j["models"][0].erase("config");
  j["models"][0]["confg"] = "models/configs/ddpmpp-tiny.json";
  j["samplers"][0]["kind"] = "hune";
  j["metrics"][0]["protocl"] = "tf";
  j["matrix"][0]["models"][0] = "unett";
  auto m = messages(j);
  std::vector<std::string> expected = {
      "suites/x.json: /models/0/confg: unknown key; did you mean \"config\"?",
      "suites/x.json: /models/0: missing required key \"config\" (or \"images\" to replay a dataset)",
      "suites/x.json: /samplers/0/kind: expected one of \"heun\", \"euler\", \"ddpm\", \"ddim\", got \"hune\"; did you mean \"heun\"?",
      "suites/x.json: /metrics/0/protocl: unknown key; did you mean \"protocol\"?",
      "suites/x.json: /matrix/0/models/0: unknown model \"unett\"; did you mean \"unet\"?",
  };
  CHECK(m == expected);
}

TEST_CASE("suite: a missing file names itself, where to put it and where to get it", "[harness]") {
  json j = base_suite();
  j["datasets"][0]["source"] = "data/nope-cifar";
  j["datasets"][0]["obtain"] = "https://example.org/cifar.tgz";
  j["models"][0]["weights"] = "/nonexistent/w.safetensors";
  j["models"][0].erase("random_init");
  auto m = messages(j);
  REQUIRE(m.size() == 2);
  CHECK(m[0] == "suites/x.json: /datasets/0/source: \"data/nope-cifar\" not found (looked at /data/nope-cifar): put it there; "
                "obtain: https://example.org/cifar.tgz");
  CHECK(m[1] == "suites/x.json: /models/0/weights: \"/nonexistent/w.safetensors\" not found (looked at "
                "/nonexistent/w.safetensors): put it there");
  CHECK(messages(j, false).empty());  // schema-wise the suite is fine
}

TEST_CASE("suite: guided architectures need explicit guidance fields (pitfall 34)", "[harness]") {
  json j = base_suite();
  j["models"][0]["config"] = json{{"arch", "dit"}};
  auto m = messages(j);
  REQUIRE(m.size() == 1);
  CHECK(m[0].rfind("suites/x.json: /models/0: model \"unet\" (arch \"dit\") uses classifier-free guidance: give \"guidance\"", 0) == 0);
  j["models"][0]["guidance"] = json{{"scale", 1.5}, {"channels", "first3"}, {"schedule", "constant"}};
  CHECK(messages(j).empty());
  j["models"][0]["guidance"]["channels"] = "first4";
  CHECK(messages(j) == std::vector<std::string>{
      "suites/x.json: /models/0/guidance/channels: expected one of \"first3\", \"all\", got \"first4\"; did you mean \"first3\"?"});
}

TEST_CASE("suite: seeds must cover the metric set's sample count", "[harness]") {
  json j = base_suite();
  j["metrics"][0]["num_samples"] = 50000;
  CHECK(messages(j) == std::vector<std::string>{
      "suites/x.json: /matrix/0/metrics/0: metric set \"m\" needs 50000 samples but /seeds gives 10 seeds"});
  j["seeds"] = "0-9,x";
  CHECK(messages(j)[0] == "suites/x.json: /seeds: \"x\" is not a seed (expected e.g. \"0-49999\", \"0-9,100\" or [0, 1, 2])");
}

TEST_CASE("suite: seeds parse as ranges, lists and arrays", "[harness]") {
  CHECK(parse_seeds(json("0-3,10,20-21"), "s") == std::vector<uint64_t>{0, 1, 2, 3, 10, 20, 21});
  CHECK(parse_seeds(json::array({5, 7}), "s") == std::vector<uint64_t>{5, 7});
  CHECK(parse_seeds(json(4), "s") == std::vector<uint64_t>{4});
  CHECK(parse_seeds(json("0-49999"), "s").size() == 50000);
  CHECK_THROWS_WITH(parse_seeds(json("5-2"), "/seeds"),
                    "/seeds: \"5-2\" is not a range LOW-HIGH (expected e.g. \"0-49999\", \"0-9,100\" or [0, 1, 2])");
  // A repeated seed would count one image twice.
  CHECK_THROWS_WITH(parse_seeds(json("0-3,2"), "--seeds"), Catch::StartsWith("--seeds: seed 2 appears more than once"));
  CHECK_THROWS_WITH(parse_seeds(json::array({7, 7}), "s"), Catch::StartsWith("s: seed 7 appears more than once"));
}

TEST_CASE("suite: edit distance and suggestions", "[harness]") {
  CHECK(edit_distance("confg", "config") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(nearest("confg", {"name", "config", "weights"}) == "config");
  CHECK(nearest("zzzzzz", {"name", "config", "weights"}).empty());
}

TEST_CASE("suite: every shipped suite validates", "[harness]") {
  for (const char* name : {"smoke.json", "cifar10.json", "ffhq64.json", "imagenet256.json", "imagenet512.json"}) {
    INFO(name);
    Suite s = read_suite(shipped(name));
    ValidateOptions o;
    o.check_files = false;
    auto problems = validate_suite(s, o);
    for (const auto& p : problems) INFO(format_problem(s, p));
    CHECK(problems.empty());
  }
  // The demo needs nothing the machine lacks: its data, configs and the committed trained weights exist.
  Suite smoke = read_suite(shipped("smoke.json"));
  auto problems = validate_suite(smoke);
  for (const auto& p : problems) INFO(format_problem(smoke, p));
  CHECK(problems.empty());
}

TEST_CASE("suite: the paper suites say which weights are missing and where to get them", "[harness]") {
  Suite s = read_suite(shipped("imagenet256.json"));
  bool found = false;
  for (const auto& p : validate_suite(s)) {
    CHECK(p.missing_file);
    if (p.path == "/models/1/weights") {
      found = true;
      CHECK(format_problem(s, p) == shipped("imagenet256.json") + ": /models/1/weights: \"weights/DiT-XL-2-256x256.pt\" not found (looked at " +
                                        DIFFBENCH_SOURCE_DIR + "/weights/DiT-XL-2-256x256.pt): put it there; obtain: "
                                        "https://dl.fbaipublicfiles.com/DiT/models/DiT-XL-2-256x256.pt");
    }
  }
  CHECK((found || std::filesystem::exists(std::string(DIFFBENCH_SOURCE_DIR) + "/weights/DiT-XL-2-256x256.pt")));
}

TEST_CASE("suite: expansion counts, resolved entries and stable ids", "[harness]") {
  Suite smoke = read_suite(shipped("smoke.json"));
  auto runs = expand(smoke);
  // real-vs-real 1 + three trained image models x two step counts + one untrained + two latent models.
  REQUIRE(runs.size() == 10);
  std::set<std::string> ids;
  for (const auto& r : runs) ids.insert(r.id);
  CHECK(ids.size() == 10);
  CHECK(runs[0].entry["model"]["kind"] == "images");
  CHECK(runs[0].entry["sampler"].is_null());
  CHECK(runs[1].entry["sampler"]["steps"] == 8);
  CHECK(runs[1].entry["sampler"]["sigma_max"] == 80);  // default from suite_defaults.h
  CHECK(runs[1].entry["metrics"]["reference"]["source_resolved"] == "/usr/share/datasets/fashion-mnist");
  CHECK(runs[1].entry["model"]["config_object"]["arch"] == "diffit-image");
  CHECK(runs[1].entry["model"]["weights_resolved"].get<std::string>().find("models/weights/diffit-image-fmnist/ema.safetensors") !=
        std::string::npos);
  CHECK(runs[7].entry["model"]["random_init"] == 0);
  const json& dit = runs[8].entry;
  CHECK(dit["model"]["name"] == "dit-tiny");
  CHECK(dit["guidance"]["scale"] == 1.5);  // from the model config
  CHECK(dit["guidance"]["channels"] == "first3");
  CHECK(runs[8].id.rfind("dit-tiny.ddpm-25.g1.5.fmnist-test.tiny-", 0) == 0);  // sampler kind-steps
  CHECK(expand(read_suite(shipped("smoke.json")))[8].id == runs[8].id);  // stable

  for (const char* name : {"cifar10.json", "ffhq64.json", "imagenet256.json", "imagenet512.json"})
    CHECK(expand(read_suite(shipped(name))).size() == 2);

  // Matrix axes multiply; a guidance axis overrides the scale and changes the id.
  json j = base_suite();
  j["matrix"][0]["steps"] = {4, 8, 16};
  j["matrix"][0]["guidance"] = {1.0, 2.0};
  j["matrix"][0]["models"].push_back("real");
  auto r = expand(suite_from_json(j, "x.json", "/"));
  REQUIRE(r.size() == 3 * 2 + 1);
  CHECK(r[1].entry["guidance"]["scale"] == 2.0);
  CHECK(r[1].id.rfind("unet.heun-4.g2.d.m-", 0) == 0);
  CHECK(r[6].id.rfind("real.d.m-", 0) == 0);
}

TEST_CASE("suite: hashes of the canonical JSON and of the bytes", "[harness]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "diffbench-test-suite-hash";
  fs::create_directories(dir);
  std::ofstream(dir / "a.json") << R"({"name": "t", "seeds": "0-9"})";
  std::ofstream(dir / "b.json") << "{\n  \"seeds\" : \"0-9\",\n  \"name\" : \"t\"\n}\n";
  Suite a = read_suite((dir / "a.json").string()), b = read_suite((dir / "b.json").string());
  CHECK(a.sha256_canonical == b.sha256_canonical);
  CHECK(a.sha256_file != b.sha256_file);
  // sha256 of {"name":"t","seeds":"0-9"}
  CHECK(a.sha256_canonical.size() == 64);
  CHECK(a.json.dump() == "{\"name\":\"t\",\"seeds\":\"0-9\"}");
  std::ofstream(dir / "bad.json") << "{\"name\": ";
  CHECK_THROWS_AS(read_suite((dir / "bad.json").string()), Error);
  fs::remove_all(dir);
}

TEST_CASE("suite: a file nested too deeply is refused with one line, not a crash", "[harness]") {
  // nlohmann's parser recurses per level: 200k levels used to overflow the stack (a segfault).
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "diffbench-test-suite-deep";
  fs::create_directories(dir);
  const std::string deep = (dir / "deep.json").string();
  std::ofstream(deep) << std::string(200000, '[') << std::string(200000, ']');
  CHECK_THROWS_WITH(read_suite(deep), deep + ": not valid JSON: nested deeper than 512 levels");
  // Brackets inside strings do not count; 512 levels are still read.
  std::ofstream(dir / "ok.json") << R"({"name": "[[[[", "seeds": )" << std::string(511, '[') << "0"
                                 << std::string(511, ']') << "}";
  CHECK(read_suite((dir / "ok.json").string()).json["name"] == "[[[[");
  const std::string cut = (dir / "cut.json").string();
  std::ofstream(cut) << "{\"name\": ";
  CHECK_THROWS_WITH(read_suite(cut), Catch::StartsWith(cut + ": not valid JSON: parse error at line 1, column 10"));
  fs::remove_all(dir);
}

TEST_CASE("suite: run --only needs only the files of the runs it selects", "[harness]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "diffbench-test-suite-only";
  fs::create_directories(dir);
  json j = base_suite();
  j["models"].push_back({{"name", "w"}, {"config", {{"arch", "ddpmpp"}}}, {"weights", "/nonexistent/w.safetensors"}});
  j["matrix"][0]["models"] = {"unet", "w"};
  const std::string file = (dir / "s.json").string();
  std::ofstream(file) << j.dump();
  const std::string missing = "/models/2/weights: \"/nonexistent/w.safetensors\" not found";
  CHECK_THROWS_WITH(load_suite(file), Catch::Contains(missing));
  CHECK_THROWS_WITH(load_suite(file, {}, "w.heun"), Catch::Contains(missing));
  CHECK(load_suite(file, {}, "unet.heun").name() == "t");  // the missing file belongs to another run
  // Schema problems are never waived by --only.
  j["samplers"][0]["steps"] = "18";
  std::ofstream(file) << j.dump();
  CHECK_THROWS_WITH(load_suite(file, {}, "unet.heun"), Catch::Contains("/samplers/0/steps"));
  fs::remove_all(dir);
}
