// Seeds in, images out, as users see them: the uint8 images of every tiny preset do not depend on
// the batch they were generated in; reduced precision is opt-in and recorded; the `sample` and
// `forward` verbs write what the library computes.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include "build_info.h"
#include "common/error.h"
#include "harness/generate.h"
#include "io/npy.h"
#include "test_dit_helpers.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace diffbench;

namespace {

json preset(const std::string& name) { return resolve_model_config(name, ""); }

const std::string kSource = DIFFBENCH_SOURCE_DIR;

// A tiny preset with seeded random weights, or (names ending in "fmnist...") one of the models
// trained on Fashion-MNIST with its committed EMA weights: random U-Nets start with a near-zero
// output layer (EDM's init), so only trained ones make images that depend on every layer.
GeneratorSpec tiny_spec(const std::string& name) {
  GeneratorSpec spec;
  if (name.find("fmnist") != std::string::npos) {
    spec.model_config = resolve_model_config(name, kSource + "/models/configs/fmnist/" + name + ".json");
    spec.weights = kSource + "/models/weights/" + name + "/ema.safetensors";
  } else {
    spec.model_config = preset(name);
    spec.random_init = 0;
  }
  const bool latent = name == "dit-tiny" || name == "diffit-latent-tiny";
  if (latent) {
    spec.sampler = {{"kind", "ddpm"}, {"steps", 4}};
    spec.guidance = {{"scale", 1.5}, {"channels", "first3"}, {"schedule", "constant"}};
    spec.vae = {{"config", preset("sd-vae-tiny")}, {"random_init", 0}};
  } else {
    spec.sampler = {{"kind", "heun"}, {"steps", 3}, {"s_churn", 10}};  // churn: per-step draws matter
  }
  return spec;
}

// Runs `diffbench ARGS` (or, with `whole`, the command line as given); returns the exit status.
int run_cli(const std::string& args, bool whole = false) {
  std::string cmd = (whole ? args : std::string(DIFFBENCH_BINARY) + " " + args) + " > /dev/null 2>&1";
  int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A PNG as uint8 [H, W, 3] RGB.
at::Tensor read_png_rgb(const std::string& path) {
  cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  REQUIRE(!bgr.empty());
  at::Tensor t = torch::from_blob(bgr.data, {bgr.rows, bgr.cols, 3}, at::kByte).clone();
  return t.flip({2}).contiguous();
}

}  // namespace

TEST_CASE("generate: trained and tiny models give the same uint8 images in batches of 1 and 7", "[generate]") {
  torch::set_num_threads(2);
  const std::vector<uint64_t> seeds = {0, 1, 2, 3, 4, 5, 6};
  for (const std::string name : {"ddpmpp-fmnist", "diffit-image-fmnist", "diffit-image-fmnist-plain", "adm-tiny",
                                 "dit-tiny", "diffit-latent-tiny"}) {
    INFO(name);
    SampleGenerator generator(tiny_spec(name));
    const at::Tensor batch7 = generator.generate(seeds);
    REQUIRE(batch7.sizes() == at::IntArrayRef({7, 32, 32, 3}));
    for (size_t i = 0; i < seeds.size(); ++i) {
      INFO("seed " << seeds[i]);
      CHECK(at::equal(generator.generate({seeds[i]})[0], batch7[static_cast<int64_t>(i)]));
    }
    // Different seeds give different images (the check above is not vacuous).
    CHECK_FALSE(at::equal(batch7[0], batch7[1]));
  }
}

TEST_CASE("generate: the architectures compared in the smoke suite have equal parameter budgets (within 5%)", "[generate]") {
  auto params = [](const GeneratorSpec& spec) {
    int64_t n = 0;
    for (const auto& p : load_model(spec.model_config, "", 0)->parameters()) n += p.numel();
    return static_cast<double>(n);
  };
  auto within = [](double a, double b) { return std::abs(a - b) / std::min(a, b) <= 0.05; };
  const double ddpmpp = params(tiny_spec("ddpmpp-fmnist"));
  CHECK(ddpmpp == 1752993);
  CHECK(within(params(tiny_spec("diffit-image-fmnist")), ddpmpp));
  CHECK(within(params(tiny_spec("diffit-image-fmnist-plain")), ddpmpp));
  CHECK(within(params(tiny_spec("diffit-latent-tiny")), params(tiny_spec("dit-tiny"))));
}

TEST_CASE("generate: reduced precision is checked before any work", "[generate]") {
  GeneratorSpec spec = tiny_spec("ddpmpp-tiny");
  spec.precision.dtype = "fp16";
  CHECK_THROWS_WITH(SampleGenerator(spec), "sampling: precision \"fp16\" needs a CUDA device (on cpu use \"bf16\")");
  spec.precision.dtype = "f16";
  CHECK_THROWS_WITH(SampleGenerator(spec),
                    "sampling: precision \"f16\" is not supported (expected \"fp32\", \"bf16\" or \"fp16\")");
  // This process runs with oneDNN capped at AVX2 (the Inception's parity), which has no bf16 kernels.
  spec.precision.dtype = "bf16";
  CHECK_THROWS_WITH(SampleGenerator(spec), Catch::Contains("run with ONEDNN_MAX_CPU_ISA=ALL"));
}

TEST_CASE("cli: bf16 sampling of a trained model stays close to fp32 and is opt-in", "[generate][cli]") {
  const fs::path dir = fs::temp_directory_path() / "diffbench-test-bf16";
  fs::remove_all(dir);
  const std::string base = "sample ddpmpp-fmnist --config " + kSource +
                           "/models/configs/fmnist/ddpmpp-fmnist.json --weights " + kSource +
                           "/models/weights/ddpmpp-fmnist/ema.safetensors --sampler heun --steps 8 --seeds 0-3 "
                           "--threads 2 --device cpu";
  REQUIRE(run_cli("env ONEDNN_MAX_CPU_ISA=ALL " + std::string(DIFFBENCH_BINARY) + " " + base + " --out " +
                  (dir / "fp32").string(), true) == 0);
  REQUIRE(run_cli("env ONEDNN_MAX_CPU_ISA=ALL " + std::string(DIFFBENCH_BINARY) + " " + base +
                  " --precision bf16 --out " + (dir / "bf16").string(), true) == 0);
  double sum = 0, count = 0;
  bool any_differs = false;
  for (const char* name : {"000000.png", "000001.png", "000002.png", "000003.png"}) {
    at::Tensor a = read_png_rgb((dir / "fp32" / name).string()).to(at::kFloat);
    at::Tensor b = read_png_rgb((dir / "bf16" / name).string()).to(at::kFloat);
    any_differs = any_differs || !at::equal(a, b);
    sum += (a - b).abs().sum().item<double>();
    count += static_cast<double>(a.numel());
  }
  CHECK(any_differs);        // the network really ran in bf16
  CHECK(sum / count < 8.0);  // ... and drew the same garments, to a few of 255 levels on average
  fs::remove_all(dir);
}

TEST_CASE("cli: sample writes one PNG per seed equal to the library's images, or a grid", "[generate][cli]") {
  const fs::path dir = fs::temp_directory_path() / "diffbench-test-sample";
  fs::remove_all(dir);
  const std::string model = "ddpmpp-fmnist --config " + kSource + "/models/configs/fmnist/ddpmpp-fmnist.json --weights " +
                            kSource + "/models/weights/ddpmpp-fmnist/ema.safetensors";
  REQUIRE(run_cli("sample " + model + " --sampler heun --steps 3 --seeds 4-6 --batch 2 --threads 2 --device cpu --out " +
                  (dir / "pngs").string()) == 0);
  GeneratorSpec spec = tiny_spec("ddpmpp-fmnist");
  spec.sampler = {{"kind", "heun"}, {"steps", 3}};
  const at::Tensor expected = SampleGenerator(spec).generate({4, 5, 6});
  for (int64_t i = 0; i < 3; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%06d.png", static_cast<int>(4 + i));
    INFO(name);
    CHECK(at::equal(read_png_rgb((dir / "pngs" / name).string()), expected[i]));
  }
  CHECK_FALSE(fs::exists(dir / "pngs" / "000003.png"));
  REQUIRE(run_cli("sample " + model + " --sampler heun --steps 3 --seeds 4-6 --device cpu --out " +
                  (dir / "grid.png").string()) == 0);
  const at::Tensor grid = read_png_rgb((dir / "grid.png").string());
  CHECK(grid.size(0) >= 2 * 32);  // three images in a 2x2 grid
  CHECK(grid.size(1) >= 2 * 32);
  // Bad input: one clear error, non-zero exit, nothing written.
  CHECK(run_cli("sample ddpmpp-tiny --random-init 0 --sampler ddpm --steps 3 --seeds 0 --device cpu --out " +
                (dir / "bad").string()) != 0);
  CHECK(run_cli("sample ddpmpp-tiny --random-init 0 --sampler heun --steps 3 --precision fp16 --device cpu --out " +
                (dir / "bad2").string()) != 0);
  CHECK_FALSE(fs::exists(dir / "bad2"));
  fs::remove_all(dir);
}

TEST_CASE("cli: forward reproduces the official DiT outputs, with and without --cfg", "[generate][cli]") {
  using test_dit::golden;
  const fs::path dir = fs::temp_directory_path() / "diffbench-test-forward";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "dit.json") << test_dit::golden_config("dit", "dit", test_dit::kGuidance4First3Constant).dump();
  const std::string common = "forward dit --config " + (dir / "dit.json").string() + " --weights " +
                             golden("dit/weights.safetensors") + " --device cpu --threads 2";
  REQUIRE(run_cli(common + " --x " + golden("dit/x.npy") + " --t " + golden("dit/t.npy") + " --y " +
                  golden("dit/y.npy") + " --out " + (dir / "out.npy").string()) == 0);
  CHECK(test_dit::rel_err(read_npy((dir / "out.npy").string()), read_npy(golden("dit/forward_out.npy"))) <= 1e-4);
  // Run again onto the same --out: refused (exit 1, file kept) unless --force.
  const std::string again = common + " --x " + golden("dit/x.npy") + " --t " + golden("dit/t.npy") + " --y " +
                            golden("dit/y.npy") + " --out " + (dir / "out.npy").string();
  const auto written = fs::last_write_time(dir / "out.npy");
  CHECK(run_cli(again) == 1);
  CHECK(fs::last_write_time(dir / "out.npy") == written);
  CHECK(run_cli(again + " --force") == 0);
  REQUIRE(run_cli(common + " --x " + golden("dit/x_cfg.npy") + " --t " + golden("dit/t_cfg.npy") + " --y " +
                  golden("dit/y_cfg.npy") + " --cfg 4 --out " + (dir / "cfg.npy").string()) == 0);
  CHECK(test_dit::rel_err(read_npy((dir / "cfg.npy").string()), read_npy(golden("dit/cfg_out.npy"))) <= 1e-4);
  // No weights: refused (forward checks a conversion), and no output file appears.
  CHECK(run_cli("forward dit --config " + (dir / "dit.json").string() + " --x " + golden("dit/x.npy") + " --t " +
                golden("dit/t.npy") + " --device cpu --out " + (dir / "none.npy").string()) != 0);
  CHECK_FALSE(fs::exists(dir / "none.npy"));
  fs::remove_all(dir);
}
