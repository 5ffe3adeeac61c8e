#include "harness/commands.h"

namespace diffbench {

const std::vector<CommandInfo>& all_commands() {
  static const std::vector<CommandInfo> commands = {
      {"info", "print the build, LibTorch version, device, threads and BLAS", cmd_info},
      {"train", "train a small model with EDM's loss on a dataset (resumable)", cmd_train},
      {"validate", "check a suite and print the runs it expands into", cmd_validate},
      {"compare", "compare two results (or folders) metric by metric; exit 1 on regression", cmd_compare},
      {"table", "paper-style table of results (md, latex, csv)", cmd_table},
      {"plot", "line plot of results (svg or png), e.g. FID against NFE", cmd_plot},
  };
  return commands;
}

}  // namespace diffbench
