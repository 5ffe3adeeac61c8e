// EDM samplers: golden parity of edm_sampler (deterministic and stochastic runs, per-call inputs,
// recorded noise draws), NFE counts, CFG, and per-seed determinism across batch sizes.
#include <catch2/catch.hpp>

#include "io/state_dict.h"
#include "models/edm_sampler.h"
#include "models/noise.h"
#include "models/precond.h"
#include "models/registry_unets.h"
#include "test_unet_helpers.h"

using namespace diffbench;
using namespace diffbench::testing_unet;

namespace {

std::shared_ptr<DiffusionModel> golden_net() {
  const auto cfg = read_model_config(golden("edm_songunet_ddpmpp/config.json"));
  nlohmann::json c = cfg["edm_precond"]["kwargs_passed"];
  c.erase("model_type");
  c["arch"] = "song-unet";
  auto model = build_unet_model(c);
  load_into_module(*model, load_state_dict(golden("edm_songunet_ddpmpp/weights.safetensors")), "edm_songunet_ddpmpp");
  model->eval();
  return model;
}

struct CallLog {
  std::vector<at::Tensor> x;
  std::vector<double> sigma;
};

void check_run(const std::string& run, const EdmSamplerOptions& o) {
  torch::NoGradGuard no_grad;
  auto net = golden_net();
  RecordedNoise noise(npy("sampler_edm/stoch_noise_draws.npy").to(at::kDouble));
  CallLog log;
  SamplerStats stats;
  const at::Tensor out = edm_sample(*net, npy("sampler_edm/latents.npy"), npy("sampler_edm/class_labels.npy"), noise, o,
                                    &stats, [&](const at::Tensor& x, double s) {
                                      log.x.push_back(x.clone());
                                      log.sigma.push_back(s);
                                    });
  CHECK(stats.net_calls == 35);
  CHECK(stats.nfe == 35);
  CHECK(stats.noise_draws == 18);
  CHECK(noise.draws() == 18);
  CHECK(out.scalar_type() == at::kDouble);
  const at::Tensor ref_sigma = npy("sampler_" "edm/" + run + "_net_sigma_in_f64.npy");
  const at::Tensor ref_x = npy("sampler_edm/" + run + "_net_x_in.npy");
  REQUIRE(log.x.size() == 35);
  double worst_sigma = 0, worst_x = 0;
  for (size_t k = 0; k < 35; ++k) {
    worst_sigma = std::max(worst_sigma, std::abs(log.sigma[k] / ref_sigma[k].item<double>() - 1));
    worst_x = std::max(worst_x, max_rel(log.x[k], ref_x[k]));
  }
  CHECK(worst_sigma < 1e-12);
  CHECK(worst_x < 1e-4);
  CHECK(max_rel(out, npy("sampler_edm/" + run + "_out_f64.npy")) < 1e-4);
}

}  // namespace

TEST_CASE("EDM time steps equal edm_sampler's (N=18 and N=40 test vectors)", "[unet]") {
  auto net = golden_net();
  EdmSamplerOptions o;
  const auto t = edm_time_steps(*net, o);
  const at::Tensor ref = npy("sampler_edm/t_steps_f64.npy");
  REQUIRE(t.size() == 19);
  for (size_t i = 0; i < t.size(); ++i) CHECK(t[i] == Approx(ref[i].item<double>()).epsilon(1e-13).margin(0));
  o.num_steps = 40;
  const auto t40 = edm_time_steps(*net, o);
  CHECK(t40[1] == Approx(69.4509).epsilon(1e-5));
  CHECK(t40[38] == Approx(0.00367659).epsilon(1e-5));
}

TEST_CASE("edm_sampler deterministic run matches NVlabs/edm (outputs and all 35 network inputs)", "[unet]") {
  EdmSamplerOptions o;  // 18 steps, churn 0: the draws are taken and multiplied by 0
  check_run("det", o);
}

TEST_CASE("edm_sampler stochastic run matches NVlabs/edm with the recorded draws", "[unet]") {
  EdmSamplerOptions o;
  o.S_churn = 40;
  o.S_min = 0.05;
  o.S_max = 50;
  o.S_noise = 1.003;
  check_run("stoch", o);
}

TEST_CASE("EDM Euler and CFG count NFE; sampler options validate", "[unet]") {
  torch::NoGradGuard no_grad;
  auto net = golden_net();
  EdmSamplerOptions o;
  o.num_steps = 4;
  o.solver = "euler";
  BatchNoise noise(1);
  SamplerStats stats;
  const auto labels = npy("sampler_edm/class_labels.npy");
  const auto out = edm_sample(*net, npy("sampler_edm/latents.npy"), labels, noise, o, &stats);
  CHECK(stats.net_calls == 4);
  CHECK(stats.nfe == 4);
  CHECK(stats.noise_draws == 4);
  o.solver = "heun";
  o.cfg_scale = 2.0;
  const auto guided = edm_sample(*net, npy("sampler_edm/latents.npy"), labels, noise, o, &stats);
  CHECK(stats.net_calls == 7);
  CHECK(stats.nfe == 14);
  CHECK(std::isfinite(guided.abs().max().item<double>()));
  CHECK_THROWS_WITH(EdmSamplerOptions::from_json({{"solver", "dpm"}}, "suite.json sampler"),
                    "suite.json sampler: solver \"dpm\" is not supported (expected \"heun\" or \"euler\")");
  CHECK_THROWS_WITH(EdmSamplerOptions::from_json({{"S_curn", 1}}, "suite.json sampler"),
                    "suite.json sampler: unknown key \"S_curn\" (not an argument of this architecture)");
}

TEST_CASE("PerSeedNoise: an image depends only on its seed (batch 7 vs batches 3+4 and 1)", "[unet]") {
  torch::NoGradGuard no_grad;
  auto net = golden_net();  // conditional: the per-image label draw is exercised too
  EdmSamplerOptions o;
  o.num_steps = 3;
  o.S_churn = 10;  // the per-step draws matter
  auto run = [&](std::vector<uint64_t> seeds) {
    PerSeedNoise noise(seeds);
    const EdmDraws d = edm_draw_inputs(*net, noise, static_cast<int64_t>(seeds.size()));
    return std::make_pair(edm_sample(*net, d.latents, d.class_onehot, noise, o), d.labels);
  };
  const auto all = run({0, 1, 2, 3, 4, 5, 6});
  const auto a = run({0, 1, 2});
  const auto b = run({3, 4, 5, 6});
  const auto single = run({5});
  CHECK(at::equal(at::cat({a.second, b.second}), all.second));
  const at::Tensor split = at::cat({a.first, b.first});
  // Same draws; only float32 rounding of batched convolutions may differ (random weights amplify it).
  CHECK(max_rel(split, all.first) < 1e-5);
  CHECK(max_rel(single.first[0], all.first[5]) < 1e-5);
  // The draws themselves are bit-identical whatever the batch.
  PerSeedNoise n7({0, 1, 2, 3, 4, 5, 6}), n1({4});
  CHECK(at::equal(n7.next({7, 2, 2}, at::kDouble)[4], n1.next({1, 2, 2}, at::kDouble)[0]));
  CHECK_THROWS_WITH(n1.next({2, 2}, at::kFloat), "PerSeedNoise: asked for shape [2,2], expected batch = 1 seeds");
}
