// `diffbench profile MODEL`: latency, throughput, memory and FLOP/s of one network call.
#include <iostream>
#include <sstream>

#include "common/error.h"
#include "common/files.h"
#include "common/runtime.h"
#include "harness/args.h"
#include "harness/commands.h"
#include "harness/generate.h"
#include "harness/profile.h"
#include "harness/result.h"
#include "metrics/features.h"
#include "models/model.h"

namespace diffbench {

std::vector<int> parse_int_list(const std::string& text, const std::string& flag) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t pos = 0;
      int v = std::stoi(item, &pos);
      if (pos != item.size() || v <= 0) throw std::invalid_argument("");
      out.push_back(v);
    } catch (const std::exception&) {
      fail(flag + ": expected positive integers separated by commas, got \"" + text + "\"");
    }
  }
  if (out.empty()) fail(flag + ": expected at least one value");
  return out;
}

int cmd_profile(const CommandArgs& argv) {
  Args args("diffbench profile MODEL [--config C.json] [--weights W] [--batch 1,8,32] [--steps N] [--out P.json]",
            "Time one network call of MODEL (a preset name, or any label with --config; \"inception\" profiles\n"
            "the FID Inception on 299x299 inputs) at each batch size after warm-up: latency median and\n"
            "spread, images/s, network evaluations/s, peak memory, parameters, MACs and FLOP/s.");
  args.positional("MODEL", "a preset in models/configs/, \"inception\", or a label for --config");
  args.option("--config", "C.json", "model config (constructor arguments + arch)");
  args.option("--weights", "W", "weights to load (default: seeded random init; speed does not depend on them)");
  args.option("--batch", "LIST", "batch sizes", "1,8,32");
  args.option("--steps", "N", "report images/s of a sampler run of N network calls", "0");
  args.option("--repeats", "R", "timed calls per batch size", "5");
  args.option("--warmup", "W", "untimed calls first", "2");
  args.option("--device", "D", "cpu, cuda, cuda:N or auto", "auto");
  args.option("--threads", "N", "intra-op threads, 0 = all cores", "0");
  args.option("--precision", "P", "fp32, bf16 or fp16 (autocast; fp16 needs CUDA)", "fp32");
  args.flag("--tf32", "allow TF32 matmuls and convolutions on CUDA (off: parity)");
  args.option("--out", "P.json", "also write the profile as JSON (atomically)");
  args.parse(argv);

  configure_threads(args.get_int("--threads"));
  ProfileOptions o;
  o.batch_sizes = parse_int_list(args.get("--batch"), "--batch");
  o.steps = args.get_int("--steps");
  o.repeats = args.get_int("--repeats");
  o.warmup = args.get_int("--warmup");
  o.device = resolve_device(args.get("--device"));
  o.precision = {args.get("--precision"), args.has("--tf32")};
  check_precision(o.precision, o.device, "--precision");
  if (o.repeats < 1) fail("--repeats: expected a positive integer");

  nlohmann::json profile;
  std::string model = args.get("MODEL");
  if (model == "inception") {
    FeatureExtractorOptions fo;
    fo.weights = args.has("--weights") ? args.get("--weights") : "random:0";
    fo.protocol = "pytorch-fid";
    fo.device = o.device;
    fo.progress = false;
    FeatureExtractor extractor(fo);
    auto call = [&](int batch) {
      auto x = torch::randn({batch, 3, 299, 299}, torch::TensorOptions().device(o.device));
      extractor.forward(x, FeatureLayers{});
    };
    // 5.713 GMAC per 299x299 image (metrics.md §1.7, fc included); 23.9 M parameters with the 1008-class fc.
    const double inception_macs = 5.713e9;
    int64_t params = 0;
    for (const auto& p : load_fid_inception(fo.weights)->parameters()) params += p.numel();
    profile = profile_calls("fid-inception-v3", call, inception_macs, params, o);
  } else {
    auto config = resolve_model_config(model, args.get("--config"));
    auto net = load_model(config, args.get("--weights"), 0);
    profile = profile_model(*net, o);
    profile["label"] = model;
  }
  std::cout << format_profile(profile);
  // The file is a result of kind "profile", so `table` and `plot` (throughput against batch size) read it.
  nlohmann::json result = {{"schema_version", kResultSchemaVersion}, {"kind", "profile"}, {"run_id", model},
                           {"model", model}, {"profile", profile},
                           {"provenance", make_provenance("", device_description(o.device), current_threads(),
                                                          nullptr, utc_now_iso8601(), 0)}};
  if (args.has("--out")) write_file_atomic(args.get("--out"), result.dump(2) + "\n");
  return 0;
}

}  // namespace diffbench
