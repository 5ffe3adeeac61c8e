// `diffbench forward`, `sample` and `models`: one network call, image generation, the presets.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "build_info.h"
#include "common/error.h"
#include "common/files.h"
#include "common/json_file.h"
#include "common/log.h"
#include "common/progress.h"
#include "common/runtime.h"
#include "data/image_write.h"
#include "harness/args.h"
#include "harness/commands.h"
#include "harness/generate.h"
#include "harness/suite.h"
#include "io/npy.h"
#include "models/edm_layers.h"
#include "models/guidance.h"
#include "models/model.h"
#include "models/registry_transformers.h"
#include "models/registry_unets.h"

namespace fs = std::filesystem;

namespace diffbench {

static void add_model_options(Args& args) {
  args.positional("MODEL", "a preset in models/configs/ (see `diffbench models`), or a label for --config");
  args.option("--config", "C.json", "model config: the official constructor arguments plus \"arch\"");
  args.option("--weights", "W", "checkpoint (safetensors, torch.save zip or legacy, npz)");
  args.option("--device", "D", "cpu, cuda, cuda:N or auto", "auto");
  args.option("--threads", "N", "intra-op threads, 0 = all cores", "0");
}

int cmd_forward(const CommandArgs& argv) {
  Args args("diffbench forward MODEL --config C.json --weights W --x x.npy --t t.npy [--y y.npy] [--cfg S] --out out.npy [--force]",
            "Run one network call, so a converted checkpoint can be checked against PyTorch. t is the\n"
            "timestep (ddpm-eps models: int64 0..999) or sigma (EDM denoisers); y the class labels (int64,\n"
            "or one-hot float for denoisers). --cfg S applies the model's classifier-free guidance with\n"
            "scale S to a [cond; uncond] batch, as the official forward_with_cfg does.");
  add_model_options(args);
  args.required_option("--x", "x.npy", "input x [B, C, H, W] float32");
  args.required_option("--t", "t.npy", "timesteps or sigmas [B]");
  args.option("--y", "y.npy", "class labels [B] int64 (or [B, classes] one-hot)");
  args.option("--cfg", "S", "guidance scale (ddpm-eps models)");
  args.required_option("--out", "out.npy", "output (written atomically)");
  args.flag("--force", "replace --out if it exists");
  args.parse(argv);
  check_output_file(args.get("--out"), args.has("--force"),
                    {args.get("--x"), args.get("--t"), args.get("--y"), args.get("--weights"), args.get("--config")});
  configure_threads(args.get_int("--threads"));
  auto device = resolve_device(args.get("--device"));
  auto config = resolve_model_config(args.get("MODEL"), args.get("--config"));
  if (!args.has("--weights")) fail("--weights: a checkpoint is required for forward (it checks a conversion)");
  auto model = load_model(config, args.get("--weights"), -1);
  model->eval();
  model->to(device);
  torch::NoGradGuard no_grad;
  auto x = read_npy(args.get("--x")).to(device, at::kFloat);
  auto t = read_npy(args.get("--t")).to(device);
  at::Tensor y;
  if (args.has("--y")) y = read_npy(args.get("--y")).to(device);
  if (x.dim() != 4 || t.dim() != 1 || t.size(0) != x.size(0) || x.size(0) == 0) {
    std::ostringstream shapes;
    shapes << "x " << x.sizes() << " and t " << t.sizes();
    fail("--x/--t: expected x [B, C, H, W] and t [B] with B >= 1, got " + shapes.str());
  }
  if (model->kind() == "denoiser") {
    t = t.to(at::kFloat);
    // EDM denoisers take sigma: log(sigma) and 1/sqrt(sigma^2 + sigma_data^2) need sigma > 0.
    if (!at::isfinite(t).all().item<bool>() || (t <= 0).any().item<bool>())
      fail("--t " + args.get("--t") + ": a denoiser takes noise levels sigma > 0 (finite)");
    if (y.defined() && y.dim() == 1) y = at::one_hot(y.to(at::kLong), model->num_classes()).to(at::kFloat);
  } else {
    t = t.to(at::kLong);
    if (y.defined()) y = y.to(at::kLong);
  }
  at::Tensor out;
  if (args.has("--cfg")) {
    if (model->kind() != "ddpm-eps") fail("--cfg: guidance in forward applies to ddpm-eps models (DiT, latent DiffiT)");
    nlohmann::json g = config.value("guidance", nlohmann::json::object());
    g["scale"] = args.get_double("--cfg");
    out = forward_with_cfg(*model, x, t, y, parse_guidance(g, args.get("MODEL") + ": guidance"));
  } else {
    out = model->forward(x, t, y);
  }
  write_npy(args.get("--out"), out.cpu().contiguous());
  std::cout << args.get("--out") << ": " << out.sizes() << "\n";
  return 0;
}

int cmd_sample(const CommandArgs& argv) {
  Args args("diffbench sample MODEL --config C.json [--weights W|--random-init SEED] --sampler S --steps N "
            "--seeds 0-63 [--class K] --out DIR|grid.png",
            "Generate one image per seed (EDM-style per-seed noise: image i depends only on seed i) and\n"
            "write a PNG per seed into DIR (%06d.png) or one grid PNG; prints images per second.");
  add_model_options(args);
  args.option("--random-init", "SEED", "seeded random weights instead of --weights");
  args.required_option("--sampler", "S", "heun, euler (EDM denoisers), ddpm or ddim (eps models)");
  args.required_option("--steps", "N", "sampler steps");
  args.option("--seeds", "LIST", "seeds, e.g. 0-63 or 0,5,9", "0-63");
  args.option("--class", "K", "class label of every image (default: drawn per seed)", "-1");
  args.option("--guidance", "S", "classifier-free guidance scale (default: the config's)");
  args.option("--vae", "V.json", "VAE decoder config for latent models ({\"config\":..., \"weights\":...})");
  args.option("--quantize", "RULE", "round (EDM/DiT) or truncate (ADM/DiffiT)", "round");
  args.option("--batch", "N", "images per batch", "16");
  args.option("--precision", "P", "fp32, bf16 or fp16 (autocast; fp16 needs CUDA)", "fp32");
  args.flag("--tf32", "allow TF32 matmuls and convolutions on CUDA (off: parity)");
  args.required_option("--out", "DIR|grid.png", "a folder for one PNG per seed, or a .png for a grid");
  args.flag("--force", "replace PNGs or a grid that already exist");
  args.parse(argv);
  if (args.has("--weights") == args.has("--random-init"))
    fail("sample: pass exactly one of --weights W and --random-init SEED");
  configure_threads(args.get_int("--threads"));
  GeneratorSpec spec;
  spec.model_config = resolve_model_config(args.get("MODEL"), args.get("--config"));
  spec.weights = args.get("--weights");
  spec.random_init = args.has("--random-init") ? args.get_int("--random-init") : -1;
  spec.sampler = {{"kind", args.get("--sampler")}, {"steps", args.get_int("--steps")}};
  spec.guidance = spec.model_config.value("guidance", nlohmann::json(nullptr));
  if (args.has("--guidance")) {
    if (!spec.guidance.is_object()) spec.guidance = {{"channels", "all"}, {"schedule", "constant"}};
    spec.guidance["scale"] = args.get_double("--guidance");
  }
  if (args.has("--vae")) spec.vae = read_json_file(args.get("--vae"));
  spec.quantize = args.get("--quantize");
  spec.class_label = args.get_int("--class");
  spec.device = resolve_device(args.get("--device"));
  spec.precision = {args.get("--precision"), args.has("--tf32")};
  check_precision(spec.precision, spec.device, "--precision");
  auto seeds = parse_seeds(nlohmann::json(args.get("--seeds")), "--seeds");
  int batch = args.get_int("--batch");
  if (batch < 1) fail("--batch: expected a positive integer");

  // Everything that can be refused is refused before any sampling, so nothing half-written is left.
  const std::string out = args.get("--out");
  std::string ext = fs::path(out).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  const bool grid = ext == ".png";
  if (!grid && !ext.empty() && !fs::is_directory(out))
    fail("--out " + out + ": expected a folder or a .png grid file (lossless; JPEG and the like change FID)");
  if (grid && fs::exists(out) && !args.has("--force")) fail("--out " + out + ": already exists; pass --force to replace it");
  if (!grid && !args.has("--force"))
    for (uint64_t s : seeds)
      if (fs::exists(fs::path(out) / seed_png_name(s)))
        fail("--out " + out + ": " + seed_png_name(s) + " already exists; pass --force to replace the folder's PNGs");
  SampleGenerator generator(spec);
  if (!grid) fs::create_directories(out);
  std::vector<at::Tensor> kept;
  Progress progress("sample " + args.get("MODEL"), static_cast<long>(seeds.size()), "img");
  auto t0 = std::chrono::steady_clock::now();
  for (size_t start = 0; start < seeds.size(); start += batch) {
    std::vector<uint64_t> chunk(seeds.begin() + start, seeds.begin() + std::min(seeds.size(), start + batch));
    auto images = generator.generate(chunk);
    for (int64_t i = 0; i < images.size(0); ++i) {
      if (grid) {
        kept.push_back(images[i]);
      } else {
        write_png((fs::path(out) / seed_png_name(chunk[i])).string(), images[i]);
      }
    }
    progress.advance(static_cast<long>(chunk.size()));
  }
  progress.finish();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (grid) write_png_grid(out, kept, 0, 2);
  std::printf("%zu images in %.2f s: %.3f images/s, %lld network evaluations per image (%s)\n", seeds.size(), seconds,
              seeds.size() / seconds, static_cast<long long>(generator.nfe_per_image()), generator.describe().c_str());
  return 0;
}

int cmd_models(const CommandArgs& argv) {
  Args args("diffbench models [--dir DIR]",
            "List every architecture and preset config with its parameter count and MACs per network call.");
  args.option("--dir", "DIR", "where the presets are", std::string(DIFFBENCH_SOURCE_DIR) + "/models/configs");
  args.parse(argv);
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(args.get("--dir")))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::printf("architectures: ddpmpp (song-unet), adm (dhariwal-unet), diffit-image, diffit-latent, dit, sd-vae-decoder\n\n");
  std::printf("%-44s %-15s %14s %12s\n", "preset", "arch", "parameters", "GMACs/call");
  for (const auto& file : files) {
    auto config = read_json_file(file);
    std::string arch = config.value("arch", "?");
    std::string name = fs::relative(file, args.get("--dir")).replace_extension("").string();
    if (arch == "sd-vae-decoder") {
      std::printf("%-44s %-15s %14s %12s\n", name.c_str(), arch.c_str(), "(decoder)", "-");
      continue;
    }
    // Shapes only: full-size presets cost no memory.
    std::shared_ptr<DiffusionModel> model;
    {
      edm::MetaScope meta;
      model = build_transformer_model(config, at::TensorOptions().device(at::kMeta));
      if (!model) model = build_unet_model(config);
    }
    if (!model) fail(file + ": unknown arch \"" + arch + "\"");
    int64_t params = 0;
    for (const auto& p : model->parameters()) params += p.numel();
    std::printf("%-44s %-15s %14lld %12.3f\n", name.c_str(), arch.c_str(), static_cast<long long>(params),
                model->macs_per_image() / 1e9);
  }
  return 0;
}

}  // namespace diffbench
