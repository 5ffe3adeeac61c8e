// DDPM / DDIM samplers: schedule tables against the official float64 arrays, the 250-step
// learned-range trajectories of DiT and latent DiffiT (recorded noise, checkpoints), per-seed
// determinism across batch sizes, DDIM, NFE accounting.
#include <catch2/catch.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include "models/ddpm.h"
#include "test_dit_helpers.h"

using namespace diffbench;
using namespace diffbench::test_dit;

namespace {
const int64_t kCheckpointSteps[] = {0, 1, 2, 3, 10, 50, 100, 150, 200, 240, 247, 248, 249};

// Runs one golden sampler case with the official full-batch loop and compares every checkpoint.
void check_golden_run(const std::string& sampler_case, const std::string& run, PatchTransformer& model, bool cfg) {
  const std::string dir = sampler_case + "/" + run;
  at::Tensor z = read_npy(golden(dir + "_z.npy"));
  at::Tensor y = read_npy(golden(dir + "_y.npy"));
  at::Tensor checkpoints = read_npy(golden(dir + "_x_checkpoints.npy"));
  at::Tensor model_t = read_npy(golden(dir + "_model_t.npy"));
  RecordedNoise noise(read_npy(golden(dir + "_noise_draws.npy")));
  const auto schedule = make_respaced_schedule("250");
  SamplerOptions options;
  std::vector<at::Tensor> seen(250);
  std::vector<int64_t> seen_t;
  // The model was built with the golden run's guidance (scale 4.0), used by forward_with_cfg.
  EpsModelFn net = [&](const at::Tensor& x, const at::Tensor& t, const at::Tensor& lab) {
    seen_t.push_back(t[0].item<int64_t>());
    return cfg ? model.forward_with_cfg(x, t, lab) : model.forward(x, t, lab);
  };
  SampleStats stats;
  at::Tensor out = run_sampler(net, schedule, options, z, y, noise, &stats,
                               [&](int64_t step, int64_t, const at::Tensor& x) { seen[step] = x; });
  CHECK(stats.steps == 250);
  CHECK(noise.draws() == 250);  // one draw per step, the last one included
  CHECK(at::tensor(seen_t).equal(model_t));
  for (int k = 0; k < 13; ++k) {
    INFO(dir << " checkpoint at loop step " << kCheckpointSteps[k]);
    CHECK(rel_err(seen[kCheckpointSteps[k]], checkpoints[k]) <= 1e-4);
  }
  at::Tensor ref = read_npy(golden(dir + "_out.npy"));
  INFO(dir << " final sample, rel err " << rel_err(out, ref));
  CHECK(rel_err(out, ref) <= 1e-4);
}

std::shared_ptr<DiffusionModel> tiny_model(const std::string& name) {
  auto model = build_transformer_model(read_json(std::string(DIFFBENCH_SOURCE_DIR) + "/models/configs/" + name + ".json"));
  randomize_weights(*model, 7);
  model->eval();
  return model;
}
}  // namespace

TEST_CASE("ddpm: respaced schedule tables equal the official float64 arrays", "[dit]") {
  const auto s = make_respaced_schedule("250");
  CHECK(s.timestep_map.equal(read_npy(golden("sampler_dit/timestep_map.npy"))));
  const std::pair<const char*, at::Tensor> tables[] = {
      {"betas", s.betas},
      {"alphas_cumprod", s.alphas_cumprod},
      {"alphas_cumprod_prev", s.alphas_cumprod_prev},
      {"posterior_variance", s.posterior_variance},
      {"posterior_log_variance_clipped", s.posterior_log_variance_clipped},
      {"posterior_mean_coef1", s.posterior_mean_coef1},
      {"posterior_mean_coef2", s.posterior_mean_coef2},
      {"sqrt_recip_alphas_cumprod", s.sqrt_recip_alphas_cumprod},
      {"sqrt_recipm1_alphas_cumprod", s.sqrt_recipm1_alphas_cumprod}};
  for (const auto& [name, table] : tables) {
    INFO(name);
    CHECK(rel_err(table, read_npy(golden(std::string("sampler_dit/") + name + "_f64.npy"))) < 1e-13);
  }
  // The golden file holds 1 - alphas (1e-4 - 1.1e-17 ...), our table numpy's linspace: ~1 ulp apart.
  at::Tensor original = at::tensor(at::ArrayRef<double>(named_beta_schedule("linear", 1000)));
  CHECK(rel_err(original, read_npy(golden("sampler_dit/betas_original_f64.npy"))) < 1e-14);
  // baselines.md §8.1 respacing variants.
  auto ddim250 = space_timesteps(1000, "ddim250");
  CHECK(ddim250.size() == 250);
  CHECK(ddim250.back() == 996);
  CHECK(space_timesteps(1000, "ddim25")[1] == 40);
  CHECK_THROWS_WITH(space_timesteps(1000, "25x"),
                    "timestep respacing \"25x\": expected comma-separated positive step counts or ddim<N>");
}

TEST_CASE("ddpm: DiT conditional 250-step trajectory matches the official sampler", "[dit]") {
  auto model = golden_model("dit", "dit", kGuidance4First3Constant);
  check_golden_run("sampler_dit", "cond", *model, false);
}

TEST_CASE("ddpm: DiT CFG 250-step trajectory matches the official sampler", "[dit]") {
  auto model = golden_model("dit", "dit", kGuidance4First3Constant);
  check_golden_run("sampler_dit", "cfg", *model, true);
}

TEST_CASE("ddpm: DiffiT power-cosine CFG 250-step trajectory matches the official sampler", "[dit]") {
  auto model = golden_model("diffit_latent_256style", "diffit-latent", kGuidance4PowerCosine);
  check_golden_run("sampler_diffit", "cfg", *model, true);
}

TEST_CASE("ddpm: per-seed images do not depend on the batch split", "[dit]") {
  auto model = tiny_model("dit-tiny");
  SamplerOptions options;
  options.respacing = "8";
  const Guidance g = std::dynamic_pointer_cast<PatchTransformer>(model)->guidance();
  std::vector<uint64_t> seeds = {3, 1, 4, 1, 5, 9, 2};
  at::Tensor labels7;
  SampleStats stats;
  at::Tensor batch7 = generate_per_seed(*model, options, seeds, {}, &g, &labels7, &stats);
  CHECK(stats.steps == 8);
  CHECK(stats.image_evaluations == 8 * 2 * 7);  // CFG: two evaluations per image per step
  for (size_t i = 0; i < seeds.size(); ++i) {
    at::Tensor label1;
    at::Tensor one = generate_per_seed(*model, options, {seeds[i]}, {}, &g, &label1);
    INFO("seed index " << i);
    CHECK(label1[0].item<int64_t>() == labels7[i].item<int64_t>());
    // Noise and labels are bit-identical per seed; the network's float32 rounding may differ
    // with the batch size (BLAS blocking), as the golden README measured (~1e-6 relative).
    CHECK(rel_err(one[0], batch7[i]) <= 1e-5);
  }
  CHECK(batch7[1].equal(batch7[3]));  // the same seed twice gives the same image
  CHECK_FALSE(batch7[0].equal(batch7[1]));
}

TEST_CASE("ddpm: DDIM with eta 0 ignores the step noise, eta 1 does not", "[dit]") {
  auto model = tiny_model("diffit-latent-tiny");
  SamplerOptions options;
  options.method = "ddim";
  options.respacing = "ddim10";
  at::Tensor z = at::randn({2, 4, 8, 8}, at::make_generator<at::CPUGeneratorImpl>(1));
  at::Tensor y = at::tensor({0, 3});
  BatchNoise a(1), b(2);
  at::Tensor xa = sample_images(*model, options, z, y, a, nullptr);
  at::Tensor xb = sample_images(*model, options, z, y, b, nullptr);
  CHECK(a.draws() == 10);
  CHECK(xa.equal(xb));
  options.eta = 1.0;
  BatchNoise c(1), d(2);
  CHECK_FALSE(sample_images(*model, options, z, y, c, nullptr).equal(sample_images(*model, options, z, y, d, nullptr)));
  CHECK_THROWS_WITH(parse_sampler_options({{"method", "ddpm"}, {"eta", 0.5}}, "suite.json"),
                    "suite.json: \"eta\" applies to method \"ddim\" only");
}
