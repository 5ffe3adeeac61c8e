#include "harness/train.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/version.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/files.h"
#include "common/hash.h"
#include "common/json_file.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/runtime.h"
#include "data/source.h"
#include "harness/result.h"
#include "io/state_dict.h"
#include "models/model.h"

namespace fs = std::filesystem;

namespace diffbench {

// ---- configuration -------------------------------------------------------------------------

static const char* kTrainKeys[] = {
    "model", "dataset", "split", "resolution", "channels", "seed", "batch_size", "lr",
    "warmup_images", "total_images", "grad_clip", "ema_halflife_images", "ema_rampup", "p_mean",
    "p_std", "sigma_data", "checkpoint_every_images", "out_dir"};
// (limit_images is set by --stop-after, never by a suite: a budget lives in total_images.)

TrainConfig load_train_config(const std::string& file) {
  nlohmann::json doc = read_json_file(file);
  if (!doc.is_object() || !doc.contains("train") || !doc["train"].is_object())
    fail(file + ": expected an object with a \"train\" block");
  const auto& t = doc["train"];
  fs::path base = fs::absolute(fs::path(file)).parent_path();
  // Paths in a training suite resolve against the repository root when the file lives in suites/.
  if (doc.contains("root") && doc["root"].is_string()) base = (base / doc["root"].get<std::string>()).lexically_normal();
  auto resolve = [&](const std::string& p) {
    fs::path path(p);
    return (path.is_absolute() ? path : base / path).lexically_normal().string();
  };
  for (auto it = t.begin(); it != t.end(); ++it) {
    bool known = false;
    for (const char* k : kTrainKeys) known |= it.key() == k;
    if (!known) fail(file + ": /train/" + it.key() + ": unknown key");
  }
  TrainConfig c;
  auto num = [&](const char* key, auto& field) {
    if (!t.contains(key)) return;
    if (!t[key].is_number())
      fail(file + ": /train/" + key + ": expected a number, got " + t[key].dump());
    field = t[key].get<std::decay_t<decltype(field)>>();
  };
  if (!t.contains("model")) fail(file + ": /train/model: missing (a model config file or object)");
  if (t["model"].is_string()) {
    c.model_file = resolve(t["model"].get<std::string>());
    if (!file_exists(c.model_file)) fail(file + ": /train/model: " + c.model_file + " does not exist");
    c.model = read_json_file(c.model_file);
  } else if (t["model"].is_object()) {
    c.model = t["model"];
  } else {
    fail(file + ": /train/model: expected a config file path or an object");
  }
  if (!t.contains("dataset") || !t["dataset"].is_string())
    fail(file + ": /train/dataset: expected an image source path");
  c.dataset = resolve(t["dataset"].get<std::string>());
  if (t.contains("split")) c.split = t["split"].get<std::string>();
  if (!t.contains("out_dir") || !t["out_dir"].is_string())
    fail(file + ": /train/out_dir: expected a directory path");
  c.out_dir = resolve(t["out_dir"].get<std::string>());
  num("resolution", c.resolution);
  num("channels", c.channels);
  num("seed", c.seed);
  num("batch_size", c.batch_size);
  num("lr", c.lr);
  num("warmup_images", c.warmup_images);
  num("total_images", c.total_images);
  num("grad_clip", c.grad_clip);
  num("ema_halflife_images", c.ema_halflife_images);
  num("ema_rampup", c.ema_rampup);
  num("p_mean", c.p_mean);
  num("p_std", c.p_std);
  num("sigma_data", c.sigma_data);
  num("checkpoint_every_images", c.checkpoint_every_images);
  if (c.channels != 1 && c.channels != 3) fail(file + ": /train/channels: expected 1 or 3");
  if (c.batch_size <= 0) fail(file + ": /train/batch_size: expected a positive integer");
  return c;
}

static nlohmann::json config_json(const TrainConfig& c) {
  return {{"model", c.model}, {"model_file", c.model_file}, {"dataset", c.dataset},
          {"split", c.split}, {"resolution", c.resolution}, {"channels", c.channels},
          {"seed", c.seed}, {"batch_size", c.batch_size}, {"lr", c.lr},
          {"warmup_images", c.warmup_images}, {"total_images", c.total_images},
          {"grad_clip", c.grad_clip}, {"ema_halflife_images", c.ema_halflife_images},
          {"ema_rampup", c.ema_rampup}, {"p_mean", c.p_mean}, {"p_std", c.p_std},
          {"sigma_data", c.sigma_data}, {"checkpoint_every_images", c.checkpoint_every_images}};
}

// ---- data ----------------------------------------------------------------------------------

// The whole training split as float [-1, 1], [N, C, R, R], zero-padded (black) to R x R.
static at::Tensor load_training_images(const TrainConfig& c) {
  SourceOptions options;
  options.split = c.split;
  options.require_same_size = true;
  auto source = open_source(c.dataset, options);
  long n = source->size();
  info("train: reading " + std::to_string(n) + " images from " + c.dataset);
  std::vector<at::Tensor> all;
  const long chunk = 4096;
  for (long start = 0; start < n; start += chunk) {
    auto images = source->read(start, std::min(chunk, n - start));
    all.push_back(torch::stack(images));  // [B, H, W, 3] uint8
  }
  auto x = torch::cat(all).permute({0, 3, 1, 2}).to(torch::kFloat32);  // [N, 3, H, W]
  if (c.channels == 1) x = x.slice(1, 0, 1);
  long h = x.size(2), w = x.size(3);
  if (h > c.resolution || w > c.resolution)
    fail(c.dataset + ": images are " + std::to_string(h) + "x" + std::to_string(w) +
         ", larger than the training resolution " + std::to_string(c.resolution));
  x = x / 127.5 - 1.0;
  long top = (c.resolution - h) / 2, left = (c.resolution - w) / 2;
  return torch::constant_pad_nd(x, {left, c.resolution - w - left, top, c.resolution - h - top}, -1.0)
      .contiguous();
}

// SplitMix64: a tiny, fully specified generator, so the data order is the same on every platform.
static uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Image indices for images [first, first + count) of the endless stream of seeded epochs.
static std::vector<int64_t> batch_indices(uint64_t seed, long n, long first, long count) {
  std::vector<int64_t> out;
  long epoch = -1;
  std::vector<int64_t> perm;
  for (long i = first; i < first + count; ++i) {
    long e = i / n;
    if (e != epoch) {
      epoch = e;
      perm.resize(n);
      for (long j = 0; j < n; ++j) perm[j] = j;
      uint64_t state = seed * 0x100000001b3ULL + static_cast<uint64_t>(e) + 1;
      for (long j = n - 1; j > 0; --j) std::swap(perm[j], perm[splitmix64(state) % (j + 1)]);
    }
    out.push_back(perm[i % n]);
  }
  return out;
}

// ---- optimiser, EMA, checkpoint --------------------------------------------------------------

struct TrainState {
  std::vector<std::pair<std::string, at::Tensor>> params;  // the model's trainable parameters
  std::vector<at::Tensor> ema, m, v;                        // EMA copy and Adam's moments
  long step = 0, images = 0;
};

static void save_checkpoint(const TrainState& s, const TrainConfig& c, const std::string& path,
                            const nlohmann::json& provenance) {
  StateDict sd;
  for (size_t i = 0; i < s.params.size(); ++i) {
    const auto& name = s.params[i].first;
    sd.insert("model." + name, s.params[i].second.detach());
    sd.insert("ema." + name, s.ema[i]);
    sd.insert("adam_m." + name, s.m[i]);
    sd.insert("adam_v." + name, s.v[i]);
  }
  nlohmann::json meta = {{"step", s.step}, {"images", s.images}, {"config", config_json(c)},
                         {"provenance", provenance}};
  save_safetensors(path, sd, {{"diffbench_train", meta.dump()}});
}

static nlohmann::json read_checkpoint_meta(const std::string& path) {
  auto header = read_safetensors_metadata(path);
  auto it = header.find("diffbench_train");
  if (it == header.end()) fail(path + ": not a diffbench training checkpoint (no diffbench_train metadata)");
  return parse_json(it->second, path + ": diffbench_train metadata");
}

// Resuming under a different configuration would silently mix two trainings. Only the length
// (total_images) and how often checkpoints are written may change: extending a run is allowed.
static void check_same_training(const nlohmann::json& saved, const nlohmann::json& now, const std::string& path) {
  for (const auto& [key, value] : now.items()) {
    if (key == "total_images" || key == "checkpoint_every_images" || key == "model_file") continue;
    if (!saved.contains(key) || saved[key] != value)
      fail(path + ": was trained with \"" + key + "\": " + (saved.contains(key) ? saved[key].dump() : "(absent)") +
           ", the suite now says " + value.dump() + "; resume with the same training settings or start afresh");
  }
}

static void load_checkpoint(TrainState& s, const TrainConfig& c, const std::string& path) {
  auto meta = read_checkpoint_meta(path);
  check_same_training(meta.at("config"), config_json(c), path);
  auto sd = load_state_dict(path);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < s.params.size(); ++i) {
    const auto& name = s.params[i].first;
    for (const char* prefix : {"model.", "ema.", "adam_m.", "adam_v."})
      if (!sd.contains(prefix + name)) fail(path + ": checkpoint lacks " + std::string(prefix) + name);
    s.params[i].second.copy_(sd.at("model." + name));
    s.ema[i].copy_(sd.at("ema." + name));
    s.m[i].copy_(sd.at("adam_m." + name));
    s.v[i].copy_(sd.at("adam_v." + name));
  }
  s.step = meta.at("step").get<long>();
  s.images = meta.at("images").get<long>();
}

// The EMA weights under the model's own names: what evaluation loads.
static void save_ema(const TrainState& s, torch::nn::Module& model, const std::string& path,
                     const nlohmann::json& meta) {
  StateDict sd = module_state_dict(model);
  StateDict out;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < s.params.size(); ++i) index[s.params[i].first] = i;
  for (const auto& [name, tensor] : sd) {
    auto it = index.find(name);
    out.insert(name, it == index.end() ? tensor : s.ema[it->second]);
  }
  save_safetensors(path, out, {{"diffbench_train", meta.dump()}});
}

// What made these weights, beside the resolved config: the project commit, LibTorch, threads, BLAS
// and when the file was written. Training runs on the CPU.
static nlohmann::json provenance() {
  ProjectCommit commit = project_commit();
  return {{"commit", commit.commit.empty() ? nlohmann::json(nullptr) : nlohmann::json(commit.commit)},
          {"dirty", commit.dirty ? nlohmann::json(*commit.dirty) : nlohmann::json(nullptr)},
          {"commit_source", commit.source},
          {"libtorch", TORCH_VERSION},
          {"device", device_description(c10::Device(c10::kCPU))},
          {"threads", current_threads()},
          {"blas", linked_blas()},
          {"date_utc", utc_now_iso8601()}};
}

// ---- the loop --------------------------------------------------------------------------------

TrainSummary train(const TrainConfig& c, bool resume, int threads) {
  configure_threads(threads);
  fs::create_directories(c.out_dir);
  const std::string ckpt = (fs::path(c.out_dir) / "checkpoint.safetensors").string();
  if (file_exists(ckpt) && !resume)
    fail(ckpt + ": a checkpoint exists; pass --resume to continue it or choose another out_dir");

  torch::manual_seed(c.seed);  // the initial weights
  auto model = build_model(c.model);
  if (model->kind() != "denoiser")
    fail("train: model arch \"" + model->arch() + "\" is not an EDM-preconditioned denoiser");
  if (model->channels() != c.channels || model->resolution() != c.resolution)
    fail("train: the model takes " + std::to_string(model->channels()) + "x" +
         std::to_string(model->resolution()) + "² images but the data are " +
         std::to_string(c.channels) + "x" + std::to_string(c.resolution) + "²");
  model->train();

  TrainState s;
  for (const auto& item : model->named_parameters()) {
    if (!item.value().requires_grad()) continue;
    s.params.emplace_back(item.key(), item.value());
    s.ema.push_back(item.value().detach().clone());
    s.m.push_back(torch::zeros_like(item.value()));
    s.v.push_back(torch::zeros_like(item.value()));
  }
  long n_params = 0;
  for (const auto& p : s.params) n_params += p.second.numel();
  if (resume && file_exists(ckpt)) {
    load_checkpoint(s, c, ckpt);
    info("train: resumed from " + ckpt + " at " + std::to_string(s.images) + " images");
  }

  auto data = load_training_images(c);
  const long n = data.size(0);
  Progress progress("train " + model->arch(), c.total_images, "img");
  progress.skip(s.images);
  auto start = std::chrono::steady_clock::now();
  long images_at_start = s.images;
  double last_loss = 0;
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;

  while (s.images < c.total_images) {
    if (c.limit_images > 0 && s.images - images_at_start >= c.limit_images) break;
    long batch = std::min<long>(c.batch_size, c.total_images - s.images);
    auto idx = torch::tensor(batch_indices(c.seed, n, s.images, batch), torch::kInt64);
    auto y = data.index_select(0, idx);
    // Noise for this step from a generator keyed by (seed, step): resuming needs no RNG state.
    uint64_t key = c.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(s.step) + 1;
    auto gen = at::detail::createCPUGenerator(splitmix64(key));
    auto sigma = torch::exp(at::randn({batch}, gen, torch::kFloat32) * c.p_std + c.p_mean);
    auto noise = at::randn(y.sizes(), gen, torch::kFloat32) * sigma.view({-1, 1, 1, 1});
    auto weight = (sigma * sigma + c.sigma_data * c.sigma_data) / (sigma * c.sigma_data).pow(2);
    auto denoised = model->forward(y + noise, sigma, at::Tensor());
    auto loss = (weight.view({-1, 1, 1, 1}) * (denoised - y).pow(2)).mean();

    for (auto& p : s.params)
      if (p.second.grad().defined()) p.second.grad().zero_();
    loss.backward();
    {
      torch::NoGradGuard no_grad;
      // Global-norm clip, then Adam with a linear warm-up, then the EMA (EDM's half-life rule).
      double sq = 0;
      for (auto& p : s.params) sq += p.second.grad().pow(2).sum().item<double>();
      double norm = std::sqrt(sq);
      double clip = (c.grad_clip > 0 && norm > c.grad_clip) ? c.grad_clip / (norm + 1e-6) : 1.0;
      s.step += 1;
      s.images += batch;
      double lr = c.lr * std::min(1.0, double(s.images) / std::max<long>(1, c.warmup_images));
      double bc1 = 1 - std::pow(b1, s.step), bc2 = 1 - std::pow(b2, s.step);
      double halflife = std::min(c.ema_halflife_images, c.ema_rampup * s.images);
      double beta = std::pow(0.5, batch / std::max(halflife, 1e-8));
      for (size_t i = 0; i < s.params.size(); ++i) {
        auto g = s.params[i].second.grad() * clip;
        s.m[i].mul_(b1).add_(g, 1 - b1);
        s.v[i].mul_(b2).addcmul_(g, g, 1 - b2);
        auto denom = (s.v[i] / bc2).sqrt_().add_(eps);
        s.params[i].second.addcdiv_(s.m[i], denom, -lr / bc1);
        s.ema[i].mul_(beta).add_(s.params[i].second, 1 - beta);
      }
    }
    last_loss = loss.item<double>();
    char note[64];
    std::snprintf(note, sizeof note, "loss %.4f", last_loss);
    progress.set_note(note);
    progress.advance(batch);
    bool boundary = s.images / c.checkpoint_every_images !=
                    (s.images - batch) / c.checkpoint_every_images;
    if (boundary || s.images >= c.total_images) save_checkpoint(s, c, ckpt, provenance());
  }
  if (c.limit_images > 0 && s.images < c.total_images) save_checkpoint(s, c, ckpt, provenance());
  progress.finish();

  TrainSummary summary;
  summary.steps = s.step;
  summary.images = s.images;
  summary.final_loss = last_loss;
  summary.parameters = n_params;
  summary.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.images_per_second =
      summary.wall_seconds > 0 ? (s.images - images_at_start) / summary.wall_seconds : 0;
  if (s.images >= c.total_images) {
    nlohmann::json meta = {{"config", config_json(c)}, {"steps", s.step}, {"images", s.images},
                           {"parameters", n_params}, {"provenance", provenance()}};
    save_ema(s, *model, (fs::path(c.out_dir) / "ema.safetensors").string(), meta);
    write_file_atomic((fs::path(c.out_dir) / "train.json").string(), meta.dump(2) + "\n");
  }
  return summary;
}

}  // namespace diffbench
