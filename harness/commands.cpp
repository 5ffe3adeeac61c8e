#include "harness/commands.h"

namespace diffbench {

const std::vector<CommandInfo>& all_commands() {
  static const std::vector<CommandInfo> commands = {
      {"info", "print the build, LibTorch version, device, threads and BLAS", cmd_info},
      {"train", "train a small model with EDM's loss on a dataset (resumable)", cmd_train},
  };
  return commands;
}

}  // namespace diffbench
