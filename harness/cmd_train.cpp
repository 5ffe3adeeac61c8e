// `diffbench train SUITE.json`: trains the suite's model with EDM's loss; resumable.
#include <iostream>

#include "harness/args.h"
#include "harness/commands.h"
#include "harness/train.h"

namespace diffbench {

int cmd_train(const CommandArgs& argv) {
  Args args("diffbench train SUITE.json [--resume] [--threads N] [--stop-after IMAGES]",
            "Train the suite's \"train\" block: EDM loss and preconditioning, Adam with warm-up, gradient\n"
            "clipping, EMA; deterministic data order and noise; checkpoints as safetensors in out_dir.");
  args.positional("SUITE.json", "a suite with a \"train\" block");
  args.flag("--resume", "continue from out_dir/checkpoint.safetensors");
  args.option("--threads", "N", "intra-op threads, 0 = all cores", "0");
  args.option("--stop-after", "IMAGES", "stop (with a checkpoint) after this many more images", "0");
  args.parse(argv);
  TrainConfig config = load_train_config(args.get("SUITE.json"));
  config.limit_images = args.get_int("--stop-after");
  TrainSummary s = train(config, args.has("--resume"), args.get_int("--threads"));
  std::cout << "trained " << s.parameters << " parameters: " << s.images << " images in " << s.steps
            << " steps, final loss " << s.final_loss << ", " << s.images_per_second
            << " images/s over " << s.wall_seconds << " s\n";
  return 0;
}

}  // namespace diffbench
