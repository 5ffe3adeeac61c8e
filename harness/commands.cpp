#include "harness/commands.h"

namespace diffbench {

const std::vector<CommandInfo>& all_commands() {
  static const std::vector<CommandInfo> commands = {
      {"features", "FID Inception features (pool3, IS logits or sFID spatial) of a source to .npy", cmd_features},
      {"stats", "pytorch-fid-compatible statistics (mu, sigma) of a source", cmd_stats},
      {"fid", "FID between two sources or statistics files, printed like pytorch-fid", cmd_fid},
      {"metrics", "FID, IS, KID, precision/recall, sFID of B against A as JSON", cmd_metrics},
      {"forward", "one network call of a model on .npy inputs", cmd_forward},
      {"sample", "generate images per seed to PNGs or a grid", cmd_sample},
      {"models", "list architectures and presets with parameters and MACs", cmd_models},
      {"info", "print the build, LibTorch version, device, threads and BLAS", cmd_info},
      {"run", "run a suite: samples, features, metrics, one result per run", cmd_run},
      {"merge", "combine the shards of a suite's runs into results", cmd_merge},
      {"profile", "latency, throughput, memory and FLOP/s of one network call", cmd_profile},
      {"train", "train a small model with EDM's loss on a dataset (resumable)", cmd_train},
      {"validate", "check a suite and print the runs it expands into", cmd_validate},
      {"compare", "compare two results (or folders) metric by metric; exit 1 on regression", cmd_compare},
      {"table", "paper-style table of results (md, latex, csv)", cmd_table},
      {"plot", "line plot of results (svg or png), e.g. FID against NFE", cmd_plot},
  };
  return commands;
}

}  // namespace diffbench
