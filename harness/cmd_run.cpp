// `diffbench run SUITE.json` and `diffbench merge SUITE.json`: the suite runner's front door.
#include "common/error.h"
#include "harness/args.h"
#include "harness/commands.h"
#include "harness/runner.h"
#include "harness/suite.h"

namespace diffbench {

static void add_common(Args& args) {
  args.positional("SUITE.json", "the suite file");
  args.option("--results", "DIR", "where results go: DIR/<suite>/<run_id>.json", "results");
  args.option("--threads", "N", "intra-op threads, 0 = all cores (overrides the suite)");
  args.option("--device", "D", "cpu, cuda, cuda:N or auto (overrides the suite)");
  args.option("--batch", "N", "batch size (overrides the suite)");
  args.option("--only", "TEXT", "only runs whose id contains TEXT");
  args.flag("--force", "recompute runs whose result exists and replace it");
}

static RunOptions common_options(const Args& args) {
  RunOptions o;
  o.results_dir = args.get("--results");
  if (args.has("--threads")) {
    o.threads = args.get_int("--threads");
    if (o.threads < 0) fail("--threads: expected 0 (all cores) or a positive integer, got " + args.get("--threads"));
  }
  o.device = args.get("--device");
  if (args.has("--batch")) {
    o.batch_size = args.get_int("--batch");
    if (o.batch_size < 1) fail("--batch: expected a positive integer, got " + args.get("--batch"));
  }
  o.only = args.get("--only");
  o.force = args.has("--force");
  return o;
}

int cmd_run(const CommandArgs& argv) {
  Args args("diffbench run SUITE.json [--resume] [--shard i/N] [--results DIR] [--plan]",
            "Expand the suite into runs, print the plan, and execute it: samples per seed in batches,\n"
            "Inception features, metrics against the reference, one result JSON per run.\n"
            "Interrupted runs continue with --resume from their last finished chunk; --shard i/N runs\n"
            "a deterministic slice of every run's chunks for `diffbench merge` to combine.");
  add_common(args);
  args.flag("--resume", "keep finished runs and chunks; continue the rest");
  args.option("--shard", "i/N", "run chunks c with c % N == i only");
  args.flag("--plan", "print the plan and stop");
  args.parse(argv);
  RunOptions o = common_options(args);
  o.resume = args.has("--resume");
  o.plan_only = args.has("--plan");
  if (args.has("--shard")) parse_shard(args.get("--shard"), o.shard_index, o.shard_count);
  if (o.force && o.resume) fail("--force and --resume contradict each other; pass one");
  Suite suite = load_suite(args.get("SUITE.json"), ValidateOptions{}, o.only);
  return run_suite(suite, o);
}

int cmd_merge(const CommandArgs& argv) {
  Args args("diffbench merge SUITE.json [--results DIR]",
            "Combine the chunks that `diffbench run --shard i/N` left for every run of the suite into\n"
            "one result per run, equal to what a single unsharded run writes.");
  add_common(args);
  args.parse(argv);
  RunOptions o = common_options(args);
  o.resume = true;
  Suite suite = load_suite(args.get("SUITE.json"), ValidateOptions{false});
  return merge_suite(suite, o);
}

}  // namespace diffbench
